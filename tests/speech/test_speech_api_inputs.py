"""Recordings as a notebook passes them to :class:`Recognizer`: ``pathlib.Path`` objects (what
``carrousel.speech.samples.sample_recordings`` returns), one path instead of a list, integer PCM or stereo
arrays. Each is read as meant or refused in one clear line, never an AttributeError from inside the
recogniser nor features of the wrong shape or scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.audio import read_audio
from carrousel.speech.errors import AudioError
from carrousel.speech.recognizer import Recognizer


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
