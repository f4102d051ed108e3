"""``finance export`` interrupted while it measures the new export (Ctrl-C, SIGTERM) leaves the earlier
export in the output folder byte for byte (before: the new folder was swapped in first, then measured)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from carrousel.finance.bundle import find_bundle
from carrousel.finance.config import ExportConfig, FinanceConfig
from carrousel.finance.pipeline import export_forecaster, forecast
from tests.folder_swaps import files_in

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
    shutil.copytree(found, out)  # the earlier output, of the same kind
    before = files_in(out)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(deploy, "measure_latency", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_forecaster(
            ExportConfig(model_dir=str(tmp_path / "model"), precision="fp32", eval_days=60), out
        )
    assert files_in(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no staged folder left behind
