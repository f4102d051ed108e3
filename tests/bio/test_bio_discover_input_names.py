"""``bio discover few.fa -o motifs/`` trains on SEQUENCES (and ``--control``), but its training data's
errors named ``bio train``'s flags, which the user never typed: "--positives few.fa: 1 usable
sequence(s)...", "--negatives c.fa". They now name the discover command's own inputs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from carrousel.bio.cli import app

SEQ = "ACGTTGCAGGCATTACCGTA" * 10  # 200 bases, the default window


def _rotations(n: int, shift: int) -> dict[str, str]:
    return {f"s{i}": SEQ[i + shift :] + SEQ[: i + shift] for i in range(n)}


def test_too_few_sequences_name_the_sequences_argument(tmp_path: Path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    few = str(write_fasta(tmp_path / "few.fa", _rotations(1, 0)))
    result = CliRunner().invoke(app, ["discover", few, "-o", str(tmp_path / "motifs")])
    assert result.exit_code == 1, result.output
    assert f"SEQUENCES {few}: 1 usable sequence(s)" in result.output, result.output
    assert "--positives" not in result.output and not (tmp_path / "motifs").exists()


def test_too_few_control_sequences_name_the_control_flag(tmp_path: Path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    seqs = str(write_fasta(tmp_path / "s.fa", _rotations(25, 0)))
    control = str(write_fasta(tmp_path / "c.fa", _rotations(2, 100)))
    result = CliRunner().invoke(app, ["discover", seqs, "--control", control, "-o", str(tmp_path / "motifs")])
    assert result.exit_code == 1, result.output
    assert f"--control {control}: 2 usable sequence(s)" in result.output, result.output
    assert "--negatives" not in result.output
