"""The default ``scale`` calibration: one factor for the whole interval, fitted on held-out windows, its log
shrunk halfway to 0; and the ``offsets`` calibration it replaced, still selectable and read from old bundles."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.finance.config import BacktestConfig
from carrousel.finance.conformal import SCALE_SHRINK, apply_calibration, apply_offsets, scale_calibration
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.saved import single_network_config

QS = (0.1, 0.5, 0.9)
Z90 = 1.2815515655446004  # the standard normal's 0.9 quantile (scipy.stats.norm.ppf(0.9))


def _narrow(n: int, horizon: int, width: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal outcomes and quantiles of a normal ``width`` times too narrow, ``(n, H, 3)``."""
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, horizon))
    pred = np.broadcast_to(np.array([-Z90, 0.0, Z90]) / width, (n, horizon, 3)).copy()
    return pred, y


def _coverage(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y >= pred[..., 0]) & (y <= pred[..., -1])))


def test_full_factor_restores_nominal_coverage_and_the_default_applies_half_of_its_log() -> None:
    pred, y = _narrow(4000, 5, width=2.0)
    full = scale_calibration(pred, y, QS, shrink=1.0)
    assert full[:, 1] == pytest.approx(0.0)  # the median is left alone
    assert np.exp(full[0, 0]) == pytest.approx(2.0, rel=0.05)  # the true factor, the same on both sides
    np.testing.assert_allclose(full, full[:1].repeat(5, axis=0))  # and at every horizon
    fresh_pred, fresh_y = _narrow(4000, 5, width=2.0, seed=1)  # new outcomes: coverage 0.80 restored
    before = _coverage(fresh_pred, fresh_y)
    after = _coverage(apply_calibration(fresh_pred, np.zeros((5, 3)), full, QS), fresh_y)
    assert before < 0.55 and after == pytest.approx(0.80, abs=0.02)
    half = scale_calibration(pred, y, QS)  # the default keeps half of the log: sqrt(2) wider
    np.testing.assert_allclose(half, SCALE_SHRINK * full)
    assert np.exp(half[0, 2]) == pytest.approx(np.sqrt(2.0), rel=0.05)


def test_one_factor_for_both_sides_so_held_out_skew_is_not_copied() -> None:
    pred, y = _narrow(4000, 3, width=1.0)
    shifted = y + 0.5  # a held-out stretch that trended up: the upper side misses more, the lower less
    got = scale_calibration(pred, shifted, QS, shrink=1.0)
    assert got[0, 0] == pytest.approx(got[0, 2])  # one factor, no asymmetric shift of the interval
    upper = np.log(np.quantile((shifted - 0.0) / Z90, 0.9))
    lower = np.log(np.quantile((shifted - 0.0) / -Z90, 0.9))
    assert got[0, 0] == pytest.approx((upper + lower) / 2)  # the mean of the two sides' log factors


def test_too_few_windows_leave_the_forecast_unchanged_and_none_means_the_offsets_path() -> None:
    pred, y = _narrow(19, 2, width=2.0)
    assert not scale_calibration(pred, y, QS).any()
    offsets = np.full((2, 3), 0.1)
    np.testing.assert_array_equal(apply_calibration(pred, offsets, None, QS), apply_offsets(pred, offsets))


def test_calibration_is_checked_and_old_configs_read_as_offsets() -> None:
    assert BacktestConfig().calibration == "scale"
    with pytest.raises(FinanceConfigError, match="unknown calibration 'isotonic'; use one of scale, offsets"):
        BacktestConfig(calibration="isotonic")
    old = {"window": {"lookback": 30}, "model": {"members": 3}, "backtest": {"conformal": True}}
    assert single_network_config(old)["backtest"] == {
        "conformal": True,
        "calibration": "offsets",
        "garch_weight": 0.0,  # nor the GARCH combination (test_finance_garch_combination)
    }
    new = {"window": {"lookback": 30}, "backtest": {"calibration": "scale"}}
    assert single_network_config(new)["backtest"] == {"calibration": "scale", "garch_weight": 0.0}
