"""An aligned FASTA (``-`` gaps) or one ending in ``*``: the error named the record and position but not
the file (with ``--positives`` and ``--negatives``, which one?) nor what to do.

The fix depends on what the file is. A training (or evaluation) FASTA read whole is told to remove them;
a streamed file is a genome (``bio train --peaks ... --genome``, a plain gzip one read whole) or a FASTA
scanned for hits, whose positions are coordinates: it was told to remove the gaps too, which shifts every
later position, and is now told to write them as N."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_chunks, read_sequences
from carrousel.bio.genome import Genome

SEQ = "ACGTTGCA" * 10
TO_N = "sed '/^>/!s/[^ACGTNacgtn]/N/g'"


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("-", "an alignment gap: remove the gaps"),
        (".", "an alignment gap"),
        ("*", "a stop or end-of-sequence mark"),
    ],
)
def test_a_gap_or_stop_in_training_sequences_names_the_file_and_the_fix(
    tmp_path: Path, bad: str, hint: str
) -> None:
    path = tmp_path / "aligned.fa"
    path.write_text(f">a\n{SEQ}\n>b\n{SEQ[:20]}{bad}{SEQ[21:]}\n")
    with pytest.raises(FastaFormatError) as whole:
        read_sequences(path)
    text = str(whole.value)
    assert text.startswith(f"{path}: record 'b', position 21: invalid character '{bad}'")
    assert hint in text and "\n" not in text, text


@pytest.mark.parametrize("bad", ["-", ".", "*"])
def test_a_gap_in_a_streamed_file_is_written_as_n_not_removed(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "aligned.fa"
    path.write_text(f">a\n{SEQ}\n>b\n{SEQ[:20]}{bad}{SEQ[21:]}\n")
    with pytest.raises(FastaFormatError) as streamed:
        list(iter_chunks(path))
    text = str(streamed.value)
    assert text.startswith(f"{path}: record 'b', position 21: invalid character '{bad}'"), text
    fix = f"write each as N, which keeps every position (the hits' coordinates): sed -i {TO_N[4:]} {path}"
    assert text.endswith(fix) and "remove" not in text and "\n" not in text, text  # was: remove the gaps


def test_a_plain_gzip_genome_read_whole_names_the_n_fix(tmp_path: Path, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    seq = lcg_dna(600, 3)
    path = tmp_path / "genome.fa.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(f">chr1\n{seq[:300]}-{seq[301:]}\n")
    with pytest.raises(FastaFormatError) as exc:
        Genome.open(path)
    text = str(exc.value)
    assert text.startswith(f"{path}: record 'chr1', position 301: invalid character '-'"), text
    fix = (
        f"write each as N, which keeps every position (the peaks' coordinates): zcat {path} | {TO_N} | bgzip"
    )
    assert fix in text and "remove" not in text and "\n" not in text, text


def test_bio_scan_of_a_file_with_a_gap_names_the_n_fix(tmp_path: Path) -> None:
    path = tmp_path / "g.fa"
    path.write_text(f">chr1\n{SEQ * 3}\n{SEQ[:30]}-{SEQ[31:]}\n")
    result = CliRunner().invoke(app, ["scan", "-m", "MA0139.2", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "position 271: invalid character '-'" in lines[0], lines
    assert "(the hits' coordinates)" in lines[0] and "remove" not in lines[0], lines
