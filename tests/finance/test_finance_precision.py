"""``finance forecast|backtest --precision``: core's reduced-precision inference of the forecasting networks
(fitting stays float32), from the flag or a ``--config`` file's ``[train] precision``, with one-line errors
for what cannot run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "2", "--hidden", "8", "--test-days", "40",
        "--refit-every", "20", "--members", "2"]  # fmt: skip

runner = CliRunner()


def _scores(doc: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {row["model"]: row for row in doc["backtest"]["scores"]}


def _one_line_error(args: list[str], code: int, needle: str) -> None:
    result = runner.invoke(app, args)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == code and len(lines) == 1, result.output
    assert needle in lines[0], lines[0]


def test_bf16_backtest_scores_as_fp32(stocks_csv: Path, tmp_path: Path) -> None:
    """The same fits (same seeds, float32 training) scored with fp32 and with bf16 forecasts: the network's
    MAE and pinball loss within 1 % of fp32's, the baselines unchanged; bf16 given by the --config file."""
    toml = tmp_path / "bf16.toml"
    toml.write_text('[train]\nprecision = "bf16"\n\n[backtest]\nauto_baselines = false\n')
    base = ["backtest", "AAPL", "--csv", str(stocks_csv), *TINY, "--json"]
    fp32 = runner.invoke(app, [*base, "--config", str(toml), "--precision", "fp32"])  # the flag wins
    bf16 = runner.invoke(app, [*base, "--config", str(toml)])
    assert fp32.exit_code == 0 and bf16.exit_code == 0, fp32.output + bf16.output
    full, half = _scores(json.loads(fp32.stdout)), _scores(json.loads(bf16.stdout))
    for metric in ("mae", "pinball"):
        assert half["lstm"][metric] == pytest.approx(full["lstm"][metric], rel=0.01)
        assert half["random_walk"][metric] == full["random_walk"][metric]  # no network: untouched
    assert half["lstm"]["pinball"] != full["lstm"]["pinball"]  # bf16 did run


def test_bf16_forecast_of_a_saved_model_close_to_fp32(sample_source: Path, tmp_path: Path) -> None:
    """A model trained once forecasts again with bf16: every price quantile moves by under 2 % of the fp32
    forecast's narrowest p10-p90 interval."""
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"), "--json"]
    assert runner.invoke(app, [*args, *TINY, "--no-backtest"]).exit_code == 0
    fp32, bf16 = (runner.invoke(app, [*args, "--precision", p]) for p in ("fp32", "bf16"))
    assert fp32.exit_code == 0 and bf16.exit_code == 0, fp32.output + bf16.output
    full, half = json.loads(fp32.stdout), json.loads(bf16.stdout)
    assert half["reused_bundle"] and half["config"]["train"]["precision"] == "bf16"

    def quantiles(doc: dict[str, Any]) -> np.ndarray:
        return np.array([list(row["quantiles"].values()) for row in doc["forecasts"][0]["rows"]])

    q32, q16 = quantiles(full), quantiles(half)
    width = (q32[:, -1] - q32[:, 0]).min()
    assert np.isfinite(q16).all() and 0 < np.abs(q16 - q32).max() < 0.02 * width, (q16, q32)


def test_precision_errors_are_one_line(
    sample_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from carrousel.finance.cli import main

    forecast = ["forecast", "AAPL", "--source", "sample", *TINY]
    monkeypatch.setattr(sys, "argv", ["finance", *forecast, "--precision", "int4"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert exit_info.value.code == 2 and len(lines) == 1 and "--precision" in lines[0], lines
    # fp16 is for GPUs and the forecasts run on the CPU: refused before any work, naming bf16
    _one_line_error([*forecast, "--precision", "fp16"], 1, "use --precision bf16")
    toml = tmp_path / "fp16.toml"
    toml.write_text('[train]\nprecision = "fp16"\n')
    _one_line_error(
        ["backtest", "AAPL", "--source", "sample", "--config", str(toml)], 1, "use --precision bf16"
    )
    toml.write_text('[train]\nprecision = "int4"\n')
    _one_line_error(["backtest", "AAPL", "--source", "sample", "--config", str(toml)], 1, "precision")
