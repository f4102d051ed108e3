"""The ``finance`` command line through typer's CliRunner (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import carrousel.finance.data as data_mod
from carrousel.finance.cli import app

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "2", "--hidden", "8", "--test-days", "40",
        "--refit-every", "20"]  # fmt: skip

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "carrousel-finance" in result.output


def test_forecast_json_plot_and_evaluate(sample_source: Path, tmp_path: Path) -> None:
    args = ["forecast", "AAPL", "--source", "sample", *TINY, "--quantiles", "0.05,0.95", "--json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run"), "--plot", str(tmp_path / "fan.png")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tickers"] == ["AAPL"] and doc["sample_data"] is True
    assert doc["data"][0]["label"].startswith("SAMPLE DATA") and doc["data"][0]["last_date"] == "2010-12-31"
    rows = doc["forecasts"][0]["rows"]
    assert len(rows) == 3 and list(rows[0]["quantiles"]) == ["p5", "p50", "p95"]
    models = [s["model"] for s in doc["backtest"]["scores"]]
    assert models[0] == "lstm" and {"random_walk", "drift", "zero_return", "arima", "ensemble"} <= set(models)
    assert doc["verdict"].startswith("lstm beats random walk: ")
    assert (tmp_path / "fan.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run" / "run.json").exists() and (
        tmp_path / "run" / "model" / "model.safetensors"
    ).exists()

    shown = runner.invoke(app, ["evaluate", str(tmp_path / "run")])
    assert shown.exit_code == 0, shown.output
    assert "random_walk" in shown.output and "beats random walk" in shown.output


def test_forecast_table_reuses_model_dir(sample_source: Path, tmp_path: Path) -> None:
    args = [
        "forecast",
        "MSFT",
        "--source",
        "sample",
        *TINY,
        "--model-dir",
        str(tmp_path / "m"),
        "--no-ensemble",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "SAMPLE DATA" in first.output and "random_walk" in first.output and "saved to" in first.output
    second = runner.invoke(app, args)
    assert (
        second.exit_code == 0 and "reused" in second.output and "saved model's training run" in second.output
    )


def test_backtest_command_with_csv_and_toml(stocks_csv: Path, tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text('[model]\narch = "gru"\n\n[backtest]\nwindow = "rolling"\ntrain_days = 500\n')
    result = runner.invoke(
        app, ["backtest", "AAPL", "--csv", str(stocks_csv), *TINY, "--config", str(toml), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sample_data"] is False and doc["backtest"]["windows"] == 40
    assert doc["model"] == "gru" and doc["backtest"]["scores"][0]["model"] == "gru"


def test_unreachable_yahoo_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    def offline(*args: Any, **kwargs: Any) -> pd.DataFrame:
        return pd.DataFrame()

    monkeypatch.setattr(yfinance, "download", offline)
    monkeypatch.setattr(data_mod, "yahoo_reachable", lambda timeout=3.0: False)
    monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path))
    result = runner.invoke(app, ["forecast", "AAPL"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unreachable" in lines[0] and "--source sample" in lines[0], result.output
    assert "Traceback" not in result.output


def test_bad_options_are_one_line_errors(sample_source: Path) -> None:
    result = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", "--quantiles", "0.1,1.5"])
    assert result.exit_code == 1 and "quantiles" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["forecast", "NOPE", "--source", "sample"])
    assert result.exit_code == 1 and "NOPE is not in the sample data" in result.output


def test_forecast_without_backtest_still_plots(sample_source: Path, tmp_path: Path) -> None:
    args = [
        "forecast",
        "AAPL",
        "--source",
        "sample",
        *TINY,
        "--no-backtest",
        "--plot",
        str(tmp_path / "f.png"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "backtest: not run" in result.output and (tmp_path / "f.png").stat().st_size > 10_000
