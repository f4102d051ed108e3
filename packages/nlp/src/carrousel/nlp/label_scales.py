"""Whole-number grades (stars, ratings, SST-5 classes) read as a polarity model's labels.

Human-rated sets from other domains come graded: product reviews as 1..5 stars (Amazon, Yelp), film
ratings as 1..10 (IMDb), SST-5 as 0..4, some sets as -1/0/1. A negative/positive model reads them as the
literature builds binary sets from ratings: the low grades negative, the high ones positive, the middle
neither (Zhang et al.'s Amazon and Yelp polarity sets drop 3 stars; Maas et al.'s IMDb set keeps ratings
<= 4 and >= 7; SST-2 is SST-5 without its neutral 2). A model with a ``neutral`` class reads the middle as
neutral; a two-class one drops its rows.

A scale is recognised only when every label is a whole number, the labels reach both of its ends and at
least three distinct values appear: the four scales below have distinct ends, so no set of grades fits
two of them. Any other set of whole numbers (``1, 2``; ``2..5`` without a 1; ``0..2``) is ambiguous and is
refused with the ``--label-map`` of each reading that would fit it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from carrousel.core.args import check_args

__all__ = ["DROP", "SCALES", "Scale", "drops", "fitting_maps", "read_scale", "whole"]


class _Drop(str):
    """The type of :data:`DROP`: equal to ``"-"`` (the bare ``-`` of ``--label-map``), yet told apart from a
    model label that is literally ``-`` (a plain string, which ``--label-map`` writes quoted: ``'neg="-"'``;
    an evaluation's recorded ``label_map`` writes a drop as None, JSON null)."""

    __slots__ = ()


DROP: str = _Drop("-")  # the --label-map target that drops a data label's rows (a bare "-": "3=-")
_WHOLE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Scale:
    """A grading scale and how its grades are read as polarities."""

    name: str  # as the warning names it
    low: int  # the lowest grade
    high: int  # the highest grade
    negative_to: int  # grades low..negative_to are negative
    positive_from: int  # grades positive_from..high are positive; those between are the middle
    rule: str  # whose reading this is, for the warning

    @check_args
    def polarity(self, grade: int) -> str:
        """``negative``, ``positive`` or ``neutral`` (the middle) for a grade of this scale."""
        if grade <= self.negative_to:
            return "negative"
        return "positive" if grade >= self.positive_from else "neutral"

    def parts(self) -> list[tuple[int, int, str]]:
        """``(first, last, polarity)`` of each run of grades read alike: negative, the middle (``neutral``,
        where the scale has one), positive."""
        parts = [(self.low, self.negative_to, "negative")]
        if self.positive_from - self.negative_to > 1:
            parts.append((self.negative_to + 1, self.positive_from - 1, "neutral"))
        return [*parts, (self.positive_from, self.high, "positive")]

    def as_map(self, negative: str, middle: str, positive: str) -> str:
        """The reading as a ``--label-map`` value, e.g. ``1..2=negative,3=-,4..5=positive``."""
        names = {"negative": negative, "neutral": middle, "positive": positive}
        return ",".join(f"{a}={names[p]}" if a == b else f"{a}..{b}={names[p]}" for a, b, p in self.parts())


SCALES = (
    Scale("1..5 stars", 1, 5, 2, 4, "as the Amazon and Yelp polarity sets drop 3 stars"),
    Scale("1..10 ratings", 1, 10, 4, 7, "as Maas et al.'s IMDb set keeps <= 4 and >= 7"),
    Scale("0..4 grades (SST-5)", 0, 4, 1, 3, "as SST-2 is SST-5 without its neutral 2"),
    Scale("-1..1 polarity", -1, 1, -1, 1, "0 is neutral"),
)


def drops(target: str) -> bool:
    """Whether a map's ``target`` is :data:`DROP` (the bare ``-`` of ``--label-map``), not a model label."""
    return isinstance(target, _Drop)


def whole(label: str) -> int | None:
    """The label as a whole number (``"5"``, ``"-1"``, ``"+1"``), or None."""
    text = label.strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def read_scale(values: Sequence[int]) -> Scale | None:
    """The scale whose ends the grades reach, with at least three distinct grades, or None."""
    distinct = set(values)
    if len(distinct) < 3:
        return None
    for scale in SCALES:
        if min(distinct) == scale.low and max(distinct) == scale.high:
            return scale
    return None


def fitting_maps(values: Sequence[int], negative: str, middle: str, positive: str) -> list[str]:
    """The ``--label-map`` values of each reading the grades could have: every scale that holds them all,
    then low/high as two classes (two values) or low/middle/high as three (three values)."""
    distinct = sorted(set(values))
    fixes = [
        f"as {s.name} '{s.as_map(negative, middle, positive)}'"
        for s in SCALES
        if s.low <= distinct[0] and distinct[-1] <= s.high
    ]
    if len(distinct) == 2:
        fixes.append(f"as two classes '{distinct[0]}={negative},{distinct[1]}={positive}'")
    if len(distinct) == 3:
        lo, mid, hi = distinct
        fixes.append(f"as three classes '{lo}={negative},{mid}={middle},{hi}={positive}'")
    return fixes
