"""``finance export --prune F``: every member of the ensemble loses units, is fine-tuned on the history it
was trained on and is calibrated again; the bundle forecasts through ``finance forecast --model-dir`` and the
held-out pinball loss of a learned toy stays within a stated tolerance."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.cli import app
from carrousel.finance.config import ExportConfig, FinanceConfig
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.pipeline import forecast

runner = CliRunner()


@pytest.fixture
def learned(
    tmp_path: Path, sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> tuple[Path, FinanceConfig]:
    """Two 16-unit members trained for up to 8 epochs on AAPL to mid-2010."""
    cfg = tiny_config(("AAPL",), "sample", end="2010-06-30")
    cfg = replace(
        cfg,
        model=replace(cfg.model, hidden_size=16),
        train=replace(cfg.train, epochs=8, patience=3),
        backtest=replace(cfg.backtest, enabled=False),
    )
    forecast(cfg, model_dir=tmp_path / "model")
    return tmp_path / "model", cfg


def test_pruned_export_shrinks_keeps_pinball_and_forecasts(
    tmp_path: Path, learned: tuple[Path, FinanceConfig]
) -> None:
    model, cfg = learned
    out = tmp_path / "pruned"
    args = ["export", "--model-dir", str(model), "-o", str(out), "--precision", "fp32", "--eval-days", "60"]
    res = runner.invoke(app, [*args, "--prune", "0.5", "--finetune-epochs", "3", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    pruned = doc["extra"]["pruned"]
    assert pruned["hidden_size"] == {"before": 16, "after": 8} and len(pruned["members"]) == 2
    assert doc["parameters"] == pruned["parameters"]["after"] < pruned["parameters"]["before"]
    assert all(1 <= m["epochs"] <= 3 for m in pruned["members"])
    assert "held out" in doc["metric_note"] and "pruned one, deployed" in doc["metric_note"]
    # stated tolerance: the held-out pinball loss within 5% of the full ensemble's at half the units
    assert doc["after"] <= doc["before"] * 1.05, (doc["before"], doc["after"])
    assert doc["extra"]["mae_after"] <= doc["extra"]["mae_before"] * 1.05
    small, full = ForecasterBundle.from_pretrained(out), ForecasterBundle.from_pretrained(model)
    assert small.fitted.runtime is not None
    for member in small.fitted.model.members:
        assert member.encoder.config.hidden_size == 8 and member.encoder.rnn.weight_hh_l0.shape == (32, 8)
    assert small.fitted.log_scale is not None and not np.array_equal(
        small.fitted.log_scale, full.fitted.log_scale
    )
    assert small.config.model.hidden_size == 8  # the saved settings say so: a reuse takes them
    again = forecast(replace(cfg, model=small.config.model), model_dir=out)  # through ONNX Runtime
    assert again.reused
    rows = again.forecasts[0].rows
    assert len(rows) == 3 and all(list(r.quantiles.values()) == sorted(r.quantiles.values()) for r in rows)
    ref = forecast(cfg, model_dir=model).forecasts[0].rows
    for a, b in zip(rows, ref, strict=True):  # close to the full ensemble's forecast, not identical
        assert a.quantiles != b.quantiles
        assert a.median == pytest.approx(b.median, rel=0.02)


def test_the_cli_forecasts_with_a_pruned_bundle(tmp_path: Path, learned: tuple[Path, FinanceConfig]) -> None:
    model, _ = learned
    out = tmp_path / "pruned-int8"
    args = ["export", "--model-dir", str(model), "-o", str(out), "--prune", "0.25", "--finetune-epochs", "1"]
    assert runner.invoke(app, [*args, "--eval-days", "20"]).exit_code == 0
    res = runner.invoke(
        app,
        ["forecast", "AAPL", "--source", "sample", "--end", "2010-06-30", "--model-dir", str(out), "--json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["reused_bundle"] and len(doc["forecasts"][0]["rows"]) == 3


def test_prune_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(FinanceConfigError, match="prune"):
        ExportConfig(model_dir="m", prune=1.0)
    with pytest.raises(FinanceConfigError, match="finetune_epochs"):
        ExportConfig(model_dir="m", prune=0.5, finetune_epochs=0)
    res = runner.invoke(app, ["export", "--model-dir", "m", "-o", "x", "--prune", "2"])
    assert res.exit_code == 2
