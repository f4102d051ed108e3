"""Zero-length BED intervals (``chr1 100 100``): valid BED, a point between two bases (UCSC stores point
insertions so; bedtools reads one as touching the base on either side). They were refused as 'end is not
after start'. A peak is read as the window centred on its summit or middle, so a point is read as the
window centred on it; a reversed interval is still refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.bed import merge_intervals, read_peaks
from carrousel.bio.data import peak_windows
from carrousel.bio.dna import encode
from carrousel.bio.errors import BedFormatError


def test_a_point_is_read_as_the_window_centred_on_it(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    seq = lcg_dna(2_000, 7)
    fa = write_fasta(tmp_path / "g.fa", {"chr1": seq})
    bed = tmp_path / "p.bed"
    bed.write_text("chr1\t500\t500\nchr1\t0\t0\nchr1\t1000\t1000\tp\t0\t.\t0\t0\t0\t0\nchr1\t700\t900\n")
    peaks = read_peaks(bed)
    assert [(p.start, p.end, p.summit) for p in peaks] == [
        (500, 500, None),
        (0, 0, None),
        (1000, 1000, 0),
        (700, 900, None),
    ]
    w = peak_windows(bed, fa, 100)
    codes = encode(seq)
    assert np.array_equal(w[0], codes[450:550])  # 50 bases either side of the point between 499 and 500
    assert np.array_equal(w[1], np.r_[np.full(50, 4), codes[:50]])  # before the first base: N padded
    assert np.array_equal(w[2], codes[950:1050]) and np.array_equal(w[3], codes[750:850])


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("chr1\t500\t499", "line 1: end 499 is before start 500"),
        (
            "chr1\t500\t500\tp\t0\t.\t0\t0\t0\t1",
            "line 1: summit offset 1 lies outside the peak (0 bases long)",
        ),
    ],
)
def test_a_reversed_interval_or_a_summit_off_a_point_is_refused(
    tmp_path: Path, line: str, needle: str
) -> None:
    bed = tmp_path / "p.bed"
    bed.write_text(line + "\n")
    with pytest.raises(BedFormatError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_peaks(bed)


def test_a_point_excludes_the_base_on_either_side_as_bedtools_reads_it() -> None:
    starts, ends = merge_intervals([("chr1", 100, 100), ("chr1", 0, 0), ("chr1", 300, 400)])["chr1"]
    assert starts.tolist() == [0, 99, 300] and ends.tolist() == [1, 101, 400]


def test_a_point_at_the_chromosome_end_is_read_as_a_point_at_its_start_is(
    tmp_path: Path, write_fasta, lcg_dna, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """A point at position == the chromosome's length (after its last base; valid BED, as UCSC keeps a
    point at chromEnd) was skipped as 'past their chromosome's end', while a point at 0 (before the
    first base) was read; both are now the window centred on them, padded with N off the record."""
    seq = lcg_dna(2_000, 7)
    fa = write_fasta(tmp_path / "g.fa", {"chr1": seq})
    bed = tmp_path / "p.bed"
    bed.write_text("chr1\t2000\t2000\nchr1\t0\t0\nchr1\t2001\t2001\nchr1\t2000\t2001\n")
    with caplog.at_level("WARNING", logger="carrousel"):
        w = peak_windows(bed, fa, 100)
    codes = encode(seq)
    assert len(w) == 2
    assert np.array_equal(w[0], np.r_[codes[1950:], np.full(50, 4)])  # after the last base: N padded
    assert np.array_equal(w[1], np.r_[np.full(50, 4), codes[:50]])
    notes = [r.getMessage() for r in caplog.records]
    assert (
        len(notes) == 1
        and "2 of 4 peaks are centred (summit, else midpoint) past their chromosome's end" in notes[0]
    )
    assert f"(first: {bed}, line 3," in notes[0]  # the point after the end, then the interval starting at it
