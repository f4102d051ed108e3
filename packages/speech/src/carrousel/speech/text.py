"""Transcripts: normalisation, the character alphabet of a CTC model, and numbers in words.

A model predicts characters of an :class:`Alphabet` (class 0 is the CTC blank, class 1 the word
space). Transcripts from any corpus pass through :func:`normalize` first: lower case, Unicode NFKC,
numbers spelled out (``"42"`` -> ``"forty two"``, a digit string with a leading zero digit by digit;
money and decades as said, ``"$5"`` -> ``"five dollars"``, ``"1990s"`` -> ``"nineteen nineties"``: see
:mod:`carrousel.speech.spoken`),
punctuation removed except the apostrophe inside words, runs of spaces collapsed. WER and CER are
computed on normalised text, so ``"Forty-two!"`` and ``"forty two"`` count as the same words.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import count, product

from carrousel.core.args import check_args
from carrousel.core.text import name_some
from carrousel.speech.errors import TranscriptError
from carrousel.speech.spoken import (
    decades_to_words,
    money_to_words,
    number_words,
    ordinal_words,
    spell_digits,
    year_words,
)
from carrousel.speech.units import learn_merges, segment

__all__ = [
    "BLANK",
    "ENGLISH",
    "MAX_READ_NUMBERS",
    "UNWRITABLE_REFERENCE",
    "UNWRITABLE_TRAINING",
    "Alphabet",
    "drop_markers",
    "normalize",
    "number_readings",
    "number_words",
    "ordinal_words",
    "spell_digits",
    "warn_unwritable",
]

logger = logging.getLogger(__name__)

MAX_READ_NUMBERS = 6  # number_readings: digit strings of a transcript read every way (at most 3**6 readings)

BLANK = "<blank>"
_NUMBER = re.compile(r"(?<![\w.])(-?)(\d+)(?:\.(\d+))?(?![\w])")
_GROUPED = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d,])(?=(?:st|nd|rd|th)?(?!\w))")  # 1,000,000
_ORDINAL = re.compile(r"(?<![\w.])(\d+)(st|nd|rd|th)(?!\w)")  # 1st, 42nd, 3rd, 11th
_GLUED = re.compile(
    r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])"
)  # a letter then a digit, or a digit then a letter
_PERCENT = re.compile(r"(?<=\d)\s*%")  # 50% -> 50 percent (the sign was dropped as punctuation)


def _grouped(m: re.Match[str]) -> str:
    """A number with thousands commas ("7,392") is read as a number, never digit by digit: in words here,
    unless a sign, decimals or an ordinal suffix go with it (the later rules read it then)."""
    digits = m.group(0).replace(",", "")
    before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
    if before == "-" or after == "." or after.isalpha():
        return digits
    return f" {number_words(int(digits))} "


_AS_NUMBER, _AS_DIGITS, _AS_YEAR = 0, 1, 2  # readings of a plain digit string (see number_readings)
_Reading = Callable[[int, tuple[int, ...]], int]  # (index of a form read several ways, its ways) -> the one


def _first(k: int, ways: tuple[int, ...]) -> int:
    return ways[0]


def _numbers_to_words(text: str, how: _Reading = _first) -> str:
    """Numbers in words; ``how(k, ways)``: which of its ``ways`` the ``k``-th written form read more than
    one way is read: an amount of money with cents or a prefixed dollar sign
    (:func:`~carrousel.speech.spoken.money_to_words`), a number then "s" (``"30s"``:
    :func:`~carrousel.speech.spoken.decades_to_words`), or a plain digit string (two digits or more, no leading zero, sign, decimals or thousands commas) read as a
    number, digit by digit, or as a year (when :func:`~carrousel.speech.spoken.year_words` has one)."""
    forms = count()

    def pick(ways: tuple[int, ...]) -> int:
        return how(next(forms), ways)

    text = decades_to_words(
        money_to_words(text, pick), pick
    )  # "$5" "five dollars", "1990s" "nineteen nineties"
    text = _GROUPED.sub(_grouped, text)
    text = _ORDINAL.sub(lambda m: f" {ordinal_words(int(m.group(1)))} ", text)
    text = _GLUED.sub(" ", _PERCENT.sub(" percent", text))  # "covid19" -> "covid 19": its digits were dropped

    def repl(m: re.Match[str]) -> str:
        sign, whole, frac = m.group(1), m.group(2), m.group(3)
        leading_zero = len(whole) > 1 and whole[0] == "0"
        ambiguous = not sign and not frac and len(whole) > 1 and not leading_zero
        n = int(whole)
        way = pick((_AS_NUMBER, _AS_DIGITS) + ((_AS_YEAR,) if year_words(n) else ())) if ambiguous else 0
        if leading_zero or way == _AS_DIGITS:
            spoken = spell_digits(whole)
        else:
            spoken = (way == _AS_YEAR and year_words(n)) or number_words(n)
        if frac:
            spoken += " point " + spell_digits(frac)
        return (" minus " if sign else " ") + spoken + " "

    return _NUMBER.sub(repl, text)


@check_args
def normalize(text: str, numbers: bool = True) -> str:
    """Normalised transcript: lower case, numbers in words, letters and inner apostrophes only.

    Args:
        text: any transcript.
        numbers: spell out digits (English); False drops them like other symbols.

    Example:
        >>> normalize("Go FORWARD 10 meters, O'Brien!")
        "go forward ten meters o'brien"
    """
    return _normalize(text, numbers)


def _normalize(text: str, numbers: bool, how: _Reading = _first) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("`", "'")
    if numbers:
        text = _numbers_to_words(text, how)
    text = re.sub(r"[^\w']+|[\d_]+", " ", text)
    text = re.sub(r"(?<!\w)'+|'+(?!\w)", " ", text)  # quotes, not apostrophes inside words
    return " ".join(text.split())


_MARKER = re.compile(r"(?<!\S)(?:\[[^\]\s]*\]|<[^>\s]*>)(?!\S)")  # [noise], <unk> as whole words


def drop_markers(text: str) -> str:
    """A corpus transcript without its noise and unknown-word markers written as whole words (``[noise]``,
    ``[laughter]``, ``<unk>``, as Kaldi, ESPnet and many exports write them): until 2026-12 only a Kaldi
    directory's were dropped, and a manifest's were scored and trained as the words ``noise``, ``unk``."""
    return _MARKER.sub(" ", text)


def number_readings(text: str) -> tuple[str, ...]:
    """The normalised readings of a transcript whose digit strings can be spoken two ways.

    A plain digit string of two digits or more (no leading zero, sign, decimals or thousands commas:
    ``"7392"``) is read as a number by :func:`normalize` (``"seven thousand three hundred ninety two"``)
    but is as often spoken digit by digit (``"seven three nine two"``): WER scores a hypothesis against
    the reading it matches best (:func:`carrousel.speech.metrics.score_utterance`). A year of
    1001..2099 has a third reading, in pairs (``"1990"``: ``"nineteen ninety"``;
    :func:`~carrousel.speech.spoken.year_words`), an amount of money with cents three more (``"$5.50"``:
    ``"five dollars fifty"``, ``"five dollars and fifty cents"``, ``"five dollars fifty cents"``, ``"five
    fifty"``), ``"US$5"`` two (``"five us dollars"``, ``"five dollars"``) and ``"30s"`` two or three
    (``"thirties"``, ``"thirty seconds"``, before a noun ``"thirty second"``). A
    transcript written in words has one reading, so ``"seven three nine two"`` never matches a reference
    ``"seven thousand ..."`` written in words.

    Returns:
        Distinct readings, :func:`normalize`'s first; with up to :data:`MAX_READ_NUMBERS` such forms
        (and at most ``3 ** MAX_READ_NUMBERS`` combinations) every combination, with more only "all as
        numbers", "all digit by digit" and "all as years" (each form's first, second and third way).
    """
    ways: list[tuple[int, ...]] = []

    def count_ways(k: int, options: tuple[int, ...]) -> int:
        ways.append(options)
        return options[0]

    _normalize(text, True, count_ways)
    picks: Iterable[tuple[int, ...]] = (
        product(*ways)
        if len(ways) <= MAX_READ_NUMBERS and math.prod(map(len, ways)) <= 3**MAX_READ_NUMBERS
        else [(w,) * len(ways) for w in (_AS_NUMBER, _AS_DIGITS, _AS_YEAR)]
    )
    return tuple(dict.fromkeys(_normalize(text, True, _picked(p)) for p in picks))


def _picked(ways: tuple[int, ...]) -> _Reading:
    """The :data:`_Reading` giving the ``k``-th form read several ways the way ``ways[k]`` (its first way
    where it has no such way: "all as years" leaves a number that is no year as a number)."""
    return lambda k, options: ways[k] if ways[k] in options else options[0]


@dataclass(frozen=True)
class Alphabet:
    """The output classes of a CTC model: blank, word space, then characters or subword units.

    Attributes:
        symbols: every class in order; ``symbols[0]`` is :data:`BLANK`, ``symbols[1]`` the space; the
            rest single characters, or, with ``merges``, characters and the word pieces they merge into.
        merges: BPE merges in rank order (:func:`carrousel.speech.units.learn_merges`); empty for a
            character model. Each merged piece is one of ``symbols``.
    """

    symbols: tuple[str, ...]
    merges: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if len(self.symbols) < 3 or self.symbols[0] != BLANK or self.symbols[1] != " ":
            raise TranscriptError("an alphabet starts with the blank and the space, then its characters")
        units = self.symbols[2:]
        if len(set(self.symbols)) != len(self.symbols) or any(not s or " " in s for s in units):
            raise TranscriptError("alphabet units must be distinct and non-empty, without spaces")
        if not self.merges and any(len(s) != 1 for s in units):
            raise TranscriptError("alphabet characters must be distinct single characters")
        known = set(units)
        if any(len(m) != 2 or m[0] + m[1] not in known for m in self.merges):
            raise TranscriptError("every subword merge must join two units into a unit of the alphabet")

    @classmethod
    @check_args
    def from_texts(cls, texts: Iterable[str], subwords: int = 0) -> Alphabet:
        """The English letters plus every other character found in normalised ``texts``, sorted; with
        ``subwords`` > 0, up to that many BPE word pieces learned on ``texts`` are added after them."""
        texts = list(texts)
        seen = set(ENGLISH.symbols[2:])
        for t in texts:
            seen.update(t)
        seen.discard(" ")
        chars = sorted(seen)
        if subwords <= 0:
            return cls((BLANK, " ", *chars))
        merges = learn_merges(texts, subwords)
        pieces = [a + b for a, b in merges]
        return cls((BLANK, " ", *chars, *dict.fromkeys(p for p in pieces if p not in seen)), tuple(merges))

    @property
    def size(self) -> int:
        """Number of classes, blank included."""
        return len(self.symbols)

    @property
    def blank(self) -> int:
        """Index of the CTC blank."""
        return 0

    @property
    def space(self) -> int:
        """Index of the word separator."""
        return 1

    @property
    def subword(self) -> bool:
        """Whether the units are BPE word pieces rather than single characters."""
        return bool(self.merges)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.symbols)}

    @cached_property
    def _ranks(self) -> dict[tuple[str, str], int]:
        return {m: i for i, m in enumerate(self.merges)}

    def encode(self, text: str, where: str = "transcript") -> list[int]:
        """Class indices of a normalised transcript; characters outside the alphabet are dropped.

        Raises:
            TranscriptError: nothing of the transcript is left (empty, or no known character).
        """
        index = self._index
        if self.merges:
            ids = []
            for word in text.split():
                known = "".join(c for c in word if c in index)
                if known:
                    ids += [index[p] for p in segment(known, self._ranks)] + [self.space]
        else:
            ids = [index[c] for c in text if c in index]
        while ids and ids[0] == self.space:
            ids.pop(0)
        while ids and ids[-1] == self.space:
            ids.pop()
        if not ids:
            raise TranscriptError(
                f"{where} {text!r} has no character of the model's alphabet; fix or drop the transcript"
            )
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Text of class indices (blanks skipped, spaces collapsed)."""
        return " ".join("".join(self.symbols[i] for i in ids if i != 0).split())


ENGLISH = Alphabet((BLANK, " ", "'", *"abcdefghijklmnopqrstuvwxyz"))
"""Lower-case English letters and the apostrophe: 29 classes."""


UNWRITABLE_REFERENCE = "they count as errors whatever it hears; a model trained on this language is needed"
UNWRITABLE_TRAINING = (  # {init_from}: the option's name (--init-from in a command)
    "those letters are left out of their targets (a fine-tuned model keeps its alphabet); "
    "train without {init_from} to learn them"
)


def warn_unwritable(texts: Iterable[str], alphabet: Alphabet, kind: str, consequence: str) -> None:
    """Warns once, counting them, of the ``kind`` words of normalised ``texts`` holding letters ``alphabet``
    cannot write (another language's transcripts), saying the ``consequence``; nothing when there are none.
    """
    letters = {c for unit in alphabet.symbols[1:] for c in unit}
    words = [w for text in texts for w in text.split()]
    if bad := sorted({c for w in words for c in w} - letters):
        unwritable = sum(1 for w in words if not set(w) <= letters)
        logger.warning(
            "%d of %d %s words hold letters the model cannot write (%s): %s",
            unwritable,
            len(words),
            kind,
            name_some(bad, quote=True),
            consequence,
        )
