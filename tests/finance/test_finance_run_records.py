"""A finance run folder is a record a user can re-run from: ``run.json`` says which software wrote it
(carrousel, Python, torch, numpy), and its ``config`` is taken back unchanged as ``--config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.cli_harness import record_toml

# a tiny network, no backtest (--test-days and --refit-every are refused beside --no-backtest)
NO_BACKTEST = ["--horizon", "3", "--lookback", "10", "--epochs", "2", "--hidden", "8", "--members", "2",
               "--no-backtest"]  # fmt: skip

runner = CliRunner()


def _forecast(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["forecast", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_run_without_the_backtest_is_taken_back_as_its_config(sample_source: Path, tmp_path: Path) -> None:
    """Fails on main: run.json records [backtest] refit_every = 250 (the default: a run without the backtest
    never reads it) beside enabled = false, and --config refused that file ("[backtest] refit_every = 250:
    not used with [backtest] enabled = false"). The run it makes is the recorded one: the same forecasts."""
    first = _forecast("AAPL", "--source", "sample", *NO_BACKTEST, "--out", str(tmp_path / "r1"))
    recorded = json.loads((tmp_path / "r1" / "run.json").read_text())["config"]
    assert recorded["backtest"]["enabled"] is False and "refit_every" in recorded["backtest"]
    (tmp_path / "run.toml").write_text(record_toml(recorded))
    again = _forecast("--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "r2"))
    assert again["forecasts"] == first["forecasts"] and again["config"] == recorded
    # a value other than the default still does nothing without the backtest: still refused, naming the file
    recorded["backtest"]["refit_every"] = 5
    (tmp_path / "run.toml").write_text(record_toml(recorded))
    refused = runner.invoke(app, ["forecast", "--config", str(tmp_path / "run.toml")])
    assert refused.exit_code == 1 and "[backtest] refit_every = 5: not used with" in refused.output


def test_run_json_records_the_software_that_wrote_it(sample_source: Path, tmp_path: Path) -> None:
    """Fails on main: run.json held no version at all (and its bundle.json carrousel's alone)."""
    from carrousel.core.provenance import run_provenance  # new: not on main

    _forecast("AAPL", "--source", "sample", *NO_BACKTEST, "--out", str(tmp_path / "r"))
    doc = json.loads((tmp_path / "r" / "run.json").read_text())
    assert {k: doc[k] for k in ("carrousel_version", "versions")} == run_provenance()
    assert set(doc["versions"]) == {"python", "torch", "numpy"}
    bundle = json.loads((tmp_path / "r" / "model" / "bundle.json").read_text())
    assert bundle["versions"] == doc["versions"]


def test_a_reuse_run_is_taken_back_as_its_config_with_its_model(sample_source: Path, tmp_path: Path) -> None:
    """Fails on main: a run reusing a saved model (--model-dir) records that model's training settings in
    run.json's config ([train] epochs = 2, [backtest] refit_every = 250...), and --config refused that file
    given back with the same --model-dir ("[train] epochs = 2: not used with --model-dir ..."). Now the run
    it makes is the recorded one: the same forecasts and config; another value is still refused."""
    _forecast("AAPL", "--source", "sample", *NO_BACKTEST, "--out", str(tmp_path / "r1"))
    model = str(tmp_path / "r1" / "model")
    reused = _forecast("AAPL", "--source", "sample", "--model-dir", model, "--out", str(tmp_path / "r2"))
    recorded = json.loads((tmp_path / "r2" / "run.json").read_text())["config"]
    assert reused["reused_bundle"] and recorded["train"]["epochs"] == 2
    (tmp_path / "run.toml").write_text(record_toml(recorded))
    again = _forecast(
        "--config", str(tmp_path / "run.toml"), "--model-dir", model, "--out", str(tmp_path / "r3")
    )
    assert again["forecasts"] == reused["forecasts"] and again["config"] == recorded
    recorded["train"]["epochs"] = 5  # asks for training that a reuse does not do: still refused
    (tmp_path / "run.toml").write_text(record_toml(recorded))
    refused = runner.invoke(app, ["forecast", "--config", str(tmp_path / "run.toml"), "--model-dir", model])
    assert refused.exit_code == 1 and "[train] epochs = 5: not used with --model-dir" in refused.output
