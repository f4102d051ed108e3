"""Recordings as a notebook passes them to :class:`Recognizer`: ``pathlib.Path`` objects (what
``carrousel.speech.samples.sample_recordings`` returns), one path instead of a list, integer PCM or stereo
arrays. Each is read as meant or refused in one clear line, never an AttributeError from inside the
recogniser nor features of the wrong shape or scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from carrousel.speech.audio import read_audio
from carrousel.speech.errors import AudioError
from carrousel.speech.recognizer import Recognizer, shipped_model_path


@pytest.fixture(scope="module")
def shipped() -> Recognizer:
    return Recognizer.from_pretrained()


def test_path_objects_transcribe_like_strings(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    clips = [p for p, _ in real("klettres_en")[:2]]
    assert all(isinstance(p, Path) for p in clips)  # what the sample API gives
    want = [t.text for t in shipped.transcribe_files([str(p) for p in clips])]
    got = list(shipped.transcribe_files(clips))  # before: 'PosixPath' object has no attribute 'endswith'
    assert [t.text for t in got] == want and [t.path for t in got] == [str(p) for p in clips]
    assert shipped.file_features(clips[0]).shape == shipped.file_features(str(clips[0])).shape


def test_one_path_instead_of_a_list_is_refused(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    path = real("klettres_en")[0][0]
    for one in (path, str(path)):  # before: the str was read letter by letter ("/ is a folder")
        with pytest.raises(AudioError, match=r"one path, not a list of paths; pass \[path\]"):
            list(shipped.transcribe_files(one))  # type: ignore[arg-type]


def test_integer_or_stereo_audio_is_refused(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    audio = read_audio(real("klettres_en")[0][0], shipped.features.sample_rate)
    assert shipped.input_features(audio).ndim == 2
    with pytest.raises(AudioError, match=r"int16 samples.*float audio in \[-1, 1\].*/ 32768"):
        shipped.input_features((audio * 32767).astype(np.int16))  # before: features 32767x too loud
    with pytest.raises(AudioError, match=r"shape \(\d+, 2\).*mono.*mean\(axis=1\)"):
        shipped.input_features(np.stack([audio, audio], axis=1))  # before: (T, 2, F) features


def test_non_finite_audio_is_refused_like_a_file(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    """A NaN in an array (a failed resample, a division by a zero peak): was transcribed as "" (NaN
    features, NaN log-probabilities, an empty greedy path), while a file holding one is refused."""
    audio = read_audio(real("klettres_en")[0][0], shipped.features.sample_rate)
    for bad in (np.nan, np.inf):
        broken = audio.copy()
        broken[100] = bad
        with pytest.raises(AudioError, match=r"audio holds 1 NaN or infinite sample\(s\) \(first at 100\)"):
            shipped.input_features(broken)


def test_audio_at_another_rate_is_resampled_as_a_file_is(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    """An array at 44.1 kHz (KLettres' own rate) had no way in: given as it was it was read as 16 kHz audio
    (2.76x too slow, transcribed as other letters). ``sample_rate`` resamples it as ``read_audio`` does."""
    path = real("klettres_en")[0][0]
    native, rate = sf.read(str(path), dtype="float32")
    assert rate == 44100 and native.ndim == 1
    want = shipped.input_features(read_audio(path, shipped.features.sample_rate))
    got = shipped.input_features(native, sample_rate=rate)  # before: TypeError (no such argument)
    assert torch.equal(got, want)
    assert shipped.input_features(native, sample_rate=16000).shape == shipped.input_features(native).shape
    with pytest.raises(AudioError, match=r"sample_rate=0; give the audio's rate in Hz"):
        shipped.input_features(native, sample_rate=0)


def test_tensors_give_the_features_of_their_arrays(shipped: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    audio = read_audio(real("klettres_en")[0][0], shipped.features.sample_rate)
    want = shipped.input_features(audio)
    tensor = torch.from_numpy(
        audio
    ).requires_grad_()  # before: RuntimeError "Can't call numpy() on Tensor..."
    assert torch.equal(shipped.input_features(tensor), want)


@pytest.fixture(scope="module")
def stream_model() -> Recognizer:
    return Recognizer.from_pretrained(shipped_model_path("stream"))


def _chunks(audio: np.ndarray, size: int = 5120) -> list[np.ndarray]:
    return [audio[i : i + size] for i in range(0, len(audio), size)]


def test_stream_chunks_are_checked_as_arrays_are(stream_model: Recognizer, real) -> None:  # type: ignore[no-untyped-def]
    """Chunks fed to ``Recognizer.stream`` skipped ``input_features``' checks: int16 chunks were transcribed
    32767x too loud (another text), NaN ones as "", stereo ones failed inside NumPy's concatenate, and a
    tensor chunk had no ``astype``."""
    audio = read_audio(real("klettres_en")[0][0], stream_model.features.sample_rate)
    want = list(stream_model.stream(iter(_chunks(audio))))[-1].text
    tensors = [torch.from_numpy(c) for c in _chunks(audio)]
    assert list(stream_model.stream(iter(tensors)))[-1].text == want  # before: AttributeError
    broken = audio.copy()
    broken[6000] = np.nan
    for chunks, match in (
        (_chunks((audio * 32767).astype(np.int16)), r"stream chunk 0: int16 samples; give float audio"),
        (
            _chunks(np.stack([audio, audio], axis=1)),
            r"stream chunk 0: audio of shape \(5120, 2\); give one mono",
        ),
        (_chunks(broken), r"stream chunk 1: audio holds 1 NaN or infinite sample\(s\) \(first at 880\)"),
    ):
        with pytest.raises(AudioError, match=match):
            list(stream_model.stream(iter(chunks)))
