"""BED / narrowPeak reading (the positive regions of ``bio train --peaks``) and interval merging.

The file is read through :func:`carrousel.core.files.read_text` (a regular, readable, non-empty UTF-8
text file, gzip when it ends in ``.gz``, no NUL bytes, lines under 100,000 characters); ``track``,
``browser`` and ``#`` lines are skipped, and so is one header line without ``#`` (a spreadsheet's or R's
``chrom  start  end  name``, UCSC's ``chrom  chromStart  chromEnd``) when it comes before every interval and
its start and end columns are column names (a letter or ``_``, then letters, digits, ``_`` or ``.``; not
``NA`` nor a number such as ``nan``) and it has as many columns as the first interval: an info line names
it. Every other line must hold ``chrom start end`` with integer
coordinates, ``0 <= start <= end``, and a narrowPeak summit offset (column 10, ``-1`` for none) inside the
peak (column 10 is a summit on a narrowPeak line: 10 columns, or more whose first 10 have narrowPeak's
types, as pipelines that append columns write; in BED12 and gappedPeak, told apart by their blockSizes and
blockStarts comma lists in columns 11 and 12, it is blockCount, and such a peak is read by its middle); the
first line that does not is a :class:`~carrousel.bio.errors.BedFormatError` naming the file, the line and,
where a column of a BED line is wrong, the column (a float start: write it as an integer). A zero-length
interval (``start == end``) is valid BED: a point between bases ``start - 1`` and ``start`` (UCSC's point
insertions). A peak is used as the window centred on its summit or middle, so a
point is the window centred on it (its only summit offset is 0); as a region to keep background windows
off, a point covers the base on either side, as bedtools reads one. Whether a peak lies on its chromosome is checked against the genome
(:mod:`carrousel.bio.validation`).

A bigBed (ENCODE's ``bigBed narrowPeak``, a track hub's peaks) is recognised by its magic whatever its
name and read by :mod:`carrousel.bio.bigbed`: each record becomes the BED line it was made from and is
checked as above, its position in the file standing for the line number (``record N`` in messages).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from carrousel.bio.bigbed import bigbed_lines, is_bigbed
from carrousel.bio.errors import BedFormatError
from carrousel.core.encodings import file_lines
from carrousel.core.errors import DataError
from carrousel.core.files import read_text
from carrousel.core.paths import user_path

__all__ = ["Intervals", "Peak", "merge_intervals", "read_bed", "read_peaks"]

logger = logging.getLogger(__name__)

_MAX_LINE = 100_000
_NARROWPEAK_COLUMNS = 10  # narrowPeak's columns; column 10 is its summit offset
_BLOCK_LIST = re.compile(r"\d+(,\d+)*,?")  # BED12's blockSizes / blockStarts: "100,100," or "100"
_STRANDS = frozenset("+-.")
_COLUMN_NAME = re.compile(r"[A-Za-z_][\w.]*")  # a header's start / end: "start", "chromStart", "x.start"
# names no column: R's NA, and the words among _COLUMN_NAME's that float() reads as numbers (any case)
_NOT_NAMES = frozenset({"na", "nan", "inf", "infinity"})


class Peak(NamedTuple):
    """One BED line: the record, half-open ``[start, end)``, the summit offset and the 1-based line
    (a bigBed's: the record's position in the file)."""

    chrom: str
    start: int
    end: int
    summit: int | None  # offset of the summit from start (narrowPeak column 10), None: the middle
    line: int

    @property
    def centre(self) -> int:
        """The base a peak's window is centred on: its summit, else its middle (``start + (end - start) // 2``)."""
        return self.start + (self.summit if self.summit is not None else (self.end - self.start) // 2)


def read_peaks(path: str | Path) -> list[Peak]:
    """Reads BED / narrowPeak intervals (text, gzip or bigBed) with their line (bigBed: record) numbers.

    Raises:
        BedFormatError: the file cannot be read as text or as a bigBed, a line is not an interval
            (naming the line), or no interval is found.
    """
    p = user_path(path)
    if not (p.exists() or p.is_symlink()):
        raise BedFormatError(f"BED file not found: {p}; check the path")
    where = "record" if is_bigbed(p) else "line"
    if where == "record":
        lines = bigbed_lines(p)
    else:
        try:
            lines = file_lines(read_text(p, "BED file", "BED", max_line=_MAX_LINE))
        except DataError as exc:
            raise BedFormatError(str(exc)) from None
    out: list[Peak] = []
    header: tuple[int, str, int] | None = None  # a skipped header line: its number, text and column count
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t") if "\t" in line else line.split()
        while len(f) > 3 and not f[-1].strip():  # a trailing tab adds no column
            f.pop()
        if where == "line" and not out and header is None and _is_header(f):
            header = (n, line, len(f))
            continue
        try:
            chrom, start, end = f[0].strip(), int(f[1]), int(f[2])
            summit = _summit(f)
        except (IndexError, ValueError):
            hint = (
                "; remove header lines or start them with '#'"
                if where == "line" and not out and not header
                else ""
            )
            why = _bad_column(f) or f"not a BED line (chrom, start, end as integers): {line[:60]!r}{hint}"
            raise BedFormatError(f"{p}, {where} {n}: {why}") from None
        if start < 0:
            raise BedFormatError(f"{p}, {where} {n}: start {start} is negative; BED starts are 0-based, >= 0")
        if end < start:
            raise BedFormatError(f"{p}, {where} {n}: end {end} is before start {start}; swap them")
        if summit < -1:
            raise BedFormatError(
                f"{p}, {where} {n}: summit offset {summit} is negative; narrowPeak's column 10 is the summit's "
                "offset from start, or -1 for none"
            )
        if summit > 0 and summit >= end - start:  # a point (start == end) has the summit offset 0 or none
            raise BedFormatError(
                f"{p}, {where} {n}: summit offset {summit} lies outside the peak ({end - start} bases long)"
            )
        if header and not out:
            _check_header(p, header, len(f))
        out.append(Peak(chrom, start, end, summit if summit >= 0 else None, n))
    if not out:
        raise BedFormatError(f"{p}: no intervals found (only headers or comments)")
    return out


def _summit(f: list[str]) -> int:
    """Column 10 of a BED line as narrowPeak's summit offset (-1: none). A line of exactly 10 columns is
    narrowPeak (a column 10 that is no integer: ValueError). A longer one is narrowPeak with columns appended
    where its first 10 have narrowPeak's types (name, score, strand, three numbers, an integer), and
    columns 11 and 12 are not BED12's (and gappedPeak's) blocks: blockSizes and blockStarts comma lists, the
    first start 0; there column 10 is blockCount. A list without a comma is one block, so two plain integers
    are blocks only with a blockCount of 1: ``150  7  0`` after a narrowPeak line is a summit of 150 and two
    appended numbers (it was read as BED12, its summit lost, since ``7`` and ``0`` pass as one-block lists)."""
    if len(f) < _NARROWPEAK_COLUMNS:
        return -1
    if len(f) == _NARROWPEAK_COLUMNS:
        return int(f[9])
    blocks = [x.strip() for x in f[10:12]]
    listed = all(_BLOCK_LIST.fullmatch(x) for x in blocks) and blocks[1].split(",")[0] == "0"
    if len(blocks) == 2 and listed and ("," in "".join(blocks) or f[9].strip() == "1"):
        return -1  # BED12 / gappedPeak: column 10 is blockCount
    try:
        for x in (f[4], *f[6:9]):
            float(x)
        summit = int(f[9])
    except ValueError:  # not narrowPeak's types: a BED with other columns there, read by its middle
        return -1
    return summit if f[5].strip() in _STRANDS else -1


def _is_header(f: list[str]) -> bool:
    """Whether a line's start and end columns are column names (``start``, ``chromStart``), not numbers
    nor R's ``NA``: a header line a spreadsheet or R wrote without ``#``."""
    return len(f) >= 3 and all(
        _COLUMN_NAME.fullmatch(x) and x.lower() not in _NOT_NAMES for x in (f[1].strip(), f[2].strip())
    )


def _check_header(p: Path, header: tuple[int, str, int], columns: int) -> None:
    """Logs the header line skipped before the first interval, or refuses it when its column count is not
    the interval's (a title line such as ``peaks from sample A``, not a header of these columns)."""
    n, line, count = header
    if count != columns:
        raise BedFormatError(
            f"{p}, line {n}: not a BED line (chrom, start, end as integers): {line[:60]!r}, and not a header of "
            f"the intervals ({count} columns, the first interval {columns}); remove it or start it with '#'"
        )
    logger.info(
        "%s, line %d: skipped the header line %r (its start and end are column names)", p, n, line[:60]
    )


def _bad_column(f: list[str]) -> str | None:
    """Which column of a line that has chrom, start and end but fails to read is wrong, when it is not a
    header: a start or end that is a number not written as an integer (``13781.0``, R's ``1e+05``), or a
    10-column line's summit offset. None for a line that is no BED line at all (a header)."""
    if len(f) < 3:
        return None
    for col, name in ((1, "start"), (2, "end")):
        try:
            int(f[col])
        except ValueError:
            try:
                float(f[col])
            except ValueError:
                return None
            return (
                f"{name} {f[col].strip()!r} is not written as an integer; BED coordinates are whole numbers, "
                "with no decimal point or exponent (R: format(x, scientific = FALSE); pandas: astype(int))"
            )
    return (
        f"column 10 {f[9].strip()!r} is not an integer; on a 10-column (narrowPeak) line it is the summit "
        "offset from start, -1 for none"
    )


def read_bed(path: str | Path) -> list[tuple[str, int, int, int | None]]:
    """Reads BED / narrowPeak intervals: ``(chrom, start, end, summit_offset or None)``.

    Raises:
        BedFormatError: as :func:`read_peaks`.
    """
    return [(c, a, b, s) for c, a, b, s, _ in read_peaks(path)]


Intervals = dict[str, tuple[np.ndarray, np.ndarray]]
"""Excluded regions per record name: sorted, merged ``(starts, ends)`` arrays, half-open."""


def merge_intervals(intervals: Sequence[tuple[str, int, int]]) -> Intervals:
    """Sorts and merges ``(record, start, end)`` intervals into per-record ``(starts, ends)`` arrays.

    A zero-length interval (a point between bases ``start - 1`` and ``start``) covers those two bases, as
    bedtools reads one, so a window that only touches the point overlaps it too.
    """
    by_rec: dict[str, list[tuple[int, int]]] = {}
    for rec, a, b in intervals:
        point = int(a) == int(b)
        by_rec.setdefault(rec, []).append((max(int(a) - point, 0), int(b) + point))
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
