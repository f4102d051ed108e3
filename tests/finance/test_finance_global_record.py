"""``finance train-global``'s model folder is a record a user can re-run from: the bundle's ``config`` holds
the settings the command read (taken back as ``--config`` unchanged) and its ``run`` asset the ``--data``
table and ``--holdout-days`` given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.frames import Forecaster
from tests.cli_harness import record_toml
from tests.finance.test_finance_global import ar_panel, tiny_global_toml

runner = CliRunner()


def _train_global(*args: str) -> dict[str, Any]:
    out = runner.invoke(app, ["train-global", *args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_a_global_model_records_its_table_and_held_out_days_and_is_taken_back(tmp_path: Path) -> None:
    """Fails on main: the bundle named neither --data nor --holdout-days, and its config held [data]
    tickers = ["AAPL"], source = "auto"... (defaults train-global never read) and [backtest] refit_every...,
    which train-global's --config refuses ("[data] tickers = ["AAPL"]: not used by finance train-global")."""
    ar_panel(4, 220).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(tiny_global_toml(epochs=2) + '[data]\ncalendar = "XNYS"\n')
    first = _train_global("--data", str(tmp_path / "panel.csv"), "--model-dir", str(tmp_path / "m1"),
                          "--holdout-days", "30", "--config", str(tmp_path / "run.toml"))  # fmt: skip
    saved = json.loads((tmp_path / "m1" / "bundle.json").read_text())["assets"]
    assert saved["run"] == {"data": str(tmp_path / "panel.csv"), "holdout_days": 30}
    assert saved["config"]["data"] == {"calendar": "XNYS"}  # no placeholder tickers, source...
    assert not {"enabled", "test_days", "refit_every", "warm_refit_epochs"} & set(saved["config"]["backtest"])
    assert Forecaster.from_pretrained(tmp_path / "m1").bundle.config.data.calendar == "XNYS"  # still loads
    (tmp_path / "record.toml").write_text(record_toml(saved["config"]))
    run = saved["run"]
    again = _train_global("--data", run["data"], "--model-dir", str(tmp_path / "m2"),
                          "--holdout-days", str(run["holdout_days"]), "--config", str(tmp_path / "record.toml"))  # fmt: skip
    assert again["holdout"] == first["holdout"] and again["holdout_days"] == 30
    assert json.loads((tmp_path / "m2" / "bundle.json").read_text())["assets"]["config"] == saved["config"]


def test_a_python_train_global_saves_what_the_command_saves(tmp_path: Path) -> None:
    """Fails on main: ``train_global(...).bundle.save(dir)`` from Python wrote no ``run`` asset and a config
    of placeholder ``[data]`` values (tickers = ["AAPL"], source = "auto"...) and walk-forward ``[backtest]``
    settings the command never reads; only ``finance train-global`` recorded them (a second copy of the
    save). The pipeline's result now carries the record: a path is recorded as given, a frame as null."""
    from dataclasses import replace

    from carrousel.finance.config import BacktestConfig, FinanceConfig, load_config
    from carrousel.finance.multiseries import train_global

    table, toml = tmp_path / "panel.csv", tmp_path / "run.toml"
    ar_panel(3, 160).to_csv(table, index=False)
    toml.write_text(tiny_global_toml() + '[data]\ncalendar = "XNYS"\n')
    _train_global("--data", str(table), "--model-dir", str(tmp_path / "cli"), "--holdout-days", "20",
                  "--config", str(toml))  # fmt: skip
    cli = json.loads((tmp_path / "cli" / "bundle.json").read_text())["assets"]
    cfg = load_config(toml, replace(FinanceConfig(), backtest=BacktestConfig(auto_baselines=False)))
    train_global(table, cfg, holdout_days=20).bundle.save(tmp_path / "py")
    py = json.loads((tmp_path / "py" / "bundle.json").read_text())["assets"]
    assert py["run"] == cli["run"] == {"data": str(table), "holdout_days": 20}
    assert py["config"] == cli["config"] and py["config"]["data"] == {"calendar": "XNYS"}
    frame = train_global(ar_panel(3, 160), cfg).bundle
    frame.save(tmp_path / "frame")
    saved = json.loads((tmp_path / "frame" / "bundle.json").read_text())["assets"]
    assert saved["run"] == {"data": None, "holdout_days": 0}
    assert saved["config"]["data"] == {"calendar": "XNYS"}
    assert Forecaster.from_pretrained(tmp_path / "py").bundle.run == cli["run"]  # loaded back, kept


def test_forecaster_fit_saves_the_run_record_train_global_saves(tmp_path: Path) -> None:
    """Fails on main: ``Forecaster.fit(df).save(dir)`` wrote no ``run`` asset and the full config, placeholder
    ``[data]`` (tickers = ["AAPL"], source = "auto"...) and walk-forward ``[backtest]`` settings included,
    which ``finance train-global --config`` refuses; ``train_global(df)`` recorded the frame's run. It now
    saves what ``train_global`` saves for the same frame and settings."""
    from carrousel.finance.config import load_config
    from carrousel.finance.multiseries import train_global

    (tmp_path / "run.toml").write_text(tiny_global_toml() + '[data]\ncalendar = "XNYS"\n')
    cfg = load_config(tmp_path / "run.toml")
    frame = ar_panel(3, 160)
    Forecaster.fit(frame, cfg).save(tmp_path / "fit")
    train_global(frame, cfg).bundle.save(tmp_path / "global")
    fit, glob = (json.loads((tmp_path / d / "bundle.json").read_text())["assets"] for d in ("fit", "global"))
    assert fit["run"] == glob["run"] == {"data": None, "holdout_days": 0}
    assert fit["config"]["data"] == {"calendar": "XNYS"}  # no placeholder tickers, source...
    assert not {"enabled", "test_days", "refit_every", "warm_refit_epochs"} & set(fit["config"]["backtest"])
    assert fit["config"] == glob["config"]
    assert Forecaster.from_pretrained(tmp_path / "fit").bundle.run == {"data": None, "holdout_days": 0}
