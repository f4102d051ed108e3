"""An invalid letter in a genome read by position (``bio train --peaks ... --genome``): the error named the
record and position but not the file, nor what to do; and the FASTA fix for a gap (remove it) would shift
every later position of a genome, so the peaks' coordinates would no longer fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.genome import Genome

FIX = (
    "write each as N, which keeps every position (the peaks' coordinates): sed -i '/^>/!s/[^ACGTNacgtn]/N/g'"
)


@pytest.mark.parametrize("bad", ["X", "-"])
def test_an_invalid_letter_names_the_genome_and_the_fix(tmp_path: Path, lcg_dna, bad: str) -> None:  # type: ignore[no-untyped-def]
    seq = lcg_dna(600, 3)
    path = tmp_path / "genome.fa"
    path.write_text(">chr1\n" + "\n".join(seq[i : i + 60] for i in range(0, 300, 60)) + "\n")
    path.write_text(path.read_text() + f"{seq[300:328]}{bad}{seq[329:360]}\n")
    with Genome.open(path) as g, pytest.raises(FastaFormatError) as exc:
        g.fetch("chr1", 250, 350)
    text = str(exc.value)
    assert text.startswith(f"{path}: record 'chr1', position 329: invalid character '{bad}'"), text
    assert FIX in text and str(path) in text.split(FIX)[1] and "remove" not in text and "\n" not in text, text


def test_bio_train_peaks_on_a_genome_with_an_invalid_letter_is_one_line(tmp_path: Path, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    seq = lcg_dna(4_000, 5)
    seq = seq[:2_100] + "X" + seq[2_101:]
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    bed = tmp_path / "p.bed"
    bed.write_text("".join(f"chr1\t{s}\t{s + 100}\n" for s in range(100, 3_800, 150)))
    result = CliRunner().invoke(
        app, ["train", "--peaks", str(bed), "--genome", str(genome), "--window", "50", "--epochs", "1",
              "-o", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{genome}: record 'chr1', position 2101" in lines[0] and FIX in lines[0], (
        lines
    )
