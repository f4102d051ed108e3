"""``finance export`` interrupted while it measures the new export (Ctrl-C, SIGTERM) leaves the earlier
export in the output folder byte for byte (before: the new folder was swapped in first, then measured)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from carrousel.finance.bundle import find_bundle
from carrousel.finance.config import ExportConfig, FinanceConfig
from carrousel.finance.pipeline import export_forecaster, forecast
from tests.folder_swaps import interrupted_while_measured

pytest.importorskip("onnxruntime")


def test_an_export_interrupted_while_measured_keeps_the_earlier_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
) -> None:
    import carrousel.finance.deploy as deploy

    cfg = tiny_config(("AAPL",), "sample", end="2010-06-30")
    forecast(replace(cfg, backtest=replace(cfg.backtest, enabled=False)), model_dir=tmp_path / "model")
    found = find_bundle(tmp_path / "model")
    assert found is not None
    out = tmp_path / "exports" / "out"
    export = ExportConfig(model_dir=str(tmp_path / "model"), precision="fp32", eval_days=60)
    with interrupted_while_measured(monkeypatch, deploy, found, out), pytest.raises(KeyboardInterrupt):
        export_forecaster(export, out)
