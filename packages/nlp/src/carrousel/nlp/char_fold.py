"""Characters a tokenizer never saw, folded to ones it knows (``fold="unknown"``).

A tokenizer trained on ASCII text reads every character outside its alphabet as ``[UNK]``: the curly
apostrophe a phone keyboard types (``I don’t`` -> ``don [UNK] t``), curly quotes, dashes, accented letters
(``café``), a line break. The alphabet here is every character of every vocabulary entry, the specials left
out (a BPE, unigram or word tokenizer also knows the space its ``▁`` marks; the same definition for all four
kinds). Before tokenization, after the emoji are named (:mod:`carrousel.nlp.emoji_names`), each character
the alphabet lacks (after the tokenizer's own NFKC and lowercasing: ``É`` is known where ``é`` is; a letter
with combining marks is read whole, as NFKC composes it) is replaced by its fold when every character of the
fold is known; otherwise it stays as written (``[UNK]``).
A character the alphabet holds is never touched, so a text of known characters is byte-identical (a text
without ``[UNK]`` stays as written), and a model trained on curly quotes keeps reading them.

The fold of a character (a base character with the combining marks that follow it):

* typographic: ``’ ‘ ‚ ‛ ′`` -> ``'``; ``“ ” „ ‟ ″ « »`` -> ``"``; ``– — ― ‒ −`` -> ``-``; ``…`` -> ``...``
  (NFKC already gives that); any whitespace (line break, tab; NBSP, thin and ideographic spaces NFKC already
  makes spaces) -> a space; the invisible zero-width space, word joiner, BOM and soft hyphen -> nothing;
* a letter: Unicode NFKD with the combining marks removed (``é`` -> ``e``, ``ñ`` -> ``n``, ``Å`` -> ``A``);
  a letter NFKD leaves whole stays (``ß``, ``æ``, ``ø``, Greek, Cyrillic and CJK letters without marks).

A sentiment bundle records the reading as the asset ``fold`` (``unknown``; absent or ``none``: no folding,
bundles before it read as they were). What folding leaves ``[UNK]`` the network reads or not by the asset ``unk``
(:data:`UNK_MODES`: ``keep``, or ``drop``, left out before it; absent: keep), kept here beside ``fold`` so
that the config can check it without the pipeline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["FOLD_MODES", "UNK_MODES", "CharFolder", "fold_candidate"]

FOLD_MODES = ("unknown", "none")  # a sentiment bundle's asset ``fold``; absent: none (bundles before it)
# a sentiment bundle's asset ``unk``: what prediction does with the [UNK] ids left; absent: keep
UNK_MODES = ("keep", "drop")

_TABLE = {
    **dict.fromkeys("\u2019\u2018\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2013\u2014\u2015\u2012\u2212", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u200b\u2060\ufeff\u00ad", ""),
}


def fold_candidate(unit: str) -> str | None:
    """What one character (with its combining marks) folds to, before the alphabet is asked; None: no fold.

    Example:
        >>> fold_candidate("’"), fold_candidate("é"), fold_candidate("ß")
        ("'", 'e', None)
    """
    base = unit[0]
    if base in _TABLE:
        return _TABLE[base]
    if base.isspace():
        return " "
    if unicodedata.category(base).startswith("L"):
        plain = "".join(c for c in unicodedata.normalize("NFKD", unit) if not unicodedata.combining(c))
        return plain if plain and plain != unit else None
    return None


def _units(text: str) -> Iterable[str]:
    """Each character of ``text`` with the combining marks that follow it."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            yield text[start:i]
            start = i


class CharFolder:
    """Folds the characters an alphabet lacks (see the module); callable on a text.

    Args:
        alphabet: the characters the vocabulary holds (as its normaliser writes them).
        normalize: the tokenizer's normaliser (NFKC, lowercasing), applied before the alphabet is asked.
    """

    def __init__(self, alphabet: Iterable[str], normalize: Callable[[str], str]) -> None:
        self.alphabet = frozenset(alphabet)
        self._normalize = normalize
        self._done: dict[str, str] = {}  # unit -> what it becomes
        # characters that stay as written alone (known once normalised: ``A`` where ``a`` is known); a text of
        # only these is returned as it is, after one C-speed scan for any other character
        same = sorted(
            c
            for c in {*self.alphabet, *map(chr, range(128))}
            if not unicodedata.combining(c) and self._known(c)
        )
        kept = "".join(re.escape(c) for c in same)
        self._other = re.compile(f"[^{kept}]" if kept else "(?s).")

    def _known(self, text: str) -> bool:
        return all(c in self.alphabet for c in self._normalize(text))

    def _fold(self, unit: str) -> str:
        if unit not in self._done:
            folded = fold_candidate(unit) if not self._known(unit) else None
            self._done[unit] = folded if folded is not None and self._known(folded) else unit
        return self._done[unit]

    def __call__(self, text: str) -> str:
        """``text`` with each unknown character replaced by its known fold; all else byte for byte."""
        if self._other.search(text) is None:  # every character plain (a C-speed scan): most texts end here
            return text
        return "".join(self._fold(unit) for unit in _units(text))
