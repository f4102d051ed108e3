"""How a reused finance model was fitted: the bundle records it (``assets.train.precision``), and a bundle
written before that record, whose ``[train] precision`` named the forecasts' arithmetic alone (fitting was
float32 then), is not said to be trained in bf16: its ``trained_precision`` is null (unknown), unless its
config says fp32, which both eras fitted in."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.cli import app

TINY = ["--horizon", "3", "--lookback", "10", "--epochs", "1", "--hidden", "8", "--members", "1"]
runner = CliRunner()


def _without_record(model: Path, out: Path) -> Path:
    """``model`` saved again as a bundle written before the training-precision record (no assets.train)."""
    core = ForecasterBundle.from_pretrained(model).to_bundle()
    replace(core, assets={k: v for k, v in core.assets.items() if k != "train"}).save(out)
    return out


def _reuse(model: Path, *extra: str) -> dict[str, object]:
    done = runner.invoke(app, ["forecast", "AAPL", "--source", "sample", "--model-dir", str(model), *extra])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout) if "--json" in extra else {"text": " ".join(done.stdout.split())}


def test_a_bundle_records_its_fitting_precision(sample_source: Path, tmp_path: Path) -> None:
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"), *TINY]
    assert runner.invoke(app, [*args, "--no-backtest", "--precision", "bf16"]).exit_code == 0
    manifest = json.loads((tmp_path / "m" / "bundle.json").read_text())
    assert manifest["assets"]["train"] == {"precision": "bf16"}  # before: no record beside the config
    doc = _reuse(tmp_path / "m", "--json")
    assert (doc["trained_precision"], doc["precision"]) == ("bf16", "fp32")


def test_an_older_bf16_config_bundle_is_not_said_to_be_trained_in_bf16(
    sample_source: Path, tmp_path: Path
) -> None:
    """Before: such a bundle (fitted in fp32, its config's bf16 the forecasts') reported trained_precision
    "bf16" and "trained in bf16" in its table line; now null and "an unrecorded precision"."""
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"), *TINY]
    assert runner.invoke(app, [*args, "--no-backtest", "--precision", "bf16"]).exit_code == 0
    old = _without_record(tmp_path / "m", tmp_path / "old")
    doc = _reuse(old, "--json")
    assert doc["trained_precision"] is None and doc["precision"] == "fp32", doc
    assert "(trained in an unrecorded precision, forecasting in fp32)" in _reuse(old)["text"]


def test_an_older_fp32_config_bundle_was_fitted_in_fp32(sample_source: Path, tmp_path: Path) -> None:
    args = ["forecast", "AAPL", "--source", "sample", "--model-dir", str(tmp_path / "m"), *TINY]
    assert runner.invoke(app, [*args, "--no-backtest"]).exit_code == 0
    doc = _reuse(_without_record(tmp_path / "m", tmp_path / "old"), "--json", "--precision", "bf16")
    assert (doc["trained_precision"], doc["precision"]) == ("fp32", "bf16")
