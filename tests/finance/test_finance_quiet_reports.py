"""``-q`` prints only warnings and errors once the results are in a folder, and that folder holds every
figure the command prints (``report.json``, its ``--json`` document):

* ``finance export`` printed its size/latency/MAE table even under ``-q``, and the table was never written
  anywhere (on main: no ``report.json``, stdout not empty);
* ``finance train-global -q`` printed its run line and held-out table, whose figures (windows, seconds,
  window store, held-out pinball) the model folder did not hold (on main: no ``report.json``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import FinanceConfig
from carrousel.finance.pipeline import forecast
from tests.finance.test_finance_global import ar_panel, tiny_global_toml

runner = CliRunner()


def test_export_quiet_prints_nothing_and_the_folder_holds_the_report(
    tmp_path: Path, sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",), "sample", end="2010-06-30")
    forecast(replace(cfg, backtest=replace(cfg.backtest, enabled=False)), model_dir=tmp_path / "model")
    base = ["export", "--model-dir", str(tmp_path / "model"), "--precision", "fp32", "--eval-days", "30"]
    quiet = runner.invoke(app, [*base, "-o", str(tmp_path / "q"), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the deployment table and the MAE line
    report = json.loads((tmp_path / "q" / "report.json").read_text(encoding="utf-8"))
    assert report["folder"] == str(tmp_path / "q") and report["precision"] == "fp32"
    assert set(report["latency_ms"]) == {"1", "64"} and report["extra"]["mae_before"] > 0
    shown = runner.invoke(app, [*base, "-o", str(tmp_path / "s")])  # without -q: the table, and the file
    assert shown.exit_code == 0, shown.output
    printed = json.loads((tmp_path / "s" / "report.json").read_text(encoding="utf-8"))
    assert f"{printed['extra']['mae_before']:.6f}" in shown.stdout and "exported to" in shown.stdout


def test_train_global_quiet_prints_nothing_and_the_folder_holds_every_printed_figure(tmp_path: Path) -> None:
    ar_panel(3, 160, seed=5).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(tiny_global_toml(hidden=4))
    args = ["train-global", "--data", str(tmp_path / "panel.csv"), "--config", str(tmp_path / "run.toml"),
            "--holdout-days", "20"]  # fmt: skip
    quiet = runner.invoke(app, [*args, "--model-dir", str(tmp_path / "q"), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the run line and the held-out table
    assert json.loads((tmp_path / "q" / "report.json").read_text())["series"] == 3
    shown = runner.invoke(app, [*args, "--model-dir", str(tmp_path / "s")])
    assert shown.exit_code == 0, shown.output
    doc = json.loads((tmp_path / "s" / "report.json").read_text())
    figures = [
        f"{doc['series']} series", f"{doc['windows']} training windows", f"{doc['epochs']} epoch(s)",
        f"{doc['first_train_loss']:.4f} -> {doc['last_train_loss']:.4f}", f"{doc['seconds']:.1f} s",
        f"{doc['store_mb']:.1f} MB", f"{doc['materialised_mb']:.1f} MB", f"last {doc['holdout_days']} days",
        *(f"{s['pinball']:.4f}" for s in doc["holdout_summary"].values()),
        *(f"{s['rel_mae']:.3f}" for s in doc["holdout_summary"].values()),
        f"state of {doc['aci_series']} series", str(tmp_path / "s"),
    ]  # fmt: skip
    flat = " ".join(shown.stdout.split())
    missing = [f for f in figures if f not in flat]
    assert not missing, (missing, shown.stdout)  # every figure printed is in report.json
    with_json = runner.invoke(app, [*args, "--model-dir", str(tmp_path / "j"), "--json", "-q"])
    assert with_json.exit_code == 0 and json.loads(with_json.stdout)["series"] == 3  # --json: still printed
    written = json.loads((tmp_path / "j" / "report.json").read_text())
    assert written == json.loads(with_json.stdout)
