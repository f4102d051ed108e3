"""Words for messages: a list named in a line of an error or a warning (:func:`name_some`), a count with
its noun in the right number (:func:`counted`), a share as a percentage that never reads as none or all when
it is neither (:func:`percent`); a loaded model's one-line ``repr`` (:func:`model_repr`); a name after "a" or "an" as it
is said (:func:`with_article`).

A message that lists what went wrong names the first few and counts the rest, so that a long list keeps the
line short and a short one does not hide that there were more (``labels 'a', 'b', 'c', 'd', 'e' and 4
more``). Every package builds that phrase here, once, in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError

__all__ = ["counted", "model_repr", "name_some", "percent", "with_article"]


@check_args
def name_some(items: Iterable[object], limit: int = 5, quote: bool = False) -> str:
    """The first ``limit`` of ``items`` joined by commas, then how many were left out.

    ``name_some(["a", "b"])`` is ``"a, b"``; ``name_some("abcdefg", 3)`` is ``"a, b, c and 4 more"``;
    no items give ``""``. Items are shown with ``str`` (``repr`` under ``quote``), in the order given.

    Args:
        items: what to name, in the order to name it (sort it first for a stable message).
        limit: how many to name before counting the rest; at least 1.
        quote: show each with ``repr`` (``'a', 'b'``): for names that may hold spaces, commas or nothing.

    Returns:
        The phrase, without surrounding punctuation.

    Raises:
        ConfigError: ``limit`` is below 1.
    """
    if limit < 1:
        raise ConfigError(f"name_some: limit={limit} names nothing; give limit=1 or more")
    shown = list(items)
    rest = len(shown) - limit
    text = ", ".join(repr(x) if quote else str(x) for x in shown[:limit])
    return f"{text} and {rest} more" if rest > 0 else text


@check_args
def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the right number: ``counted(1, "word")`` is ``"1 word"``, ``counted(2, "word")``
    ``"2 words"`` (``plural`` for nouns that do not just take an ``s``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


@check_args
def percent(share: float) -> str:
    """``share`` (a fraction: ``0.48`` for 48%) as a percentage for a message: whole percents where they are
    exact enough, never rounded to ``0%`` or ``100%`` when it is neither.

    ``percent(0.48)`` is ``"48%"``; ``percent(0.0028)`` is ``"0.28%"`` (two significant digits below 1%,
    where ``"%.0f%%"`` wrote ``"0%"``); ``percent(1e-5)`` is ``"<0.01%"``; ``percent(0.997)`` is
    ``"99.7%"``; ``percent(0.99999)`` is ``">99.9%"``; ``0`` and ``1`` are ``"0%"`` and ``"100%"``.

    Args:
        share: the part over the whole, from 0 to 1 (NaN or a value outside is shown as ``.0f`` of it).

    Returns:
        The percentage with its ``%`` sign, without surrounding words.
    """
    p = 100 * share
    if math.isnan(p) or not 0 < p < 100:
        return f"{p:.0f}%"
    if p < 0.01:
        return "<0.01%"
    if p < 1:
        return f"{p:.2g}%"
    if p >= 99.95:
        return ">99.9%"
    return f"{p:.1f}%" if p >= 99.5 else f"{p:.0f}%"


def model_repr(obj: object, **fields: Any) -> str:
    """``Name(field=value, ...)``: one line for a loaded model's ``__repr__`` (a notebook cell showed
    ``<... object at 0x7f...>``; its bundle, network and arrays are left out)."""
    return f"{type(obj).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"


_VOWEL_LETTERS = "aeiou"
_VOWEL_NAMED = "aefhilmnorsx"  # letters whose spoken name starts with a vowel sound: "an nlp", "an hmm"


def with_article(name: str) -> str:
    """``name`` after "a" or "an" by the sound it starts with: ``an nlp.lm``, ``an nlp.sentiment``
    (an initialism, a part without a vowel, is spelled out: "en-el-pee"), ``an ensemble``, ``a bio.danq``.

    Example:
        >>> with_article("nlp.lm"), with_article("bio.danq"), with_article("ensemble")
        ('an nlp.lm', 'a bio.danq', 'an ensemble')
    """
    head = "".join(c for c in name.split(".")[0].split("_")[0].lower() if c.isalpha())
    spelled = head and not any(c in _VOWEL_LETTERS + "y" for c in head)  # said letter by letter
    first = head[:1]
    vowel = first in _VOWEL_NAMED if spelled else bool(first) and first in _VOWEL_LETTERS
    return f"{'an' if vowel else 'a'} {name}"
