"""Transcripts: normalisation, numbers in words, the alphabet."""

from __future__ import annotations

import pytest

from carrousel.speech.errors import TranscriptError
from carrousel.speech.text import ENGLISH, Alphabet, normalize, number_words, spell_digits


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (105, "one hundred five"),
        (1205, "one thousand two hundred five"),
        (3_000_017, "three million seventeen"),
        (-7, "minus seven"),
    ],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


def test_number_words_british_and() -> None:
    assert number_words(312, use_and=True) == "three hundred and twelve"
    assert number_words(2005, use_and=True) == "two thousand and five"


def test_normalize() -> None:
    assert normalize("Go FORWARD 10 meters, O'Brien!") == "go forward ten meters o'brien"
    assert normalize("call 0172 now") == "call zero one seven two now"
    assert normalize("3.5 'quoted' -2") == "three point five quoted minus two"
    assert normalize("  ") == ""
    assert spell_digits("2904", zero="oh") == "two nine oh four"


def test_alphabet_roundtrip_and_errors() -> None:
    ids = ENGLISH.encode("go left")
    assert ENGLISH.decode(ids) == "go left" and ids[2] == ENGLISH.space
    assert ENGLISH.encode(" a ") == ENGLISH.encode("a")
    with pytest.raises(TranscriptError, match="no character"):
        ENGLISH.encode("123")
    with pytest.raises(TranscriptError):
        Alphabet(("a", "b", "c"))
    extended = Alphabet.from_texts(["café"])
    assert "é" in extended.symbols and extended.size == ENGLISH.size + 1
