"""A global model's calibration can be fitted on the earliest share of each series' validation windows
(``[backtest] global_calibration_share``, default 1: all of them), one series' on its own share
(``calibration_share``, default 1); the share is recorded in the bundle, and bundles written before it load
with the calibration they were fitted with (all windows)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.config import (
    GLOBAL_CALIBRATION_SHARE,
    BacktestConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
    for_series,
    load_config,
)
from carrousel.finance.conformal import scale_calibration
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.fitted import ensemble_and_members
from carrousel.finance.frames import Forecaster, frame_series
from carrousel.finance.multiseries import train_global
from carrousel.finance.panel import panel_windows
from carrousel.finance.training import calibrate
from tests.finance.old_bundles import written_without


def _panel(n: int, rows: int = 400) -> pd.DataFrame:
    """``n`` random walks whose volatility doubles halfway through the validation windows (so a calibration
    on their first half differs from one on all of them)."""
    rng = np.random.default_rng(5)
    ds = pd.bdate_range("2012-01-02", periods=rows)
    sigma = np.where(np.arange(rows) > rows - 30, 0.02, 0.01)
    return pd.concat(
        [
            pd.DataFrame({"unique_id": f"S{i}", "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, sigma)))})
            for i in range(n)
        ],
        ignore_index=True,
    )


def _cfg(**backtest: float) -> FinanceConfig:
    return FinanceConfig(
        window=WindowConfig(lookback=10, horizon=2),
        model=ModelConfig(hidden_size=8, members=2),
        train=TrainSettings(epochs=1, patience=1),
        backtest=BacktestConfig(auto_baselines=False, aci_gamma=0.0, garch_weight=0.0, **backtest),
    )


def test_several_series_take_the_global_share_one_series_all_windows() -> None:
    cfg = FinanceConfig()
    assert (cfg.backtest.calibration_share, cfg.backtest.global_calibration_share) == (1.0, 1.0)
    assert GLOBAL_CALIBRATION_SHARE == 1.0
    cfg = replace(cfg, backtest=replace(cfg.backtest, global_calibration_share=0.5))
    assert for_series(cfg, 1) is cfg
    many = for_series(cfg, 8)
    assert (
        many.backtest.calibration_share == 0.5 and many.window.target_scale == cfg.window.global_target_scale
    )
    assert for_series(many, 8) == many and for_series(many, 1) == many  # applied once: the fields hold it
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(FinanceConfigError, match=r"calibration_share=.* must lie in \(0, 1\]"):
            BacktestConfig(global_calibration_share=bad)
    with pytest.raises(FinanceConfigError, match=r"^calibration_share=0.0 must lie in \(0, 1\]"):
        BacktestConfig(calibration_share=0.0)


def test_a_toml_file_sets_the_shares(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[backtest]\nglobal_calibration_share = 0.5\ncalibration_share = 0.7\n", encoding="utf-8")
    bt = load_config(path).backtest
    assert (bt.calibration_share, bt.global_calibration_share) == (0.7, 0.5)


def test_earliest_keeps_the_first_part_of_each_series_validation_windows() -> None:
    cfg = for_series(_cfg(), 3)
    _, series = frame_series(_panel(3), cfg)
    panel = panel_windows(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    assert panel.earliest(1.0) is panel
    half = panel.earliest(0.5)
    assert half.train is panel.train and half.names == panel.names
    start = 0
    rows = []
    for v, w in zip(panel.val_origins, half.val_origins, strict=True):
        assert len(w) == len(v) // 2 and np.array_equal(w, v[: len(w)])  # the earliest half, in order
        rows.append(np.arange(start, start + len(w)))
        start += len(v)
    rows_all = np.concatenate(rows)
    np.testing.assert_array_equal(half.y_val, panel.y_val[rows_all])
    np.testing.assert_array_equal(half.val.origins, panel.val.origins[rows_all])
    np.testing.assert_array_equal(half.val.series, panel.val.series[rows_all])
    np.testing.assert_array_equal(half.val.windows(np.arange(len(half.val))), panel.val.windows(rows_all))


def test_the_global_calibration_is_fitted_on_the_chosen_windows_and_round_trips(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    df = _panel(3)
    new = train_global(df, _cfg(global_calibration_share=0.5)).bundle  # the earliest half
    old = train_global(df, _cfg()).bundle  # the default: all windows
    assert (new.config.backtest.calibration_share, old.config.backtest.calibration_share) == (0.5, 1.0)
    cfg = new.config
    _, series = frame_series(df, cfg)
    panel = panel_windows(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    qs = cfg.model.quantiles
    for bundle, share in ((new, 0.5), (old, 1.0)):  # the same seed: the same networks, only the fit differs
        data = panel.earliest(share)
        ensemble, members = ensemble_and_members(bundle.fitted.model, data.val)
        assert bundle.fitted.log_scale is not None and bundle.fitted.member_log_scale is not None
        np.testing.assert_allclose(bundle.fitted.log_scale, scale_calibration(ensemble, data.y_val, qs))
        np.testing.assert_allclose(
            bundle.fitted.member_log_scale[1], scale_calibration(members[1], data.y_val, qs)
        )
        got = calibrate(bundle.fitted.model, panel, bundle.config, series)[2]
        np.testing.assert_allclose(bundle.fitted.log_scale, got)  # calibrate reads the share from the config
    assert not np.allclose(new.fitted.log_scale, old.fitted.log_scale)  # the later windows moved it
    one = train_global(_panel(1), _cfg(global_calibration_share=0.5)).bundle.config.backtest
    assert one.calibration_share == 1.0  # one series: the one-series setting, all windows
    new.save(tmp_path / "m")
    again = Forecaster.from_pretrained(tmp_path / "m")
    assert again.bundle.config.backtest == new.config.backtest
    np.testing.assert_allclose(again.bundle.fitted.log_scale, new.fitted.log_scale)


def test_a_bundle_written_before_the_share_loads_with_all_windows() -> None:
    torch.set_num_threads(1)
    model = Forecaster.fit(_panel(2, rows=260), _cfg())
    written = written_without(model.bundle, "backtest", ("calibration_share", "global_calibration_share"))
    loaded = ForecasterBundle.from_bundle(written)
    bt = loaded.config.backtest
    assert (bt.calibration_share, bt.global_calibration_share) == (1.0, 1.0)
    assert for_series(loaded.config, 2) == loaded.config  # reusing it as a global model asks for nothing else
    assert loaded.config == model.bundle.config
    np.testing.assert_array_equal(loaded.fitted.log_scale, model.bundle.fitted.log_scale)
