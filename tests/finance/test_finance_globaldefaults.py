"""A network trained on several series (a global model) has its own target scale and input scaling
(``[window] global_target_scale`` / ``global_vol_inputs``, chosen on the validation period apart from the
one-series defaults); a saved model records what it was trained with, and bundles written before these
fields load and are reused unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.config import (
    GLOBAL_TARGET_SCALE,
    GLOBAL_VOL_INPUTS,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
    for_series,
    load_config,
)
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.frames import Forecaster
from carrousel.finance.multiseries import train_global
from tests.finance.old_bundles import written_without


def _panel(n: int, rows: int = 260) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ds = pd.bdate_range("2012-01-02", periods=rows)
    return pd.concat(
        [
            pd.DataFrame(
                {"unique_id": f"S{i}", "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))}
            )
            for i in range(n)
        ],
        ignore_index=True,
    )


def _cfg(window: WindowConfig | None = None) -> FinanceConfig:
    return FinanceConfig(
        window=window or WindowConfig(lookback=10, horizon=2),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=1, patience=1),
    )


def test_several_series_take_the_global_settings_one_series_its_own() -> None:
    w = WindowConfig(
        target_scale="ewma", vol_inputs=True, global_target_scale="static", global_vol_inputs=False
    )
    cfg = FinanceConfig(window=w)
    assert for_series(cfg, 1) is cfg
    many = for_series(cfg, 8)
    assert (many.window.target_scale, many.window.vol_inputs) == ("static", False)
    assert for_series(many, 8) == many and for_series(many, 1) == many  # applied once: the fields hold it
    assert (WindowConfig().global_target_scale, WindowConfig().global_vol_inputs) == (
        GLOBAL_TARGET_SCALE,
        GLOBAL_VOL_INPUTS,
    )
    with pytest.raises(FinanceConfigError, match="global target scale"):
        WindowConfig(global_target_scale="garch")


def test_a_toml_file_sets_the_global_settings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[window]\nglobal_target_scale = "static"\nglobal_vol_inputs = true\n', encoding="utf-8")
    w = load_config(path).window
    assert (w.target_scale, w.vol_inputs, w.global_target_scale, w.global_vol_inputs) == (
        "ewma",
        True,
        "static",
        True,
    )


def test_fit_and_train_global_record_the_global_settings_a_single_series_its_own(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    w = WindowConfig(lookback=10, horizon=2, global_target_scale="static", global_vol_inputs=False)
    many = Forecaster.fit(_panel(3), _cfg(w))
    assert (many.bundle.config.window.target_scale, many.bundle.config.window.vol_inputs) == ("static", False)
    assert many.bundle.fitted.window == many.bundle.config.window
    many.save(tmp_path / "m")
    again = Forecaster.from_pretrained(tmp_path / "m")
    assert again.bundle.config.window == many.bundle.config.window
    pd.testing.assert_frame_equal(again.predict(_panel(3)), many.predict(_panel(3)))
    one = train_global(_panel(1), _cfg(w)).bundle.config.window
    assert (one.target_scale, one.vol_inputs) == ("ewma", True)  # one series: the one-series defaults
    glob = train_global(_panel(2), _cfg(w)).bundle.config.window
    assert (glob.target_scale, glob.vol_inputs) == ("static", False)


def test_a_bundle_written_before_the_global_settings_loads_with_its_own(tmp_path: Path) -> None:
    """A global model saved by the previous version (ewma targets, scaled inputs, no ``global_*`` fields)
    reads back with the settings it was trained with as its global ones: reusing it asks for nothing else."""
    torch.set_num_threads(1)
    w = WindowConfig(lookback=10, horizon=2, global_target_scale="ewma", global_vol_inputs=True)
    model = Forecaster.fit(_panel(2), _cfg(w))
    old = written_without(model.bundle, "window", ("global_target_scale", "global_vol_inputs"))
    loaded = ForecasterBundle.from_bundle(old)
    win = loaded.config.window
    assert (win.target_scale, win.vol_inputs, win.global_target_scale, win.global_vol_inputs) == (
        "ewma",
        True,
        "ewma",
        True,
    )
    assert for_series(loaded.config, 2) == loaded.config
