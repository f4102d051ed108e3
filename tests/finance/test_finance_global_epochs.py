"""``finance train-global --members 2 --epochs 1`` reports 1 epoch (each member's), not 2 (the history holds
every member's epochs one after another, and its length was reported)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.finance.test_finance_global import ar_panel


def test_epochs_are_counted_per_member(tmp_path: Path) -> None:
    ar_panel(2, 120).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text("[window]\nlookback = 10\nhorizon = 2\n[model]\nhidden_size = 4\n")
    base = ["train-global", "--data", str(tmp_path / "panel.csv"), "--config", str(tmp_path / "run.toml")]
    base += ["--members", "2", "--epochs", "1"]
    runner = CliRunner()
    done = runner.invoke(app, [*base, "--model-dir", str(tmp_path / "a"), "--json", "-q"])
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["epochs"] == 1 and doc["members"] == 2 and len(doc["history"]) == 2
    done = runner.invoke(app, [*base, "--model-dir", str(tmp_path / "b"), "-q"])
    assert done.exit_code == 0, done.output
    assert "182 training windows, 1 epoch(s) (each of 2 members)," in done.stdout
