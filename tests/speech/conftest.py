"""Fixtures of the carrousel-speech tests: synthetic recordings written to tmp, real samples when cached."""

from __future__ import annotations

import csv
import io
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf
import torch

if TYPE_CHECKING:
    from carrousel.speech.config import TrainConfig


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """The speech models are small: one intra-op thread is faster than two on a loaded 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_tone(seconds: float = 1.0, rate: int = 16000, freq: float = 220.0, channels: int = 1) -> np.ndarray:
    """A voiced-like test signal: a tone with harmonics and a little noise, ``(frames,)`` or ``(frames, ch)``."""
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 5)) * 0.2
    x = x + 0.01 * np.random.default_rng(0).standard_normal(len(t))
    x = x.astype(np.float32)
    return np.stack([x, 0.5 * x], axis=1) if channels == 2 else x


@pytest.fixture
def tone():  # type: ignore[no-untyped-def]
    """``tone(seconds, rate, freq, channels)``: see :func:`make_tone`."""
    return make_tone


def speech(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """The real ``speech`` entry point run in-process with ``sys.argv`` set: ``(exit code, stdout, stderr)``."""
    from carrousel.speech.cli import main  # imported when called, not for every speech test

    monkeypatch.setattr(sys, "argv", ["speech", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture
def model(tmp_path):  # type: ignore[no-untyped-def]
    """An untrained tiny model saved in tmp (its words are random; the plumbing is what is tested)."""
    from carrousel.speech.config import FeatureConfig
    from carrousel.speech.models import CTCModel, CTCModelConfig
    from carrousel.speech.recognizer import Recognizer
    from carrousel.speech.text import ENGLISH

    net = CTCModel(CTCModelConfig(13, ENGLISH.size, hidden=8, layers=1, conv_channels=8)).eval()
    rec = Recognizer(net, ENGLISH, FeatureConfig(), np.zeros(13, np.float32), np.ones(13, np.float32))
    return str(rec.save(tmp_path / "model"))


@pytest.fixture
def write_wav(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``write_wav(name, data, rate, subtype="PCM_16") -> Path`` in tmp."""

    def write(name: str, data: np.ndarray, rate: int = 16000, subtype: str = "PCM_16") -> Path:
        path = tmp_path / name
        sf.write(str(path), data, rate, subtype=subtype)
        return path

    return write


@pytest.fixture
def espeak() -> None:
    """Skips the test when espeak-ng is missing (`make system` installs it)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make system)")


def spoken(text: str, folder: Path, voice: str | None = None) -> np.ndarray:
    """espeak-ng's ``text`` at 16 kHz, as it writes it (to ``folder``/s.wav; skips without espeak-ng), in its
    default voice or ``voice`` (``-v``, e.g. ``en+f2``)."""
    from carrousel.speech.audio import read_audio

    path = folder / "s.wav"
    try:
        subprocess.run(["espeak-ng", *(["-v", voice] if voice else []), "-w", str(path), text], check=True)
    except FileNotFoundError:
        pytest.skip("espeak-ng is not installed (make system)")
    return read_audio(path, 16000)


@pytest.fixture(scope="session")
def said(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """espeak-ng's "seven three nine two" at 16 kHz, as it writes it (skips without espeak-ng)."""
    return spoken("seven three nine two", tmp_path_factory.mktemp("said"))


@pytest.fixture
def engines() -> None:
    """Skips the test when espeak-ng or flite is missing (the synthesiser of `speech synth-corpus`)."""
    if not (shutil.which("espeak-ng") and shutil.which("flite")):
        pytest.skip("espeak-ng and flite are not installed (make system)")


