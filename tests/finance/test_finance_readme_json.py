"""The `--json` keys the finance README's Commands section lists are the keys each command prints.

The lists were written from one run of each command and nothing held them to the CLI (evaluate's rows
without `--per-step` were not listed at all). Each command runs here on tiny inputs: the global model the
predict tests build, and one backtest (one network, one epoch, 20 origins) whose run folder evaluate
reads; forecast (one member, one epoch, no backtest) saves the model export reads, and train-global
trains on the predict tests' tiny panel; the samples commands are tests/test_readme_json_samples.py's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.finance import data as data_mod
from carrousel.finance.cli import app
from tests.finance.conftest import STOCKS
from tests.finance.test_finance_global import ar_panel, saved_global_model
from tests.readme_json import differences

runner = CliRunner()
PER_STEP = "`--json` with `--per-step`"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny global model and its table, and a tiny backtest's run folder (its `--json` kept beside it)."""
    folder = tmp_path_factory.mktemp("readme_json")
    panel, model = saved_global_model(folder, ar_panel(3, 120, seed=3))
    tiny = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--members", "1"]
    tiny += ["--test-days", "20", "--refit-every", "20", "--no-ensemble"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data_mod, "_sample_file", lambda: STOCKS)
        done = runner.invoke(
            app, ["backtest", "AAPL", "--source", "sample", *tiny, "-o", str(folder / "run"), "--json"]
        )
        assert done.exit_code == 0, done.output
        (folder / "backtest.json").write_text(done.stdout, encoding="utf-8")
        fit = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--members", "1"]
        fit += ["--no-backtest", "--model-dir", str(folder / "fm"), "--json"]
        done = runner.invoke(
            app,
            ["forecast", "AAPL", "--source", "sample", *fit],
        )
    assert done.exit_code == 0, done.output
    (folder / "forecast.json").write_text(done.stdout, encoding="utf-8")
    return {
        "panel": panel,
        "model": model,
        "run": folder / "run",
        "backtest": folder / "backtest.json",
        "forecast": folder / "forecast.json",
        "forecaster": folder / "fm",
    }


def _tiny(folder: Path) -> Path:
    """A `--config` file for one epoch of an 8-unit, one-member network (lookback 10, horizon 3)."""
    path = folder / "tiny.toml"
    path.write_text(
        "[window]\nlookback = 10\nhorizon = 3\n[model]\nhidden_size = 8\nmembers = 1\n[train]\nepochs = 1\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("command", "marker", "args"),
    [
        (
            "finance predict",
            "`--json`",
            lambda r, tmp: ["--data", str(r["panel"]), "--model-dir", str(r["model"])],
        ),
        ("finance evaluate", "`--json`", lambda r, tmp: [str(r["run"])]),
        ("finance evaluate", PER_STEP, lambda r, tmp: [str(r["run"]), "--per-step"]),
        ("finance backtest", "`--json`", "backtest"),
        ("finance forecast", "`--json`", "forecast"),
        (
            "finance export",
            "`--json`",
            lambda r, tmp: ["--model-dir", str(r["forecaster"]), "-o", str(tmp / "x"), "--eval-days", "20"],
        ),
        (
            "finance train-global",
            "`--json`",
            lambda r, tmp: [
                "--data",
                str(r["panel"]),
                "--model-dir",
                str(tmp / "g"),
                "--config",
                str(_tiny(tmp)),
            ],
        ),
    ],
    ids=["predict", "evaluate", "evaluate-per-step", "backtest", "forecast", "export", "train-global"],
)
def test_readme_lists_the_json_keys_the_command_prints(
    command: str,
    marker: str,
    args,
    runs: dict[str, Path],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    if isinstance(args, str):  # the fixture's own run
        doc = json.loads(runs[args].read_text(encoding="utf-8"))
    else:
        done = runner.invoke(app, [*command.split()[1:], *args(runs, tmp_path), "--json"])
        assert done.exit_code == 0, done.output
        doc = json.loads(done.stdout)
    assert differences("finance", command, doc, marker) == []


def test_readme_lists_the_per_step_keys_of_evaluates_rows(runs: dict[str, Path]) -> None:
    """Each row of `finance evaluate --json`'s `runs` holds `per_step`, a list the README lists apart."""
    done = runner.invoke(app, ["evaluate", str(runs["run"]), "--json"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)["runs"]
    per_step = [step for row in rows for step in row["per_step"]]
    assert per_step
    assert differences("finance", "finance evaluate", per_step, "Each row's `per_step`") == []
