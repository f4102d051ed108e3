"""Word times stay within the recording. The network's output frames are ``ceil(feature frames / 3)``
30 ms frames, so the last one can end up to 5 ms past the audio: a recording cut at its last sound (push
to talk, a voice-activity detector) had its last word end after the recording did (0.660 s in a 0.6575 s
file, 8 of 576 such cuts of synthesised digit strings)."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.speech.audio import speech_bounds
from carrousel.speech.decoding import Word
from carrousel.speech.recognizer import Recognizer, shipped_model_path


@pytest.fixture(scope="module")
def cut_said(said: np.ndarray) -> np.ndarray:
    """The conftest's espeak-ng "seven three nine two", cut to its sound."""
    start, end = speech_bounds(said, 16000, margin=0.0)
    return said[start:end]


@pytest.mark.parametrize("trim", [True, False])
def test_no_word_ends_after_a_recording_cut_at_its_last_sound(cut_said, write_wav, trim) -> None:
    # lengths of 1 + 3k feature frames (plus up to 159 samples): the last 30 ms output frame covers 20 ms
    # of audio at most, and the word said up to the end used to run past it
    lengths = [
        400 + 160 * (3 * k) + extra
        for k in range(len(cut_said) // 480 - 12, len(cut_said) // 480 - 2)
        for extra in (0, 80)
    ]
    paths = [str(write_wav(f"cut{n}.wav", cut_said[:n])) for n in lengths]
    late = []
    for n, t in zip(lengths, Recognizer.from_pretrained().transcribe_files(paths, trim=trim), strict=True):
        late += [(n / 16000, w) for w in t.words if w.end > n / 16000 or w.start > w.end]
        assert t.words and t.seconds == pytest.approx(n / 16000)
    assert not late, late


def test_within_recording_ends_words_at_the_recording_end() -> None:
    from carrousel.speech.transcripts import within_recording

    words = [Word("six", 0.1, 0.4, 0.9), Word("one", 0.5, 0.66, 0.8), Word("x", 0.66, 0.69, 0.5)]
    out = within_recording(words, 0.6575)
    assert [(w.start, w.end) for w in out] == [(0.1, 0.4), (0.5, 0.657), (0.657, 0.657)]
    assert out[0] is words[0] and out[1].word == "one" and out[1].confidence == 0.8


def test_no_streamed_word_ends_after_the_stream(cut_said) -> None:
    rec = Recognizer.from_pretrained(shipped_model_path("stream"))
    late = []
    for k in range(len(cut_said) // 480 - 12, len(cut_said) // 480 - 2):
        n = 400 + 160 * 3 * k
        final = list(rec.stream(iter(np.array_split(cut_said[:n], 4))))[-1]
        late += [(n / 16000, w) for w in final.words if w.end > n / 16000 or w.start > w.end]
    assert not late, late