def sine_recordings(folder: Path, seconds: float, n: int) -> list[str]:
    """``n`` recordings ``folder/a0.wav``... of a plain 220 Hz sine of ``seconds`` (16 kHz); their names."""
    t = np.arange(int(16000 * seconds)) / 16000
    names = [f"a{i}.wav" for i in range(n)]
    for name in names:
        sf.write(str(folder / name), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    return names


def sine_manifest(folder: Path, seconds: float, n: int, transcript: str = "one two") -> str:
    """``folder/m.tsv`` listing ``n`` recordings ``a0.wav``... of a plain 220 Hz sine of ``seconds`` (16 kHz),
    each said to be ``transcript``: a corpus for the checks that come before any training."""
    rows = [f"{name}\t{transcript}\n" for name in sine_recordings(folder, seconds, n)]
    path = folder / "m.tsv"
    path.write_text("path\ttranscript\n" + "".join(rows), encoding="utf-8")
    return str(path)


def manifest_rows(manifest: str) -> list[list[str]]:
    """The rows of a corpus's ``manifest.tsv``, header left out."""
    with open(manifest, encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter="\t"))[1:]


@pytest.fixture
def real():  # type: ignore[no-untyped-def]
    """``real(group) -> [(path, transcript)]`` of cached real recordings, or a skip (`make data`)."""
    from carrousel.core.errors import CarrouselError
    from carrousel.speech.samples import sample_recordings

    def get(group: str) -> list[tuple[Path, str]]:
        try:
            return sample_recordings(group)
        except CarrouselError as exc:
            pytest.skip(f"speech samples not cached: {exc}")

    return get


def write_digit_corpus(folder: Path, voices: tuple[str, ...], n: int, seed: int) -> str:
    """``n`` espeak-ng digit strings (2-3 digits, ``voices`` in turn, level 0.5, 0.1 s of silence each
    side) written to ``folder`` with a ``manifest.tsv`` (path, transcript, seconds); returns its path."""
    from carrousel.speech.synth import Voice, synthesize
    from carrousel.speech.vocab import DIGITS

    rng = random.Random(seed)
    folder.mkdir()
    rows = [["path", "transcript", "seconds"]]
    for i in range(n):
        text = " ".join(rng.choice(DIGITS[1:]) for _ in range(rng.choice((2, 3))))
        x, rate = synthesize(text, Voice("espeak-ng", voices[i % len(voices)], 160.0, 50.0))
        x = np.pad(x / (np.abs(x).max() + 1e-9) * 0.5, (rate // 10, rate // 10))
        sf.write(str(folder / f"{i}.wav"), x, rate)
        rows.append([f"{i}.wav", text, f"{len(x) / rate:.3f}"])
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows(rows)
    (folder / "manifest.tsv").write_text(buf.getvalue(), encoding="utf-8")
    return str(folder / "manifest.tsv")


@pytest.fixture(scope="session")
def digit_corpus():  # type: ignore[no-untyped-def]
    """``digit_corpus(folder, voices, n, seed) -> manifest path``: see :func:`write_digit_corpus`."""
    return write_digit_corpus


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory, digit_corpus) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """24 training and 8 held-out digit strings of other voices (the pruned and distilled variants' tests)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make system)")
    tmp = tmp_path_factory.mktemp("speech_prune")
    return {
        "train": digit_corpus(tmp / "train", ("en-us+m2", "en-gb+f1", "en-us+f3"), 24, seed=3),
        "test": digit_corpus(tmp / "test", ("en-us+m4", "en-gb-x-rp+f5"), 8, seed=4),
    }


@pytest.fixture(scope="module")
def tiny(corpora: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-unit model trained two steps on ``corpora["train"]``, which it records."""
    from carrousel.speech.pipeline import train

    out = tmp_path_factory.mktemp("tiny") / "model"
    train(two_steps(corpora["train"], width=32, layers=2, workers=0), out)
    return out


def two_steps(corpus: str, width: int, layers: int, workers: int) -> TrainConfig:
    """Two training steps on the CPU of a ``layers``-layer network of ``width`` hidden units and convolution
    channels on ``corpus`` (a fifth held out, batches of 8 seconds), read by ``workers`` processes."""
    from carrousel.speech.config import TrainConfig

    return TrainConfig(
        data=(corpus,),
        val_fraction=0.2,
        hidden=width,
        layers=layers,
        conv_channels=width,
        epochs=1,
        max_steps=2,
        batch_seconds=8.0,
        device="cpu",
        workers=workers,
    )
