"""A diverged finance fit (``[train] lr`` far too large, in fp32 or bf16): the trainer skips the steps whose
loss or gradient is not finite, but a finite step of that size already left NaN/inf weights. Before:
``finance forecast`` blamed the prices ("the last 30 days hold values the network cannot use; check the
prices"), ``train-global`` named the NaN weights with no fix. Now one line saying the training diverged and
naming ``[train] lr``, exit 1, and no model folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_harness import Outcome, assert_clean_failure

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "2", "--hidden", "8", "--members", "1", "-q"]


@pytest.mark.parametrize(
    ("command", "precision"), [("forecast", "fp32"), ("forecast", "bf16"), ("train-global", "fp32")]
)
def test_a_diverged_fit_is_named_and_nothing_is_saved(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome], command: str, precision: str
) -> None:
    """The cases whose seeded fit reaches NaN weights at this rate (bf16 train-global stays finite there)."""
    toml = tmp_path / "lr.toml"
    toml.write_text("[train]\nlr = 1e30\n")
    panel = tmp_path / "panel.csv"
    df = pd.read_csv(sample_source).rename(columns={"Ticker": "unique_id", "Date": "ds", "Adj Close": "y"})
    df[["unique_id", "ds", "y"]].to_csv(panel, index=False)
    model = tmp_path / "m"
    args = {
        "forecast": ["forecast", "AAPL", "--source", "sample", "--no-backtest", "--model-dir", str(model)],
        "train-global": ["train-global", "--data", str(panel), "--model-dir", str(model)],
    }[command]
    outcome = invoke("finance", *args, *TINY, "--precision", precision, "--config", str(toml))
    assert_clean_failure(outcome, 1, "diverged")
    assert "[train] lr" in outcome.stderr and "check the prices" not in outcome.stderr, outcome.stderr
    assert not model.exists()


def _forecast_at_lr(lr: str, tmp_path: Path, invoke: Callable[..., Outcome]) -> tuple[Outcome, Path]:
    """``finance forecast`` of the sample series, its ``--model-dir`` ``tmp_path/m``, ``[train] lr`` from a
    ``--config`` file: the outcome and the model folder."""
    toml = tmp_path / "lr.toml"
    toml.write_text(f"[train]\nlr = {lr}\n")
    model = tmp_path / "m"
    args = ["forecast", "AAPL", "--source", "sample", "--no-backtest", "--model-dir", str(model)]
    return invoke("finance", *args, *TINY, "--config", str(toml)), model


def test_an_overflowing_learning_rate_is_a_divergence(tmp_path: Path, invoke: Callable[..., Outcome]) -> None:
    """``[train] lr = 1e38``: AdamW's first step (lr / (1 - beta1) = 1e39) is past float32's largest value.
    Before: "internal error (RuntimeError: value cannot be converted to type float without overflow)"; now
    core's one diverged line naming ``[train] lr``, exit 1, and no model folder."""
    outcome, model = _forecast_at_lr("1e38", tmp_path, invoke)
    assert_clean_failure(outcome, 1, "the training diverged: optimiser step 1 overflowed the float32 weights")
    assert "lower [train] lr (now 1e+38)" in outcome.stderr and "internal error" not in outcome.stderr
    assert not model.exists()


@pytest.mark.parametrize("variant", [["--distill", "4"], ["--prune", "0.5", "--finetune-epochs", "2"]])
def test_a_diverged_export_variant_is_named_and_nothing_is_saved(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome], variant: list[str]
) -> None:
    """``finance export --distill|--prune`` trains with the forecaster's own ``[train] lr``: 1e10 (set in the
    saved settings: a forecaster trained at that rate is now refused itself) makes a student's loss overflow
    or the pruned members' fine-tuning diverge. Before: --distill wrote the folder, then "a result holds a
    non-finite number (inf)"; --prune blamed the export ("the exported graph differs from the model by nan").
    Now core's one diverged line naming the forecaster's [train] lr and the retraining, exit 1, and no
    export folder."""
    model, out = tmp_path / "m", tmp_path / "x"
    args = ["forecast", "AAPL", "--source", "sample", "--no-backtest", "--model-dir", str(model)]
    assert invoke("finance", *args, *TINY).code == 0
    manifest = model / "bundle.json"
    doc = json.loads(manifest.read_text())
    doc["assets"]["config"]["train"]["lr"] = 1e10
    manifest.write_text(json.dumps(doc))
    export = ["export", "--model-dir", str(model), "-o", str(out), "--precision", "fp32", "--eval-days", "60"]
    outcome = invoke("finance", *export, *variant, "--json", "-q")  # -q: no warning per skipped step
    assert_clean_failure(outcome, 1, "the training diverged")
    assert f"lower [train] lr (now 1e+10) and train the forecaster in {model} again" in outcome.stderr
    assert not out.exists()


def test_a_finite_but_useless_forecaster_is_not_saved(
    sample_source: Path, tmp_path: Path, invoke: Callable[..., Outcome]
) -> None:
    """``[train] lr = 1e10``: finite weights and a finite held-out pinball loss (about 1e21), far above the
    untrained network's. Before: the forecaster was saved and its forecast written (exit 0); now core's one
    diverged line comparing that loss with the untrained model's, naming ``[train] lr``, exit 1, and no
    model folder."""
    outcome, model = _forecast_at_lr("1e10", tmp_path, invoke)
    assert_clean_failure(outcome, 1, "the training diverged: the held-out loss ")
    assert "is more than 10x the untrained model's" in outcome.stderr, outcome.stderr
    assert "lower [train] lr (now 1e+10)" in outcome.stderr and not model.exists(), outcome.stderr
