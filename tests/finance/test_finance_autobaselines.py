"""AutoETS, Theta and AutoARIMA baselines against statsmodels, and the McNemar direction test against scipy."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from carrousel.finance import baselines
from carrousel.finance.autobaselines import (
    arma_forecast,
    auto_arima_forecast,
    auto_ets_forecast,
    ets_forecast,
    theta_forecast,
)
from carrousel.finance.backtest import BacktestResult, run_backtest
from carrousel.finance.baselines import AUTO_BASELINES, BASELINES, baseline_forecasts
from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.evaluate import score_backtest
from carrousel.finance.features import SeriesData, build_series
from carrousel.finance.scoring import mcnemar_p

QS = (0.1, 0.5, 0.9)
Z90 = NormalDist().inv_cdf(0.9)


def _prices(n: int = 600, seed: int = 0, drift: float = 0.0005, vol: float = 0.015) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50.0 * np.exp(np.cumsum(drift + vol * rng.standard_normal(n)))


def _series(close: np.ndarray) -> SeriesData:
    logret = np.concatenate([[np.nan], np.diff(np.log(close))])
    dates = pd.bdate_range("2010-01-04", periods=len(close))
    return SeriesData("SIM", dates, close, logret, np.zeros((len(close), 1)), 1)


@pytest.mark.parametrize("trend,damped", [(None, False), ("add", False), ("add", True)])
def test_additive_error_ets_matches_statsmodels_prediction_at_every_origin(
    trend: str | None, damped: bool
) -> None:
    y = _prices(400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ETSModel(y[:300], error="add", trend=trend, damped_trend=damped)
        res = model.fit(disp=False)
    params = dict(zip(model.param_names, map(float, res.params), strict=True))
    origins = np.array([299, 320, 399])
    got = ets_forecast(y, params, ("add", trend, damped), float(res.mse), origins, 4, QS)
    for i, o in enumerate(origins):  # the reference: statsmodels on the data up to the origin, same params
        ref = ETSModel(pd.Series(y[: o + 1]), error="add", trend=trend, damped_trend=damped).smooth(
            res.params
        )
        pred = ref.get_prediction(start=o + 1, end=o + 4)
        frame = pred.summary_frame(alpha=0.2)
        np.testing.assert_allclose(got[i, :, 1], frame["mean"], rtol=1e-9)
        # statsmodels scales by the mse of the data it holds; ours is the fit's (parameters kept)
        sd = np.sqrt(np.asarray(pred.var_pred_mean) * float(res.mse) / float(ref.mse))
        np.testing.assert_allclose(got[i, :, 0], frame["mean"] - Z90 * sd, rtol=1e-9)
        np.testing.assert_allclose(got[i, :, 2], frame["mean"] + Z90 * sd, rtol=1e-9)
        if o == 299:  # at the fit's own origin statsmodels' interval is ours exactly
            np.testing.assert_allclose(got[i, :, 0], frame["pi_lower"], rtol=1e-9)
            np.testing.assert_allclose(got[i, :, 2], frame["pi_upper"], rtol=1e-9)


def test_multiplicative_error_ets_matches_statsmodels_simulation() -> None:
    y = _prices(400, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ETSModel(y[:350], error="mul", trend="add", damped_trend=True)
        res = model.fit(disp=False)
    params = dict(zip(model.param_names, map(float, res.params), strict=True))
    o = 380
    got = ets_forecast(y, params, ("mul", "add", True), float(res.mse), np.array([o]), 5, QS)[0]
    ref = ETSModel(pd.Series(y[: o + 1]), error="mul", trend="add", damped_trend=True).smooth(res.params)
    sims = np.asarray(ref.simulate(5, anchor="end", repetitions=20000, random_errors=None, rng=7))
    want = np.quantile(sims, QS, axis=1).T  # (H, Q)
    np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=2e-3)
    width = want[:, 2] - want[:, 0]
    np.testing.assert_allclose(got[:, 2] - got[:, 0], width, rtol=0.06)  # Monte Carlo error of 2000 paths
    assert np.all(np.diff(got, axis=1) > 0)


def test_auto_ets_picks_the_lowest_aicc_of_the_six_models() -> None:
    close = _prices(500, seed=2)
    out, name = auto_ets_forecast(close, 450, np.arange(450, 470), 3, QS)
    aicc = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for err in ("add", "mul"):
            for trend, damped in ((None, False), ("add", False), ("add", True)):
                r = ETSModel(close[:451], error=err, trend=trend, damped_trend=damped).fit(disp=False)
                code = (
                    ("A" if err == "add" else "M") + ("N" if trend is None else "A") + ("d" if damped else "")
                )
                aicc[code + "N"] = r.aicc
    assert name == min(aicc, key=aicc.__getitem__)
    assert out.shape == (20, 3, 3) and np.all(np.isfinite(out)) and np.all(np.diff(out, axis=-1) > 0)


def test_theta_matches_statsmodels_at_the_fit_origin_and_runs_ses_on() -> None:
    close = _prices(300, seed=3)
    x = np.log(close)
    got, _ = theta_forecast(close, 200, np.array([200, 250]), 5, QS)
    res = ThetaModel(x[:201], deseasonalize=False).fit()
    fc = np.asarray(res.forecast(5)) - x[200]
    pi = res.prediction_intervals(5, alpha=0.2)
    np.testing.assert_allclose(got[0, :, 1], fc, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[0, :, 0], np.asarray(pi["lower"]) - x[200], rtol=1e-4)
    np.testing.assert_allclose(got[0, :, 2], np.asarray(pi["upper"]) - x[200], rtol=1e-4)
    alpha, b0 = float(res.params["alpha"]), float(res.params["b0"])
    ses = ExponentialSmoothing(x[:251], initial_level=x[0], initialization_method="known")
    level = float(ses.fit(smoothing_level=alpha, optimized=False).forecast(1)[0])
    hs = np.arange(5) + 1 / alpha - (1 - alpha) ** 251 / alpha
    np.testing.assert_allclose(got[1, :, 1], level + 0.5 * b0 * hs - x[250], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("order", [(1, 0), (0, 1), (2, 1)])
def test_arma_forecast_matches_the_statsmodels_kalman_filter(order: tuple[int, int]) -> None:
    p, q = order
    rng = np.random.default_rng(4)
    ar, ma, mu, sigma2 = np.array([0.5, -0.2])[:p], np.array([0.3])[:q], 4.0, 0.01
    e = rng.normal(0, np.sqrt(sigma2), 800)
    u = np.zeros(800)
    for t in range(800):
        u[t] = (
            e[t]
            + sum(ar[i] * u[t - 1 - i] for i in range(p) if t > i)
            + sum(ma[j] * e[t - 1 - j] for j in range(q) if t > j)
        )
    level = mu + u  # a stationary ARMA around mu (d = 0)
    rows = np.array([600, 799])
    mean, var = arma_forecast(level, mu, ar, ma, sigma2, rows, 4, integrated=False)
    for i, r in enumerate(rows):
        ref = ARIMA(level[: r + 1], order=(p, 0, q), trend="c").filter(np.r_[mu, ar, ma, sigma2])
        f = ref.get_forecast(4)
        np.testing.assert_allclose(mean[i], np.asarray(f.predicted_mean) - level[r], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(var[i], np.asarray(f.var_pred_mean), rtol=1e-6)
    # integrated: x are differences of a level; the h-day change's variance is that of ARIMA(p, 1, q)
    cum = np.cumsum(u)
    mean, var = arma_forecast(np.diff(cum), 0.0, ar, ma, sigma2, rows - 1, 4, integrated=True)
    for i, r in enumerate(rows):
        ref = ARIMA(cum[: r + 1], order=(p, 1, q), trend="n").filter(np.r_[ar, ma, sigma2])
        f = ref.get_forecast(4)
        np.testing.assert_allclose(mean[i], np.asarray(f.predicted_mean) - cum[r], rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(var[i], np.asarray(f.var_pred_mean), rtol=1e-5)


def test_auto_arima_finds_ar_structure_and_a_unit_root() -> None:
    rng = np.random.default_rng(5)
    r = np.zeros(900)
    for t in range(1, 900):
        r[t] = 0.0003 + 0.5 * r[t - 1] + 0.01 * rng.standard_normal()
    close = 20.0 * np.exp(np.cumsum(r))
    out, name = auto_arima_forecast(close, 850, np.arange(850, 880), 3, QS)
    p, d, _ = (int(c) for c in name[len("ARIMA(") : -1].split(","))
    assert d == 1 and p >= 1
    # the one-day median follows the AR(1): about half the last return carried on
    np.testing.assert_allclose(out[:, 0, 1], 0.5 * r[850:880] + 0.0003 * 0.5, atol=0.003)
    assert np.all(np.diff(out, axis=-1) > 0)


def test_mcnemar_p_against_statsmodels_and_scipy() -> None:
    hits = np.array([True] * 30 + [False] * 15 + [True] * 50 + [False] * 5)
    ref = np.array([False] * 30 + [True] * 15 + [True] * 50 + [False] * 5)  # b = 30, c = 15 discordant
    p = mcnemar_p(hits, ref)
    two_sided = mcnemar([[50, 30], [15, 5]], exact=True).pvalue
    assert p == pytest.approx(stats.binomtest(30, 45, 0.5, alternative="greater").pvalue)
    assert p == pytest.approx(two_sided / 2) and p < 0.05
    assert mcnemar_p(ref, hits) > 0.95 and mcnemar_p(hits, hits) == 1.0


def test_baseline_list_fallback_and_switch(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = _series(_prices(250, seed=6))
    out = baseline_forecasts(s, 200, np.arange(200, 220), 2, QS)
    assert tuple(out) == BASELINES and all(v.shape == (20, 2, 3) for v in out.values())
    assert set(AUTO_BASELINES).isdisjoint(baseline_forecasts(s, 200, np.arange(200, 220), 2, QS, auto=False))

    def broken(*args: object) -> None:
        raise ValueError("no convergence")

    for name in ("theta_forecast", "auto_ets_forecast"):
        monkeypatch.setattr(baselines, name, broken)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        out = baseline_forecasts(s, 200, np.arange(200, 220), 2, QS)
    np.testing.assert_array_equal(out["theta"], out["arima"])
    assert "theta fit failed" in caplog.text


def test_backtest_scores_the_new_baselines_and_drift_direction(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    cfg = replace(cfg, backtest=replace(cfg.backtest, auto_baselines=True, refit_every=40))
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]
    bt = run_backtest(series, cfg)
    board = score_backtest(bt)
    assert set(AUTO_BASELINES) <= {c.baseline for c in board.comparisons}
    for name in AUTO_BASELINES:
        sc = board.get(name)
        assert sc.mase is not None and 0.0 <= sc.coverage <= 1.0 and sc.pinball > 0
    assert board.get("drift").direction_vs_drift_p is None
    net = board.get("lstm")
    assert net.directional_accuracy is not None and net.direction_vs_drift_p is not None
    drift_hits = np.sign(bt.forecasts["drift"][:, 0, 1]) == np.sign(bt.actual[:, 0])
    net_hits = np.sign(bt.forecasts["lstm"][:, 0, 1]) == np.sign(bt.actual[:, 0])
    assert net.direction_vs_drift_p == pytest.approx(mcnemar_p(net_hits, drift_hits))
    assert "direction_vs_drift_p" in board.to_dict()["scores"][0]  # type: ignore[index]


def test_direction_against_drift_on_a_constructed_backtest() -> None:
    n = 60
    actual = np.tile(np.where(np.arange(n) % 3 == 0, -0.01, 0.01)[:, None], (1, 2))  # up on 2/3 of days
    drift = np.broadcast_to(np.array([-0.02, 0.001, 0.02]), (n, 2, 3)).copy()  # always up: right on 40
    noise = np.random.default_rng(0).uniform(0.0, 0.005, (n, 2)) * np.sign(actual)
    net = np.stack([actual - 0.02, actual + noise, actual + 0.02], axis=-1)  # always right
    rw = np.broadcast_to(np.array([-0.02, 0.0, 0.02]), (n, 2, 3)).copy()
    bt = BacktestResult(
        model_name="lstm", quantiles=QS, horizon=2, tickers=np.full(n, "X", dtype=object),
        dates=pd.bdate_range("2012-01-02", periods=n), base_price=np.full(n, 10.0), actual=actual,
        forecasts={"lstm": net, "random_walk": rw, "drift": drift}, refits=1, window="expanding",
    )  # fmt: skip
    board = score_backtest(bt)
    # 20 discordant origins, all the network's: p = 0.5 ** 20
    assert board.get("lstm").direction_vs_drift_p == pytest.approx(0.5**20)
    assert board.get("drift").direction_p == pytest.approx(stats.binomtest(40, 60, 40 / 60, "greater").pvalue)
    assert board.get("random_walk").direction_vs_drift_p is None  # never calls a direction
