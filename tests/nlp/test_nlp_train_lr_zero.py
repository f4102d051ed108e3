"""``--lr 0`` is a usage error of every nlp train command, as the help's range says (#sweep-nlp-train).
Before: help '[x>=0.0]', then the config's 'lr must be > 0, got 0.0' at exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.nlp.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [["sentiment", "train", "--data"], ["generate", "train", "--text"], ["translate", "train", "--pairs"]],
)
def test_lr_zero_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "d.tsv"
    data.write_text("a\tb\n", encoding="utf-8")
    result = runner.invoke(app, [*command, str(data), "--out", str(tmp_path / "m"), "--lr", "0"])
    assert result.exit_code == 2 and "'--lr'" in result.output and "0 is outside x>0" in result.output
    assert "[x>0]" in runner.invoke(app, [*command[:2], "--help"]).output
    assert not (tmp_path / "m").exists()
