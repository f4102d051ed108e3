"""A FASTA holding GenBank/EMBL line numbers (``1 acgtacgtac gtacgt...``, sequence text copied from a
record's ORIGIN) was told to write each digit as N, "which keeps every position": but the numbers are no
positions, and as N they shift every later base (the hits' coordinates). The fix named now removes them.
A training or evaluation FASTA read whole (``--positives``) named no fix at all for a digit; it names the
same removal."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_chunks, read_sequences

SEQ = "acgttgcaac gttgcaacgt tgcaacgttg"


@pytest.mark.parametrize("packed", [False, True])
def test_digits_in_a_scanned_fasta_are_told_to_be_removed_not_written_as_n(
    tmp_path: Path, packed: bool
) -> None:
    text = f">chr1\n        1 {SEQ}\n       31 {SEQ}\n"
    path = tmp_path / ("g.fa.gz" if packed else "g.fa")
    if packed:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    with pytest.raises(FastaFormatError) as exc:
        list(iter_chunks(path))
    message = str(exc.value)
    assert message.startswith(f"{path}: record 'chr1', position 1: invalid character '1'"), message
    edit = "sed '/^>/!s/[0-9[:blank:]]//g'"
    fix = f"zcat {path} | {edit} | bgzip" if packed else f"sed -i {edit[4:]} {path}"
    assert "line numbers" in message and fix in message, message
    assert "write each as N" not in message and "\n" not in message, message


def test_other_bad_letters_keep_the_n_fix(tmp_path: Path) -> None:
    path = tmp_path / "g.fa"
    path.write_text(">chr1\nACGTXACGT\n")
    with pytest.raises(FastaFormatError, match="write each as N, which keeps every position"):
        list(iter_chunks(path))


def test_digits_in_a_fasta_read_whole_name_their_removal(tmp_path: Path) -> None:
    path = tmp_path / "pos.fa"
    path.write_text(f">a\n{SEQ.upper().replace(' ', '')}\n>b\n1 {SEQ}\n")
    with pytest.raises(FastaFormatError) as exc:
        read_sequences(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: record 'b', position 1: invalid character '1'"), message
    assert message.endswith("remove the digits, e.g. sed '/^>/!s/[0-9]//g')"), message


def test_digits_in_an_indexed_genome_are_told_to_be_removed_not_written_as_n(tmp_path: Path) -> None:
    """A genome read by position (``bio train --peaks --genome``, indexed) named the N fix for a line number:
    the fix of the streaming reader above is the one for it too."""
    from carrousel.bio.genome import Genome

    path = tmp_path / "g.fa"
    path.write_text(f">chr1\n        1 {SEQ}\n       31 {SEQ}\n")  # one line width: indexed, read by position
    with Genome.open(path) as genome, pytest.raises(FastaFormatError) as exc:
        genome.fetch("chr1", 0, 20)
    message = str(exc.value)  # read by position, the line's first byte (a blank) is position 1
    assert message.startswith(f"{path}: record 'chr1', position 1: invalid character ' '"), message
    assert "line numbers" in message and f"sed -i '/^>/!s/[0-9[:blank:]]//g' {path}" in message, message
    assert "write each as N" not in message, message


@pytest.mark.parametrize(("start", "end"), [(15, 25), (20, 40)])
def test_blanks_of_genbank_text_read_by_position_are_told_to_be_removed(
    tmp_path: Path, start: int, end: int
) -> None:
    """``bio train --peaks --genome`` reads a window by position (pyfaidx): one inside a GenBank line holds
    the blanks between blocks of bases but no digit, and was told to write each as N (shifting every later
    base), naming the letter after the blank as the invalid one; the removal of the digits is the fix, and
    the blanks go with them (read by position, a blank is a base too)."""
    from carrousel.bio.genome import Genome

    path = tmp_path / "g.fa"
    path.write_text(f">chr1\n        1 {SEQ}\n       31 {SEQ}\n")
    with Genome.open(path) as genome, pytest.raises(FastaFormatError) as exc:
        genome.fetch("chr1", start, end)
    message = str(exc.value)
    # the blank after "        1 acgttgcaac", not the letter after it
    assert "position 21: invalid character ' '" in message, message
    assert "line numbers" in message and f"sed -i '/^>/!s/[0-9[:blank:]]//g' {path}" in message, message
    assert "write each as N" not in message and "\n" not in message, message


def test_a_blank_beside_another_bad_letter_keeps_the_n_fix(tmp_path: Path) -> None:
    path = tmp_path / "g.fa"
    path.write_text(">chr1\nACGT ACGT XACGT\n")
    with pytest.raises(FastaFormatError, match="write each as N, which keeps every position"):
        list(iter_chunks(path))
