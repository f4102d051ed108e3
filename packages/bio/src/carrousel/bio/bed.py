"""BED / narrowPeak reading (the positive regions of ``bio train --peaks``) and interval merging."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from carrousel.bio.errors import BedFormatError

__all__ = ["Intervals", "merge_intervals", "read_bed"]


def read_bed(path: str | Path) -> list[tuple[str, int, int, int | None]]:
    """Reads BED / narrowPeak intervals: ``(chrom, start, end, summit_offset or None)``.

    Raises:
        BedFormatError: on a missing file, a malformed line (naming the line) or no interval.
    """
    p = Path(path)
    if not p.is_file():
        raise BedFormatError(f"BED file not found: {p}; check the path")
    out = []
    for n, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t") if "\t" in line else line.split()
        try:
            chrom, start, end = f[0], int(f[1]), int(f[2])
            summit = int(f[9]) if len(f) >= 10 and int(f[9]) >= 0 else None
        except (IndexError, ValueError) as exc:
            raise BedFormatError(f"{p}, line {n}: not a BED line (chrom, start, end): {line[:60]!r}") from exc
        if end <= start:
            raise BedFormatError(f"{p}, line {n}: end {end} is not after start {start}")
        out.append((chrom, start, end, summit))
    if not out:
        raise BedFormatError(f"{p}: no intervals found")
    return out


Intervals = dict[str, tuple[np.ndarray, np.ndarray]]
"""Excluded regions per record name: sorted, merged ``(starts, ends)`` arrays, half-open."""


def merge_intervals(intervals: Sequence[tuple[str, int, int]]) -> Intervals:
    """Sorts and merges ``(record, start, end)`` intervals into per-record ``(starts, ends)`` arrays."""
    by_rec: dict[str, list[tuple[int, int]]] = {}
    for rec, a, b in intervals:
        by_rec.setdefault(rec, []).append((int(a), int(b)))
    out: Intervals = {}
    for rec, items in by_rec.items():
        items.sort()
        merged: list[list[int]] = []
        for a, b in items:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        arr = np.array(merged, dtype=np.int64)
        out[rec] = (arr[:, 0], arr[:, 1])
    return out
