"""``-q`` (errors only, README) prints nothing once the results were written to a file or folder: before,
``finance predict -o FILE -q`` still printed its forecast table and ``finance backtest --out DIR -q`` its
scoreboard. Results that go nowhere else still print under ``-q`` (``forecast`` without ``--out``: its table,
tests/finance/test_cli.py; ``--json``): they are the command's output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.finance.test_cli import TINY
from tests.finance.test_finance_global import ar_panel, saved_global_model

runner = CliRunner()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return saved_global_model(tmp_path_factory.mktemp("quiet"), ar_panel(3, 120, seed=3))


def test_predict_quiet_with_an_out_file_prints_nothing(saved: tuple[Path, Path], tmp_path: Path) -> None:
    panel, model = saved
    base = ["predict", "--data", str(panel), "--model-dir", str(model)]
    quiet = runner.invoke(app, [*base, "-o", str(tmp_path / "f.csv"), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the forecast table
    assert len(pd.read_csv(tmp_path / "f.csv")) == 9  # 3 series x 3 sessions, in the file
    shown = runner.invoke(app, [*base, "-q"])  # no file: the table is the output
    assert shown.exit_code == 0 and "forecasts of 3 series" in shown.stdout
    doc = runner.invoke(app, [*base, "-o", str(tmp_path / "g.csv"), "-q", "--json"])
    assert doc.exit_code == 0 and json.loads(doc.stdout)["out"] == str(tmp_path / "g.csv")


def test_backtest_quiet_with_an_out_folder_prints_nothing(sample_source: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    quiet = runner.invoke(app, ["backtest", "AAPL", "--source", "sample", *TINY, "--out", str(out), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the data line and the scoreboard
    assert (out / "run.json").exists()
