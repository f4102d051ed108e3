"""Features, targets and the no-look-ahead guarantee."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.config import FinanceConfig
from carrousel.finance.features import (
    build_series,
    cumulative_targets,
    feature_names,
    fit_scaler,
    make_windows,
    valid_origins,
)
from carrousel.finance.training import fit_at
from carrousel.finance.validation import clean_prices


@pytest.fixture
def frame(raw_aapl: pd.DataFrame) -> pd.DataFrame:
    return clean_prices(raw_aapl, "AAPL", min_history=100)[0]


def test_targets_are_cumulative_log_returns(frame: pd.DataFrame) -> None:
    s = build_series("AAPL", frame)
    origins = np.array([100, 200])
    y = cumulative_targets(s, origins, 3)
    c = frame["close"].to_numpy()
    np.testing.assert_allclose(y[0], np.log(c[101:104] / c[100]))
    np.testing.assert_allclose(np.exp(y[1]) * c[200], c[201:204])  # prices rebuilt from the targets
    assert np.isnan(cumulative_targets(s, np.array([len(c) - 2]), 3)[0, 1:]).all()


def test_windows_end_at_their_origin(frame: pd.DataFrame) -> None:
    s = build_series("AAPL", frame, indicators=True)
    assert s.features.shape == (len(frame), len(feature_names(True)))
    scaled = fit_scaler(s, 500).transform(s.features)
    origins = valid_origins(s, 15, 3)
    assert origins[0] == s.first_valid + 14
    w = make_windows(scaled, origins[:5], 15)
    assert w.shape == (5, 15, 8) and w.dtype == np.float32
    np.testing.assert_array_equal(w[2, -1], scaled[origins[2]])
    np.testing.assert_array_equal(w[2, 0], scaled[origins[2] - 14])


def test_no_look_ahead(frame: pd.DataFrame, tiny_config: Callable[..., FinanceConfig]) -> None:
    """Changing prices after a cut-off changes no feature, scaler, baseline or prediction up to it."""
    cut = 600
    future = frame.copy()
    rng = np.random.default_rng(1)
    shock = np.exp(np.cumsum(rng.normal(0, 0.05, len(frame) - cut - 1)))
    for col in ("open", "high", "low", "close"):
        future.iloc[cut + 1 :, future.columns.get_loc(col)] *= shock
    future.iloc[cut + 1 :, future.columns.get_loc("volume")] *= 3.0
    a, b = (build_series("AAPL", f, indicators=True) for f in (frame, future))
    np.testing.assert_array_equal(a.features[: cut + 1], b.features[: cut + 1])
    assert not np.allclose(a.features[cut + 1 :], b.features[cut + 1 :])
    assert fit_scaler(a, cut) == fit_scaler(b, cut)

    cfg = tiny_config()
    cfg = replace(cfg, window=replace(cfg.window, indicators=True))
    origins = np.arange(cut - 50, cut + 1)
    base_a = baseline_forecasts(a, cut, origins, 3, cfg.model.quantiles)
    base_b = baseline_forecasts(b, cut, origins, 3, cfg.model.quantiles)
    for name in base_a:
        np.testing.assert_array_equal(base_a[name], base_b[name])
    fa = fit_at([a], {"AAPL": cut}, cfg)
    fb = fit_at([b], {"AAPL": cut}, cfg)
    np.testing.assert_array_equal(fa.predict(a, origins), fb.predict(b, origins))
    np.testing.assert_array_equal(fa.offsets, fb.offsets)
