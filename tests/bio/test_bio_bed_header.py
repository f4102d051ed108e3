"""A BED whose first line is a header without '#' (a spreadsheet's or R's ``chrom  start  end  name``, UCSC's
``chr  chromStart  chromEnd``) was refused ("not a BED line ...; remove header lines or start them with
'#'"), exit 1, though nothing in it is ambiguous. One such line before every interval, its start and end
column names and its column count the first interval's, is now skipped with an info line naming it; every
other non-interval line keeps the refusal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from carrousel.bio.bed import read_peaks
from carrousel.bio.data import peak_windows
from carrousel.bio.errors import BedFormatError

LOGGER = "carrousel.bio.bed"


@pytest.mark.parametrize(
    "text",
    [
        "chrom\tstart\tend\tname\nchr1\t100\t200\tp1\nchr1\t300\t400\tp2\n",  # a spreadsheet / R export
        "track name=peaks\nbrowser position chr1:1-500\nchr\tchromStart\tchromEnd\nchr1\t100\t200\nchr1\t300\t400\n",
        "seqnames start end\nchr1 100 200\nchr1 300 400\n",  # whitespace-separated, GenomicRanges' names
    ],
)
def test_a_header_of_column_names_is_skipped_with_an_info_line(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    bed = tmp_path / "p.bed"
    bed.write_text(text)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        peaks = read_peaks(bed)
    assert [(p.chrom, p.start, p.end) for p in peaks] == [("chr1", 100, 200), ("chr1", 300, 400)]
    header = next(n for n, line in enumerate(text.splitlines(), 1) if "start" in line.lower())
    assert [p.line for p in peaks] == [header + 1, header + 2]  # line numbers still count the header
    msgs = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(msgs) == 1 and f"{bed}, line {header}: skipped the header line" in msgs[0], msgs


def test_training_windows_are_read_past_the_header(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    fa = write_fasta(tmp_path / "g.fa", {"chr1": lcg_dna(2_000, 3)})
    bed = tmp_path / "p.bed"
    bed.write_text("chrom\tstart\tend\nchr1\t500\t700\n")
    assert peak_windows(bed, fa, 100).shape == (1, 100)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # R's NA is a missing value, not a column name
        (
            "chr1\tNA\tNA\nchr1\t1\t2\n",
            r"line 1: not a BED line .*remove header lines or start them with '#'",
        ),
        ("chr1\tnan\tinf\nchr1\t1\t2\n", r"line 1: start 'nan' is not written as an integer"),
        # a title line, not a header of these columns
        (
            "peaks from sample A\nchr1\t1\t2\n",
            r"line 1: not a BED line .*'peaks from sample A', and not a header",
        ),
        # a second header, or one after an interval
        ("chrom\tstart\tend\nchrom\tstart\tend\nchr1\t1\t2\n", r"line 2: not a BED line"),
        ("chr1\t1\t2\nchrom\tstart\tend\n", r"line 2: not a BED line"),
        # a header and nothing else
        ("chrom\tstart\tend\n", r"no intervals found"),
        # the interval after the header is still checked
        ("chrom\tstart\tend\nchr1\t1.5\t2\n", r"line 2: start '1.5' is not written as an integer"),
    ],
)
def test_other_lines_that_are_no_interval_are_still_refused(tmp_path: Path, text: str, match: str) -> None:
    bed = tmp_path / "p.bed"
    bed.write_text(text)
    with pytest.raises(BedFormatError, match=match):
        read_peaks(bed)
