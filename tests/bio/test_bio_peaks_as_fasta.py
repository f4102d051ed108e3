"""A peak file given where FASTA sequences are read (``bio enrich peaks.narrowPeak``, ``bio discover
peaks.bed``, ``bio scan``, ``bio train --positives``) was "text before the first '>' header (...); is this
FASTA? Delete the lines before the first header": deleting them leaves nothing. It is now named as a BED /
peak file of regions, with how to get its sequences (bedtools getfasta) and ``bio train --peaks``. Other text
before the first header keeps the old message (tests/bio/test_bio_fasta_comments.py)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_records, read_sequences
from tests.cli_harness import Outcome, assert_clean_failure

NARROW = "chr1\t100\t300\tp1\t0\t.\t5\t-1\t3\t50\n"
CASES = {
    "peaks.narrowPeak": NARROW,
    "peaks.broadPeak": "chr1\t100\t300\tp1\t0\t.\t5\t-1\t3\n",
    "regions.txt": "track name=peaks\nchr1 100 300\n",  # a track line, space-separated, any name
    "with_header.tsv": "chrom\tstart\tend\tname\nchr1\t100\t300\tp1\n",
    "named.bed": "1\t100\t300\n",  # Ensembl's chromosome names
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_both_fasta_readers_name_a_peak_file(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, CASES[name])
    for read in (read_sequences, lambda p: list(iter_records(p))):
        with pytest.raises(FastaFormatError) as info:
            read(path)
        msg = str(info.value)
        assert msg.startswith(f"{path}: a BED / peak file of regions (") and "not FASTA sequences" in msg, msg
        assert f"bedtools getfasta -fi GENOME.fa -bed {path} -fo peaks.fa" in msg and "Delete" not in msg


def test_a_gzipped_bed_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "peaks.bed.gz"
    path.write_bytes(gzip.compress(NARROW.encode()))
    with pytest.raises(FastaFormatError, match="a BED / peak file of regions"):
        read_sequences(path)


@pytest.mark.parametrize(
    "args",
    [
        ["enrich", "{p}"],
        ["discover", "{p}", "--out", "{out}"],
        ["train", "--positives", "{p}", "--out", "{out}"],
    ],
)
def test_the_commands_say_so_in_one_line(invoke: Any, tmp_path: Path, args: list[str]) -> None:
    path = _write(tmp_path, "peaks.narrowPeak", NARROW)
    outcome: Outcome = invoke("bio", *(a.format(p=path, out=tmp_path / "out") for a in args))
    assert_clean_failure(outcome, 1, "a BED / peak file of regions")
    assert "--peaks" in outcome.stderr and not (tmp_path / "out").exists()


def test_other_text_keeps_the_fasta_message(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.fa", "some notes 1 2\n>a\nACGT\n")
    with pytest.raises(FastaFormatError, match=r"text before the first '>' header .*is this FASTA"):
        read_sequences(path)


NOT_BED = {
    "seq_then_text.txt": "seq 1 2\nthe rest of my notes\n",  # a BED-shaped first line, free text after
    "seq_then_bases.txt": "seq 1 2\nACGTACGTAC\n",
    "seq_then_fasta.fa": "seq 1 2\n>a\nACGT\n",  # FASTA records after it: not a peak file
    "reversed.bed": "chr1\t300\t100\n",  # start > end; the name alone no longer decides
    "fraction.txt": "chr1 1.5 2\n",
    "words.bed": "some notes about peaks\n",
}
BED_TOO = {
    "mixed.txt": "chr1 100 300\nchr1\t400\t500\tp2\n",  # tab or space
    "point.txt": "chr1\t100\t100\n",  # a point: valid BED
    "grange.tsv": "seqnames\tstart\tend\nchr2\t5\t9\n",  # a header naming start and end
    "second_lines.txt": "browser position chr1\ntrack name=x\nchr1 1 2\nchr1 3 4\nchr1 5 6\nchr1 7 8\nchr1 9 10\n",
}


@pytest.mark.parametrize("name", list(NOT_BED))
def test_text_that_is_not_bed_keeps_the_fasta_message(tmp_path: Path, name: str) -> None:
    """Only the first line was looked at, and a .bed name decided alone: ``seq 1 2`` followed by notes was
    named a BED file. Every region line of the first five must now be a BED line (chrom, integer start <=
    end, tab or space separated), with no '>' header among them."""
    path = _write(tmp_path, name, NOT_BED[name])
    for read in (read_sequences, lambda p: list(iter_records(p))):
        with pytest.raises(FastaFormatError) as info:
            read(path)
        msg = str(info.value)
        assert "text before the first '>' header" in msg and "BED" not in msg, msg


@pytest.mark.parametrize("name", list(BED_TOO))
def test_bed_lines_are_named_as_bed(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, BED_TOO[name])
    for read in (read_sequences, lambda p: list(iter_records(p))):
        with pytest.raises(FastaFormatError, match=r": a BED / peak file of regions \("):
            read(path)
