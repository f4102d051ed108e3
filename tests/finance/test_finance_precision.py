"""``finance forecast|backtest --precision``: the forecasting networks' arithmetic end to end (fitting under
core's autocast with float32 weights, calibration and forecasts), from the flag or a ``--config`` file's
``[train] precision``, with one-line errors for what cannot run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from carrousel.finance.cli import app
from tests.cli_harness import Outcome, assert_clean_failure
from tests.finance.test_cli import NO_BACKTEST, TINY  # the same tiny run, with and without its backtest

runner = CliRunner()


def _scores(doc: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {row["model"]: row for row in doc["backtest"]["scores"]}


def _one_line_error(args: list[str], code: int, needle: str) -> None:
    result = runner.invoke(app, args)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == code and len(lines) == 1, result.output
    assert needle in lines[0], lines[0]


def test_bf16_backtest_scores_as_fp32(stocks_csv: Path, tmp_path: Path) -> None:
    """The same seeds fitted and scored in fp32 and in bf16 (fitting, calibration and forecasts under
    autocast): the network's MAE and pinball loss within 5 % of fp32's, the baselines unchanged, the JSON
    naming the precision; bf16 given by the --config file."""
    toml = tmp_path / "bf16.toml"
    toml.write_text('[train]\nprecision = "bf16"\n\n[backtest]\nauto_baselines = false\n')
    base = ["backtest", "AAPL", "--csv", str(stocks_csv), *TINY, "--json"]
    fp32 = runner.invoke(app, [*base, "--config", str(toml), "--precision", "fp32"])  # the flag wins
    bf16 = runner.invoke(app, [*base, "--config", str(toml)])
    assert fp32.exit_code == 0 and bf16.exit_code == 0, fp32.output + bf16.output
    docs = json.loads(fp32.stdout), json.loads(bf16.stdout)
    assert [d["precision"] for d in docs] == ["fp32", "bf16"]
    full, half = _scores(docs[0]), _scores(docs[1])
    for metric in ("mae", "pinball"):
        assert half["lstm"][metric] == pytest.approx(full["lstm"][metric], rel=0.05)
        assert half["random_walk"][metric] == full["random_walk"][metric]  # no network: untouched
    assert half["lstm"]["pinball"] != full["lstm"]["pinball"]  # bf16 did run


def test_bf16_trained_model_holds_float32_weights_and_loads(sample_source: Path, tmp_path: Path) -> None:
    """``forecast --precision bf16`` fits the networks under bf16 autocast: the bundle records it, holds
    float32 weights, and forecasts again in fp32 like any other, the JSON naming both precisions."""
    from carrousel.finance.bundle import ForecasterBundle

    model = tmp_path / "m"
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(model), "--json"]
    trained = runner.invoke(app, [*args, *NO_BACKTEST, "--precision", "bf16"])
    assert trained.exit_code == 0, trained.output
    doc = json.loads(trained.stdout)
    assert doc["trained_precision"] == "bf16" and doc["config"]["train"]["precision"] == "bf16"
    saved = ForecasterBundle.from_pretrained(model)
    assert saved.config.train.precision == "bf16"
    assert all(p.dtype == torch.float32 for p in saved.fitted.model.parameters())
    again = runner.invoke(app, [*args, "--precision", "fp32"])
    assert again.exit_code == 0, again.output
    reused = json.loads(again.stdout)
    assert reused["reused_bundle"] and reused["trained_precision"] == "bf16"
    assert reused["config"]["train"]["precision"] == "fp32"  # this run's forecasts
    rows = [list(r["quantiles"].values()) for r in reused["forecasts"][0]["rows"]]
    assert np.isfinite(rows).all() and len(rows) == 3


def test_fp16_leaves_no_output_folder(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """fp16 on the CPU: one error line before any work, no run or model folder left; --help of the train
    commands says the option is the training arithmetic (predict's: its forecasts only)."""
    out, model = tmp_path / "run", tmp_path / "m"
    for args in (["backtest", "AAPL", "--source", "sample", "--out", out],
                 ["forecast", "AAPL", "--source", "sample", "--model-dir", model, "--out", out]):  # fmt: skip
        assert_clean_failure(
            invoke("finance", *args, *TINY, "--precision", "fp16"), 1, "use --precision bf16"
        )
        assert not out.exists() and not model.exists()
    for command in ("forecast", "backtest", "train-global"):
        text = " ".join(runner.invoke(app, [command, "--help"]).output.split())
        assert "--precision" in text and "Training arithmetic" in text, text
    assert "Training arithmetic" not in " ".join(runner.invoke(app, ["predict", "--help"]).output.split())


def test_bf16_forecast_of_a_saved_model_close_to_fp32(sample_source: Path, tmp_path: Path) -> None:
    """A model trained once forecasts again with bf16: every price quantile moves by under 2 % of the fp32
    forecast's narrowest p10-p90 interval."""
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"), "--json"]
    assert runner.invoke(app, [*args, *NO_BACKTEST]).exit_code == 0
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


def test_fp16_refusal_says_the_forecasts_run_on_the_cpu(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """Before: ``finance forecast --precision fp16 --device cuda`` said "--precision fp16 needs a CUDA or MPS
    device", the device the user had just named (and would say so on a GPU machine too: the forecasts run
    on the CPU whatever --device fits them). Now every finance command names the real reason, in one line."""
    panel = tmp_path / "panel.csv"
    df = pd.read_csv(sample_source).rename(columns={"Ticker": "unique_id", "Date": "ds", "Adj Close": "y"})
    df[["unique_id", "ds", "y"]].to_csv(panel, index=False)
    runs = (
        ["forecast", "AAPL", "--source", "sample", *TINY, "--device", "cuda"],
        ["backtest", "AAPL", "--source", "sample", *TINY, "--device", "cuda"],
        ["train-global", "--data", str(panel), "--model-dir", str(tmp_path / "g"), "--device", "cuda"],
    )
    for args in runs:
        outcome = invoke("finance", *args, "--precision", "fp16")
        assert_clean_failure(outcome, 1, "forecasts run on the CPU")
        assert "needs a CUDA" not in outcome.stderr and "use --precision bf16" in outcome.stderr, args
    assert not (tmp_path / "g").exists()
    tiny = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--members", "1"]
    trained = invoke(
        "finance", "train-global", "--data", str(panel), "--model-dir", str(tmp_path / "g"), *tiny
    )
    assert trained.code == 0, trained.stderr
    outcome = invoke(
        "finance", "predict", "--data", str(panel), "--model-dir", str(tmp_path / "g"), "--precision", "fp16"
    )
    assert_clean_failure(outcome, 1, "forecasts run on the CPU")


def test_a_reuse_in_another_precision_says_both(sample_source: Path, tmp_path: Path) -> None:
    """Before: a bf16-trained --model-dir reused with the default fp32 printed "model bundle reused DIR"
    alone (the JSON had trained_precision, the table nothing). Now the table names both arithmetics when
    they differ, and only then."""
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m")]
    assert runner.invoke(app, [*args, *NO_BACKTEST, "--precision", "bf16"]).exit_code == 0
    fp32, bf16 = (runner.invoke(app, [*args, "--precision", p]) for p in ("fp32", "bf16"))
    assert fp32.exit_code == 0 and bf16.exit_code == 0, fp32.output + bf16.output
    assert "(trained in bf16, forecasting in fp32)" in " ".join(fp32.stdout.split()), fp32.stdout
    assert "trained in" not in bf16.stdout, bf16.stdout
