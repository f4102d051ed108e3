"""Two chunks of a long recording join where both read the same letters, not at the fixed boundary.

A chunk whose audio starts mid-speech (1 s of overlap before its part) hears the words there from another
context than the chunk before, and emits their letters a frame early or late. Joined at the fixed frame
of the boundary (5.0 s with chunks of 5 s), a letter emitted just after it by the first chunk and just
before it by the next was in neither part: main read espeak-ng's "seven three nine two" said at 4.36 s as
"seven threenine two" (its space lost), at 4.48 s as "seven thre nine two"; "... eight four one six" said
at 3.64 s read "our" for "four", at 3.88 s "ight" for "eight" (the brief's case: "eight no", "eight o")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.recognizer import Recognizer
from tests.speech.conftest import spoken

SEVEN = "seven three nine two"
EIGHT = "seven three nine two eight four one six"


@pytest.mark.parametrize(("text", "at"), [(SEVEN, 4.36), (SEVEN, 4.48), (EIGHT, 3.64), (EIGHT, 3.88)])
def test_a_word_across_a_chunk_boundary_keeps_its_letters(
    espeak, write_wav, tmp_path: Path, text, at
) -> None:
    said = spoken(text, tmp_path)
    y = np.zeros(9 * 16000, np.float32)
    y[int(at * 16000) : int(at * 16000) + len(said)] += said
    y += 1e-3 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)  # room noise
    path = str(write_wav("seam.wav", y))
    rec = Recognizer.from_pretrained()
    (whole,) = rec.transcribe_files([path], chunk_seconds=30.0)
    (chunked,) = rec.transcribe_files([path], chunk_seconds=5.0)
    assert whole.text == text
    assert chunked.text == text, chunked.words
    for a, b in zip(chunked.words, whole.words, strict=True):
        assert abs(a.start - b.start) <= 0.07 and abs(a.end - b.end) <= 0.07, (a, b)
