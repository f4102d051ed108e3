"""The known source words of a translator and the word placeholders built on them (kind ``word``,
:mod:`carrousel.nlp.placeholders`): which source words ``nlp translate`` masks and carries over whole.

* ``rare_words`` N: a word whose case-folded form was seen at most N times in the training sources
  (:func:`unknown_to`, the bundle's known words).
* ``caps_names``: an all-caps name (:func:`is_caps_name`: ``TIMEFORMAT``, ``HISTFILE``, ``SHA1``) whose
  case-folded form the training sources never write otherwise than in capitals (:func:`caps_unknown_to`).
  Unmasked, the network spells such a name from other words' subwords (``TIMEFORMAT`` ->
  ``TIMEFORMMATT``). Capitalised words that the sources also write in lower case (``CONFLICT``,
  ``WARNING``) are English words the translators translate (``KONFLIKT``), and stay with the network.

Both share one set, stored in the bundle as :data:`KNOWN_FILE` (:func:`known_words`): with
``caps_names`` it leaves out the words seen only in capitals, so the rare-word predicate also masks
every name the caps rule masks. :func:`bundle_unknown` rebuilds the predicate a bundle was trained with
(a bundle without ``caps_names`` decodes as before the option).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from carrousel.core.args import check_args
from carrousel.nlp.placeholders import WORD_PATTERN

__all__ = [
    "KNOWN_FILE",
    "bundle_unknown",
    "caps_unknown_to",
    "is_caps_name",
    "known_words",
    "unknown_to",
    "word_unknown",
]

KNOWN_FILE = "known_words.json"  # case-folded source words decoded as words (the rest: unseen placeholders)


def is_caps_name(word: str) -> bool:
    """Whether ``word`` is an all-caps name: letters and digits only (no underscore), at least two letters,
    every letter upper case (``TIMEFORMAT``, ``SHA1``; not ``A``, ``A1``, ``HEAD_REF`` or ``Conflict``)."""
    letters = [c for c in word if c.isalpha()]
    return word.isalnum() and "_" not in word and len(letters) >= 2 and all(c.isupper() for c in letters)


@check_args
def known_words(pairs: Sequence[tuple[str, str]], rare: int, caps: bool = False) -> set[str]:
    """The case-folded source words of ``pairs`` seen more than ``rare`` times (with ``caps``: of those,
    the ones seen at least once not written in capitals, see :func:`is_caps_name`)."""
    words = [w for s, _ in pairs for w in WORD_PATTERN.findall(s)]
    counts = Counter(w.casefold() for w in words)
    known = {w for w, n in counts.items() if n > rare}
    return known & {w.casefold() for w in words if not is_caps_name(w)} if caps else known


def unknown_to(known: set[str]) -> Callable[[str], bool]:
    """The placeholder predicate of a known-word set: a word is masked when it is not known."""
    return lambda word: word.casefold() not in known


def caps_unknown_to(known: set[str]) -> Callable[[str], bool]:
    """The placeholder predicate of ``caps_names`` alone: an all-caps name whose case-folded form is not known."""
    return lambda word: is_caps_name(word) and word.casefold() not in known


@check_args
def word_unknown(known: set[str] | None, rare: bool, caps: bool) -> Callable[[str], bool] | None:
    """The word predicate of training: None without a known-word set; the rare-word predicate when ``rare``
    (it covers the caps rule, the set leaving out the words seen only in capitals); else the caps rule."""
    if known is None:
        return None
    return unknown_to(known) if rare or not caps else caps_unknown_to(known)


def bundle_unknown(assets: Mapping[str, Any], files: Mapping[str, bytes]) -> Callable[[str], bool] | None:
    """The word predicate a bundle was trained with (``assets`` and ``files`` of a translator's bundle); a
    bundle from before ``caps_names`` (known words, no ``caps_names`` asset) masks its rare words."""
    stored = files.get(KNOWN_FILE)
    known = set(json.loads(stored.decode("utf-8"))) if stored is not None else None
    caps = bool(assets.get("caps_names", False))
    return word_unknown(known, int(assets.get("rare_words", 0 if caps else 1)) > 0, caps)
