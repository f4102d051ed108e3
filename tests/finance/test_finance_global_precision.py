"""``finance train-global|predict --precision``: the global model fitted, calibrated and scored in bf16
autocast (train-global) and a saved model's forecasts in bf16 (predict), on the real AAPL and MSFT prices of
the committed sample slice, with the one-line error of the other precision commands for fp16 on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_histories
from carrousel.finance.frames import to_frame
from tests.finance.test_finance_global import tiny_global_toml

runner = CliRunner()
TINY = tiny_global_toml(members=2, epochs=2)


@pytest.fixture
def panel(sample_source: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The two real series as a long CSV table and a tiny TOML configuration."""
    frame = to_frame(load_histories(DataConfig(tickers=("AAPL", "MSFT"), source="sample")))
    frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "tiny.toml").write_text(TINY)
    return tmp_path / "panel.csv", tmp_path / "tiny.toml"


def _train(panel: tuple[Path, Path], folder: Path, *extra: str) -> dict[str, object]:
    data, toml = panel
    args = ["train-global", "--data", str(data), "--model-dir", str(folder), "--config", str(toml)]
    out = runner.invoke(app, [*args, "--holdout-days", "60", "--json", *extra])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _predict(data: Path, folder: Path, *extra: str) -> pd.DataFrame:
    out = runner.invoke(app, ["predict", "--data", str(data), "--model-dir", str(folder), "--json", *extra])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["precision"] == (extra[-1] if extra else "fp32")
    return pd.DataFrame(doc["rows"])


def test_bf16_global_model_scores_and_predicts_as_fp32(panel: tuple[Path, Path], tmp_path: Path) -> None:
    """The same seeds fitted in fp32 and in bf16 (autocast: another loss path, still falling) and scored on
    the last 60 real days: the network's pinball loss and MAE within 5 % of fp32's, the baselines identical;
    the fp32 model's bf16 predictions move every quantile by under 2 % of the narrowest fp32 p10-p90
    interval."""
    torch.set_num_threads(1)
    full = _train(panel, tmp_path / "m32")
    half = _train(panel, tmp_path / "m16", "--precision", "bf16")
    assert full["precision"] == "fp32" and half["precision"] == "bf16"
    losses = [[(h["train_loss"], h["val_loss"]) for h in doc["history"]] for doc in (full, half)]  # type: ignore[attr-defined]
    assert losses[0] != losses[1]  # the fit ran under autocast
    first, last = losses[1][0][0], min(loss for loss, _ in losses[1])
    assert last < first  # and learned
    s32, s16 = full["holdout_summary"], half["holdout_summary"]
    assert isinstance(s32, dict) and isinstance(s16, dict)
    for metric in ("pinball", "rel_mae"):
        assert s16["network"][metric] == pytest.approx(s32["network"][metric], rel=0.05)
        assert s16["random_walk"][metric] == s32["random_walk"][metric]  # no network: untouched
    assert s16["network"]["pinball"] != s32["network"]["pinball"]  # bf16 did run
    q32 = _predict(panel[0], tmp_path / "m32")
    q16 = _predict(panel[0], tmp_path / "m32", "--precision", "bf16")
    cols = ["p10", "p50", "p90"]
    a32, a16 = q32[cols].to_numpy(float), q16[cols].to_numpy(float)
    assert list(q16["unique_id"]) == list(q32["unique_id"]) == ["AAPL"] * 3 + ["MSFT"] * 3
    width = (a32[:, -1] - a32[:, 0]).min()
    assert np.isfinite(a16).all() and 0 < np.abs(a16 - a32).max() < 0.02 * width, (a16, a32)
    fp16 = runner.invoke(app, ["predict", "--data", str(panel[0]), "--model-dir", str(tmp_path / "m32"),
                               "--precision", "fp16"])  # fmt: skip
    lines = [ln for ln in fp16.output.splitlines() if ln.strip()]
    assert fp16.exit_code == 1 and len(lines) == 1 and "use --precision bf16" in lines[0], fp16.output


def test_fp16_on_the_cpu_is_one_line(panel: tuple[Path, Path], tmp_path: Path) -> None:
    """fp16 is for GPUs and the global model forecasts on the CPU: train-global refuses it before any work
    (from the flag or the TOML file), naming bf16 (the error of forecast/backtest; predict's is checked
    above)."""
    data, toml = panel
    args = ["train-global", "--data", str(data), "--model-dir", str(tmp_path / "m"), "--config", str(toml)]
    result = runner.invoke(app, [*args, "--precision", "fp16"])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "use --precision bf16" in lines[0], result.output
    assert not (tmp_path / "m").exists()  # nothing trained, nothing written
    (tmp_path / "toml16").write_text('[train]\nprecision = "fp16"\n')
    result = runner.invoke(
        app, ["train-global", "--data", str(data), "--model-dir", str(tmp_path / "m"), "--config",
              str(tmp_path / "toml16")],
    )  # fmt: skip
    assert result.exit_code == 1 and "use --precision bf16" in result.output, result.output


@pytest.mark.parametrize("setting", [["--precision", "fp16"], ["--config", "fp16.toml"]])
def test_fp16_is_refused_before_the_table_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: list[str]
) -> None:
    """The precision is checked at the edge, before any work: before, train-global read the whole --data
    table (a large panel: minutes) and only then refused fp16, and a table that could not be read hid the
    precision error behind its own (here: the missing file's)."""
    monkeypatch.chdir(tmp_path)
    Path("fp16.toml").write_text('[train]\nprecision = "fp16"\n')
    read: list[object] = []
    monkeypatch.setattr("carrousel.finance.frames.read_frame", lambda *a, **_: read.append(a))
    result = runner.invoke(app, ["train-global", "--data", "missing.csv", "--model-dir", "m", *setting])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "use --precision bf16" in lines[0], result.output
    assert read == [] and sorted(p.name for p in tmp_path.iterdir()) == ["fp16.toml"]
