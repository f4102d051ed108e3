"""Every recording a corpus lists has its header read when the corpus is listed (segments.py), not only timed rows.

Before: a whole-file row (a manifest row with just a path, a Kaldi ``wav.scp`` without ``segments``, a folder
of recordings) was not checked when listed: ``speech train`` skipped a bad recording with a warning (or, with a
``seconds`` column, stopped when it read it) and ``speech evaluate`` stopped at it after decoding the rows
before it; a WAV cut short of the length its header declares was read as what was left, under the whole
transcript. Now each is a one-line :class:`CorpusError` naming the row and the file, before any work.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from carrousel.speech.audio import read_audio
from carrousel.speech.cli import app
from carrousel.speech.data import load_corpus, with_durations
from carrousel.speech.errors import CorpusError, CutShortAudioError

WORDS = ("go", "stop", "left", "right")


def _text(bad: Path) -> None:
    bad.write_text("this is not audio\n")


def _cut_short(bad: Path) -> None:
    sf.write(str(bad), np.full(16000, 0.3, np.float32), 16000, subtype="PCM_16")
    bad.write_bytes(bad.read_bytes()[: 44 + 8000])  # the header declares 1 s, 0.25 s is left


def _empty(bad: Path) -> None:
    bad.write_bytes(b"")


def _no_frames(bad: Path) -> None:
    sf.write(str(bad), np.zeros(0, np.float32), 16000, subtype="PCM_16")


BAD: dict[str, tuple[Callable[[Path], None], str]] = {  # how to spoil bad.wav, and what the message says
    "text": (_text, "bad.wav is not readable audio (Format not recognised.); give a WAV, FLAC"),
    "cut short": (_cut_short, "bad.wav is cut short: its header declares 1.00 s, the file holds 0.25 s"),
    "0 bytes": (_empty, "bad.wav is empty (0 bytes); give a recording with sound"),
    "0 frames": (_no_frames, "bad.wav holds no audio samples; give a recording with sound"),
}


def _corpus(root: Path, spoil: Callable[[Path], None] | None) -> dict[str, tuple[str, str]]:
    """Three good 1 s 16 kHz WAVs and ``bad.wav`` (spoiled by ``spoil``; good when None), listed as a TSV
    and a JSONL manifest, a Kaldi data directory and a folder: ``{layout: (--data, where)}``."""
    names = ["g0.wav", "g1.wav", "g2.wav", "bad.wav"]
    for i, name in enumerate(names):
        t = np.arange(16000) / 16000
        sf.write(str(root / name), (0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t)).astype(np.float32), 16000)
    if spoil is not None:
        spoil(root / "bad.wav")
    (root / "m.tsv").write_text(
        "path\ttranscript\n" + "".join(f"{n}\t{w}\n" for n, w in zip(names, WORDS, strict=True))
    )
    rows = [{"audio_filepath": n, "text": w} for n, w in zip(names, WORDS, strict=True)]
    (root / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (kaldi := root / "kaldi").mkdir()
    (kaldi / "wav.scp").write_text("".join(f"r{i} {root / n}\n" for i, n in enumerate(names)))
    (kaldi / "text").write_text("".join(f"r{i} {w}\n" for i, w in enumerate(WORDS)))
    (folder := root / "folder").mkdir()
    for n, w in zip(names, WORDS, strict=True):
        (folder / n).write_bytes((root / n).read_bytes())
        (folder / n).with_suffix(".txt").write_text(w)
    return {
        "tsv": (str(root / "m.tsv"), f"{root / 'm.tsv'}: line 5: {root / 'bad.wav'}"),
        "jsonl": (str(root / "m.jsonl"), f"{root / 'm.jsonl'}: line 4: {root / 'bad.wav'}"),
        "kaldi": (str(kaldi), f"{kaldi / 'wav.scp'}: line 4: {root / 'bad.wav'}"),
        "folder": (str(folder), f"--data {folder}: {folder / 'bad.wav'}"),
    }


@pytest.mark.parametrize("layout", ["tsv", "jsonl", "kaldi", "folder"])
@pytest.mark.parametrize("bad", list(BAD))
def test_a_bad_whole_recording_is_refused_when_listed(tmp_path: Path, bad: str, layout: str) -> None:
    spoil, said = BAD[bad]
    spec, where = _corpus(tmp_path, spoil)[layout]
    with pytest.raises(CorpusError) as err:
        load_corpus(spec)  # before: listed (the bad file found only when read)
    message = str(err.value)
    where = where.replace(f"--data {spec}", f"data={spec!r}")  # a folder, as a Python caller names it
    assert message.startswith(f"{where.removesuffix('bad.wav')}{said}"), message
    assert message.endswith(", or leave it out of the corpus") and "\n" not in message, message


def test_a_wav_cut_short_says_one_thing_read_or_listed(tmp_path: Path) -> None:
    """One message source (errors.CutShortAudioError) for a read and a listing: before, audio.py and
    segments.py each wrote the line, so a change to one left the other saying something else."""
    spec, where = _corpus(tmp_path, _cut_short)["tsv"]
    with pytest.raises(CutShortAudioError) as read:
        read_audio(tmp_path / "bad.wav", 16000)
    with pytest.raises(CorpusError) as listed:
        load_corpus(spec)
    assert (
        str(listed.value)
        == f"{where.removesuffix(str(tmp_path / 'bad.wav'))}{read.value}, or leave it out of the corpus"
    )


@pytest.mark.parametrize("bad", list(BAD))
def test_speech_train_refuses_a_bad_recording_before_any_work(tmp_path: Path, bad: str) -> None:
    spec, where = _corpus(tmp_path, BAD[bad][0])["tsv"]
    out = tmp_path / "model"
    args = ["train", "--data", spec, "--out", str(out), "--epochs", "1", "--max-steps", "1", "--threads", "1"]
    res = CliRunner().invoke(app, [*args, "--hidden", "16", "--layers", "1"])
    assert res.exit_code == 1, res.output  # before: 0, a model trained without the skipped recording
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {where.removesuffix('bad.wav')}{BAD[bad][1]}"), (
        lines
    )
    assert not out.exists()


def test_speech_evaluate_refuses_a_bad_recording_before_decoding(tmp_path: Path) -> None:
    spec, where = _corpus(tmp_path, _text)["kaldi"]
    res = CliRunner().invoke(app, ["evaluate", "--data", spec, "--threads", "1"])
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and where in res.output, res.output


def test_a_good_corpus_lists_its_rows_with_the_lengths_read(tmp_path: Path) -> None:
    for layout, (spec, _) in _corpus(tmp_path, None).items():
        utts = load_corpus(spec)
        listed = sorted((Path(u.path).name, u.text, u.seconds) for u in utts)  # a folder's: in name order
        assert listed == sorted(
            zip(["g0.wav", "g1.wav", "g2.wav", "bad.wav"], WORDS, [1.0] * 4, strict=True)
        ), layout
        assert with_durations(utts) == utts, layout


def test_with_durations_reads_no_header_the_listing_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ``speech train`` read every header twice, at listing and again in ``with_durations``."""
    from carrousel.speech import data

    for layout, (spec, _) in _corpus(tmp_path, None).items():
        utts = load_corpus(spec)

        def no_header(*args: object, **kwargs: object) -> None:
            raise AssertionError("a header read again")

        with monkeypatch.context() as patched:
            patched.setattr(data, "audio_info", no_header)
            assert [u.seconds for u in with_durations(utts)] == [1.0] * 4, layout


def test_listing_reads_headers_not_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _ = _corpus(tmp_path, None)["tsv"]

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("listing read samples")

    monkeypatch.setattr(sf, "read", no_read)  # sf.info opens the file and reads its header only
    assert len(load_corpus(spec)) == 4


@pytest.mark.parametrize("size", [0xFFFFFFFF, 0x7FFFF000])
def test_a_streamed_wav_with_a_placeholder_size_is_not_cut_short(tmp_path: Path, size: int) -> None:
    spec, _ = _corpus(tmp_path, None)["tsv"]
    data = bytearray((tmp_path / "bad.wav").read_bytes())  # as ffmpeg or sox write to a pipe
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", size)
    (tmp_path / "bad.wav").write_bytes(bytes(data))
    assert len(load_corpus(spec)) == 4
