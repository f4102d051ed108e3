"""``bio train`` with no training data is a usage error (exit 2) at the command line, as ``nlp sentiment
train`` without data is: it was raised by the data reader (exit 1) after the command had started."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from carrousel.bio.cli import app


def test_train_without_inputs_is_a_usage_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["train", "-o", str(tmp_path / "m")])
    assert res.exit_code == 2, res.output
    assert "--motif" in res.output and "--positives" in res.output and "--peaks" in res.output
    assert not (tmp_path / "m").exists()


def test_a_source_from_the_config_file_is_no_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[data]\npositives = "missing.fa"\n')
    res = CliRunner().invoke(app, ["train", "-o", str(tmp_path / "m"), "--config", str(cfg)])
    assert res.exit_code == 1, res.output  # the file is read: its missing FASTA is the error
    assert "missing.fa" in res.output
