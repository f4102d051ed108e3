"""``finance export --distill H``: a student of ``H`` units trained on the full ensemble's forecasts over the
training windows, calibrated again and exported; its held-out pinball loss stays within a stated tolerance
of the full ensemble's, the ONNX bundle reproduces the eager student and forecasts through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.core.train import predict
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.cli import app
from carrousel.finance.config import ExportConfig, FinanceConfig
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.pipeline import forecast

runner = CliRunner()


def test_distilled_export_is_small_keeps_pinball_matches_the_student_and_forecasts(
    tmp_path: Path, sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",), "sample", end="2010-06-30")
    cfg = replace(
        cfg,
        model=replace(cfg.model, hidden_size=16),
        train=replace(cfg.train, epochs=3, patience=2),
        backtest=replace(cfg.backtest, enabled=False),
    )
    model, out = tmp_path / "model", tmp_path / "student"
    forecast(cfg, model_dir=model)
    args = ["export", "--model-dir", str(model), "-o", str(out), "--precision", "fp32", "--eval-days", "60"]
    res = runner.invoke(app, [*args, "--distill", "4", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    student = doc["extra"]["distilled"]
    assert student["hidden_size"] == {"before": 16, "after": 4}
    assert student["members"] == {"before": 2, "after": 1} and len(student["students"]) == 1
    assert doc["parameters"] == student["parameters"]["after"] < student["parameters"]["before"] / 10
    assert "held out" in doc["metric_note"] and "distilled student, deployed" in doc["metric_note"]
    assert student["windows"]["train"] > 0 and "pinball" in student["teacher_val"]
    # stated tolerance: the held-out pinball loss within 5% of the full ensemble's with 1/10 of its weights
    assert doc["after"] <= doc["before"] * 1.05, (doc["before"], doc["after"])
    small = ForecasterBundle.from_pretrained(out)
    assert small.config.model.hidden_size == 4 and small.config.model.members == 1
    runtime, net = small.fitted.runtime, small.fitted.model.eval()
    assert runtime is not None and net.members[0].encoder.config.hidden_size == 4
    x = (
        np.random.default_rng(0)
        .standard_normal((33, cfg.window.lookback, net.config.member.encoder.input_size))
        .astype(np.float32)
    )
    np.testing.assert_allclose(predict(runtime, x, 16), predict(net, x, 16), atol=1e-4)  # ONNX = eager
    res = runner.invoke(
        app,
        ["forecast", "AAPL", "--source", "sample", "--end", "2010-06-30", "--model-dir", str(out), "--json"],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["forecasts"][0]["rows"]
    assert json.loads(res.stdout)["reused_bundle"] and len(rows) == 3


def test_distill_options_are_checked() -> None:
    with pytest.raises(FinanceConfigError, match="one of them"):
        ExportConfig(model_dir="m", prune=0.5, distill=8)
    with pytest.raises(FinanceConfigError, match=r"^distill=-1: give the student's hidden units"):
        ExportConfig(model_dir="m", distill=-1)
    assert runner.invoke(app, ["export", "--model-dir", "m", "-o", "x", "--distill", "-1"]).exit_code == 2
