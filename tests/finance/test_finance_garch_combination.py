"""The default forecast combination: the network's quantiles averaged with the GARCH(1,1) baseline's
(``[backtest] garch_weight``, 0.4 on GARCH), the calibration fitted on that average, checked against numpy;
the ensemble and its members from one pass of each member; old bundles forecast with the network alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import carrousel.finance.baselines as baselines_mod
from carrousel.finance.baselines import baseline_forecasts, garch_quantiles
from carrousel.finance.config import BacktestConfig, FinanceConfig
from carrousel.finance.conformal import scale_calibration
from carrousel.finance.data import load_histories
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.features import SeriesData, build_series, target_scales
from carrousel.finance.fitted import combine_garch, ensemble_and_members
from carrousel.finance.panel import panel_windows
from carrousel.finance.saved import single_network_config
from carrousel.finance.training import fit_at


def _aapl(cfg: FinanceConfig) -> SeriesData:
    h = load_histories(cfg.data)[0]
    return build_series(h.ticker, h.frame, cfg.window.indicators)


def _pinball(f: np.ndarray, y: np.ndarray, qs: tuple[float, ...]) -> float:
    d = y[..., None] - f
    q = np.asarray(qs)
    return float(np.mean(np.maximum(q * d, (q - 1) * d)))


def test_the_calibration_is_fitted_on_the_average_and_forecasts_are_that_average_calibrated(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    w, qs, h, how = (
        cfg.backtest.garch_weight,
        cfg.model.quantiles,
        cfg.window.horizon,
        cfg.window.target_scale,
    )
    assert w == 0.4  # the default
    s = _aapl(cfg)
    cut = len(s.close) - 200
    fitted = fit_at([s], {"AAPL": cut}, cfg)
    assert fitted.garch_weight == w

    # the calibration, written out: the held-out ensemble averaged with a GARCH fitted up to the first
    # held-out origin (target units), then the usual scale calibration of that average
    data = panel_windows([s], {"AAPL": cut}, cfg)
    val = data.val_origins[0]
    assert len(val) == len(data.y_val)
    ensemble, _ = ensemble_and_members(fitted.model, data.val)
    scale = target_scales(s, data.scalers["AAPL"], val, h, how)
    garch_val = garch_quantiles(s, int(val[0]), val, h, qs) / scale[:, :, None]
    want_log = scale_calibration((1 - w) * ensemble + w * garch_val, data.y_val, qs)
    assert fitted.log_scale is not None and want_log.any()
    np.testing.assert_array_equal(fitted.log_scale, want_log)

    # a forecast: the network's quantiles averaged with the garch baseline's, then the spread multiplied
    origins = np.arange(cut + 1, cut + 61)
    garch = baseline_forecasts(s, cut, origins, h, qs, auto=False)["garch"]
    raw = fitted.predict(s, origins, calibrated=False)
    mix = (1 - w) * raw + w * garch
    med = mix[..., 1:2]
    want = np.sort(med + (mix - med) * np.exp(fitted.log_scale)[None], axis=-1)
    got = fitted.predict(s, origins, garch=garch)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    assert not np.allclose(got, fitted.predict(s, origins, calibrated=False), atol=1e-4)  # it did change
    # without the baseline's quantiles: a GARCH fitted on the rows up to the first origin
    here = garch_quantiles(s, int(origins[0]), origins, h, qs)
    np.testing.assert_array_equal(fitted.predict(s, origins), fitted.predict(s, origins, garch=here))

    # the ensemble and every member from one pass: the same as predict and predict_members
    both, each = fitted.predict_both(s, origins, garch=garch)
    np.testing.assert_array_equal(both, got)
    np.testing.assert_array_equal(each, fitted.predict_members(s, origins, garch=garch))
    assert each.shape == (cfg.model.members, len(origins), h, len(qs))


def test_averaged_quantiles_never_cross_and_score_no_worse_than_their_parts_on_real_prices(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    qs, h = cfg.model.quantiles, cfg.window.horizon
    s = _aapl(cfg)
    cut = len(s.close) - 400  # scored on the 2009-2010 AAPL days after the cut-off
    fitted = fit_at([s], {"AAPL": cut}, cfg)
    origins = np.arange(cut + 1, len(s.close) - h)
    y = np.stack([s.logret[o + 1 : o + 1 + h].cumsum() for o in origins])
    net = fitted.predict(s, origins, calibrated=False)
    garch = baseline_forecasts(s, cut, origins, h, qs, auto=False)["garch"]
    mix = combine_garch(net, garch, 0.4)
    np.testing.assert_allclose(mix, 0.6 * net + 0.4 * garch)
    assert (np.diff(mix, axis=-1) >= 0).all()
    # the pinball loss is convex in the quantiles: the average scores at most the average of the scores
    parts = 0.6 * _pinball(net, y, qs) + 0.4 * _pinball(garch, y, qs)
    assert _pinball(mix, y, qs) <= parts
    assert _pinball(mix, y, qs) < max(_pinball(net, y, qs), _pinball(garch, y, qs))


def test_a_failed_garch_fit_averages_with_the_ewma_quantiles(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tiny_config(("AAPL",))
    qs, h = cfg.model.quantiles, cfg.window.horizon
    s = _aapl(cfg)
    origins = np.arange(600, 640)
    monkeypatch.setattr(baselines_mod, "garch_forecast", lambda *a, **k: None)
    ewma = baseline_forecasts(s, 599, origins, h, qs, auto=False)
    np.testing.assert_array_equal(garch_quantiles(s, 599, origins, h, qs), ewma["ewma"])
    np.testing.assert_array_equal(ewma["garch"], ewma["ewma"])


def test_the_weight_is_checked_and_bundles_saved_before_forecast_with_the_network_alone() -> None:
    assert BacktestConfig().garch_weight == 0.4
    assert BacktestConfig(garch_weight=0.0).garch_weight == 0.0
    with pytest.raises(FinanceConfigError, match=r"garch_weight=1.5 must lie in \[0, 1\]"):
        BacktestConfig(garch_weight=1.5)
    saved = {"window": {"lookback": 30}, "backtest": {"calibration": "scale"}}  # the last default's bundle
    assert single_network_config(saved)["backtest"]["garch_weight"] == 0.0
    ours = {"backtest": {"calibration": "scale", "garch_weight": 0.4}}
    assert single_network_config(ours)["backtest"]["garch_weight"] == 0.4
