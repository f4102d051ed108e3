"""Which BED column is a summit: only narrowPeak's column 10 (a line of exactly 10 columns). In BED12 and
ENCODE's gappedPeak column 10 is blockCount; it was read as a summit offset, so a BED12 peak's window was
centred ``blockCount`` bases after its start instead of on its middle (exit 0, wrong training windows), and
a blockCount past a short peak's end was refused as a summit outside the peak."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.bed import read_peaks
from carrousel.bio.data import peak_windows
from carrousel.bio.dna import encode
from carrousel.bio.errors import BedFormatError

BED12 = "chr1\t1000\t2000\tgene\t0\t+\t1000\t2000\t0\t2\t100,100,\t0,900,"
GAPPED = "chr1\t300\t340\tpk\t0\t.\t300\t340\t0\t52\t10,10\t0,30\t5.0\t1e-3\t1e-2"


def test_column_10_of_bed12_and_gappedpeak_is_no_summit(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    seq = lcg_dna(3_000, 11)
    fa = write_fasta(tmp_path / "g.fa", {"chr1": seq})
    bed = tmp_path / "p.bed"
    narrow = "chr1\t1000\t2000\tp\t0\t.\t5\t1e-3\t2\t150"
    bed.write_text("\n".join([BED12, GAPPED, narrow, narrow + "\t"]) + "\n")
    assert [p.summit for p in read_peaks(bed)] == [None, None, 150, 150]
    w = peak_windows(bed, fa, 200)
    codes = encode(seq)
    assert np.array_equal(w[0], codes[1400:1600])  # BED12: its middle (1500), not start + blockCount (1002)
    assert np.array_equal(w[1], codes[220:420])  # gappedPeak: its middle (320); blockCount 52 was refused
    assert np.array_equal(w[2], codes[1050:1250]) and np.array_equal(w[3], w[2])  # narrowPeak: the summit


def test_a_negative_summit_other_than_minus_1_is_refused(tmp_path: Path) -> None:
    """narrowPeak's column 10 is an offset from start, -1 for none; -5 was read as 'no summit' (the middle)
    without a word."""
    bed = tmp_path / "p.bed"
    bed.write_text("chr1\t100\t300\tp\t0\t.\t1\t1\t1\t-1\nchr1\t100\t300\tp\t0\t.\t1\t1\t1\t-5\n")
    with pytest.raises(BedFormatError, match=r"line 2: summit offset -5 is negative; .* or -1 for none"):
        read_peaks(bed)


def test_a_narrowpeak_line_with_columns_appended_keeps_its_summit(tmp_path: Path) -> None:
    """Pipelines append columns to narrowPeak (a peak ID, a rank, an IDR score...): a line of 11 or more
    columns whose first 10 have narrowPeak's types was read by its middle, its summit lost, since only a
    line of exactly 10 columns counted. BED12 and gappedPeak (blockSizes / blockStarts comma lists in
    columns 11 and 12, blockCount 1 included) still have no summit; nor has a line whose first 10 columns
    are not narrowPeak's."""
    narrow = "chr1\t1000\t2000\tp\t0\t.\t5\t1e-3\t2\t150"
    lines = [
        narrow + "\tpeak_1",  # 11 columns
        narrow + "\t7\t0.93\tidr",  # 13 columns, numbers among them
        narrow + "\t100\t3",  # 12 numeric columns, the 12th no blockStarts (a BED12 block starts at 0)
        "chr1\t1000\t2000\tgene\t0\t+\t1000\t2000\t0\t1\t1000\t0",  # BED12, one block, no commas
        "chr1\t1000\t2000\tgene\t0\t+\t1000\t2000\t255,0,0\t2\t100,100,\t0,900,",  # BED12, itemRgb r,g,b
        "chr1\t1000\t2000\tp\t0\tstrand?\t5\t1e-3\t2\t150\tx",  # column 6 is no strand: not narrowPeak
        BED12,
        GAPPED,
    ]
    bed = tmp_path / "p.bed"
    bed.write_text("\n".join(lines) + "\n")
    assert [p.summit for p in read_peaks(bed)] == [150, 150, 150, None, None, None, None, None]


def test_an_appended_narrowpeak_summit_is_checked_as_a_summit(tmp_path: Path) -> None:
    """The summit of a narrowPeak line with columns appended is checked as a 10-column line's: -5 or one
    past the peak's end is refused naming the line."""
    bed = tmp_path / "p.bed"
    bed.write_text("chr1\t100\t300\tp\t0\t.\t1\t1\t1\t-5\textra\n")
    with pytest.raises(BedFormatError, match=r"line 1: summit offset -5 is negative"):
        read_peaks(bed)
    bed.write_text("chr1\t100\t300\tp\t0\t.\t1\t1\t1\t250\textra\n")
    with pytest.raises(BedFormatError, match=r"line 1: summit offset 250 lies outside the peak"):
        read_peaks(bed)


def test_a_narrowpeak_line_with_two_appended_integers_ending_in_0_keeps_its_summit(tmp_path: Path) -> None:
    """Before: ``7`` and ``0`` in columns 11 and 12 passed as BED12's one-block blockSizes / blockStarts, so
    the line was read as BED12 by its middle and its summit (150) was lost. Blocks without a comma are one
    block: BED12 only with a blockCount of 1 (the one-block BED12 above still is)."""
    narrow = "chr1\t1000\t2000\tp\t0\t.\t5\t1e-3\t2\t150"
    lines = [
        narrow + "\t7\t0",
        narrow + "\t12\t0\tidr",
        "chr1\t1000\t2000\tgene\t0\t+\t1000\t2000\t0\t1\t1000\t0",  # BED12, one block, no commas
        "chr1\t1000\t2000\tgene\t0\t+\t1000\t2000\t0\t1\t1000,\t0,",  # BED12, one block, commas
        BED12,
    ]
    bed = tmp_path / "p.bed"
    bed.write_text("\n".join(lines) + "\n")
    assert [p.summit for p in read_peaks(bed)] == [150, 150, None, None, None]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("chr1\t13781.0\t13941.0", "start '13781.0' is not written as an integer"),  # pandas' float columns
        ("1\t100\t1e+05", "end '1e+05' is not written as an integer"),  # R's write.table
        (
            "chr1\t100\t300\tp\t0\t.\t5\t-1\t3\t.",
            "column 10 '.' is not an integer; on a 10-column (narrowPeak)",
        ),
    ],
)
def test_the_column_that_fails_is_named_not_a_header_hint(tmp_path: Path, line: str, why: str) -> None:
    """A first line whose start or end is a float, or whose narrowPeak summit is no integer, was 'not a BED
    line ...; remove header lines or start them with #': the fix of a header, not of the column."""
    bed = tmp_path / "p.bed"
    bed.write_text(line + "\n")
    with pytest.raises(BedFormatError) as info:
        read_peaks(bed)
    assert f"{bed}, line 1: {why}" in str(info.value) and "header" not in str(info.value), info.value


def test_a_header_line_still_gets_the_header_hint(tmp_path: Path) -> None:
    """A first line that is no interval and whose start and end are no column names (R's NA) keeps the hint;
    a header of column names is read (tests/bio/test_bio_bed_header.py)."""
    bed = tmp_path / "p.bed"
    bed.write_text("chrom\tNA\tNA\nchr1\t1\t2\n")
    with pytest.raises(BedFormatError, match=r"line 1: not a BED line .*remove header lines"):
        read_peaks(bed)
