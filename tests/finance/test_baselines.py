"""Volatility baselines: GARCH(1,1) against the variance recursion by hand, its fallback, EWMA."""

from __future__ import annotations

import logging
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.univariate.base import ARCHModelResult

from carrousel.finance import baselines
from carrousel.finance.baselines import baseline_forecasts, ewma_volatility, garch_forecast
from carrousel.finance.features import SeriesData

QS = (0.1, 0.5, 0.9)


def _garch_series(n: int = 1500, seed: int = 0) -> SeriesData:
    """Returns with volatility clustering: a simulated GARCH(1,1) (omega 0.02, alpha 0.08, beta 0.9, %)."""
    rng = np.random.default_rng(seed)
    r, s2 = np.zeros(n), np.full(n, 1.0)
    for t in range(1, n):
        s2[t] = 0.02 + 0.08 * r[t - 1] ** 2 + 0.9 * s2[t - 1]
        r[t] = 0.03 + np.sqrt(s2[t]) * rng.standard_normal()
    logret = np.concatenate([[np.nan], r[1:] / 100])
    close = 100 * np.exp(np.nancumsum(logret))
    dates = pd.bdate_range("2010-01-04", periods=n)
    return SeriesData("SIM", dates, close, logret, np.zeros((n, 1)), 1)


def test_garch_quantiles_follow_the_fitted_variance_recursion() -> None:
    s = _garch_series()
    train_end, h = 1200, 5
    origins = np.array([1200, 1250, 1400])
    got = garch_forecast(s, train_end, origins, h, QS)
    assert got is not None and got.shape == (3, h, 3)
    x = 100 * s.logret[1 : origins.max() + 1]  # the reference: the same fit, the recursion by hand
    res = arch_model(x, mean="Constant", vol="GARCH", p=1, q=1, rescale=False).fit(
        disp="off", last_obs=train_end
    )
    mu, om, a, b = (float(res.params[k]) for k in ("mu", "omega", "alpha[1]", "beta[1]"))
    assert 0.8 < a + b < 1.0
    sig2 = float(res.conditional_volatility[0]) ** 2
    eps = x - mu
    for t in range(1, len(x)):
        prev = sig2
        sig2 = om + a * eps[t - 1] ** 2 + b * prev
        row = t + 1  # x[t] is the return of row t + 1
        if row in origins:
            one = om + a * eps[t] ** 2 + b * sig2  # variance of the next day
            sbar = om / (1 - a - b)
            daily = sbar + (a + b) ** np.arange(h) * (one - sbar)
            z = NormalDist().inv_cdf(0.9)
            want = (mu * np.arange(1, h + 1) + z * np.sqrt(np.cumsum(daily))) / 100
            i = int(np.where(origins == row)[0][0])
            np.testing.assert_allclose(got[i, :, 2], want, rtol=1e-6)
            # the median is mu * k, mu near 0 (3e-6 a day): a relative tolerance means nothing there (arch
            # 8.0's optimiser lands 1.6e-5 relative, 2.5e-10 absolute, from the reference fit's mu)
            np.testing.assert_allclose(got[i, :, 1], mu * np.arange(1, h + 1) / 100, rtol=1e-6, atol=1e-8)


def test_garch_that_does_not_converge_falls_back_to_ewma(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s = _garch_series(600)
    monkeypatch.setattr(baselines, "garch_forecast", lambda *a, **k: None)
    out = baseline_forecasts(s, 500, np.arange(500, 550), 3, QS)
    np.testing.assert_array_equal(out["garch"], out["ewma"])
    monkeypatch.setattr(ARCHModelResult, "convergence_flag", property(lambda self: 4))  # "no convergence"
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert garch_forecast(s, 500, np.arange(500, 550), 3, QS) is None
    assert "did not converge" in caplog.text and "EWMA" in caplog.text


def test_garch_trouble_of_every_refit_is_said_once_per_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A backtest logged "X: GARCH(1,1) did not converge ..." once per refit and fit (four lines for one
    series); inside a run (``gathered_warnings``: ``finance forecast``/``backtest``) it is one line, the
    series and its fits counted."""
    from carrousel.finance.series_warnings import gathered_warnings

    s = _garch_series(600)
    monkeypatch.setattr(ARCHModelResult, "convergence_flag", property(lambda self: 4))
    with caplog.at_level(logging.WARNING, logger="carrousel.finance.baselines"), gathered_warnings():
        for end in (400, 450, 500):
            assert garch_forecast(s, end, np.arange(end, end + 20), 3, QS) is None
        assert not caplog.records  # said at the end of the run
    lines = [r.getMessage() for r in caplog.records if r.name == "carrousel.finance.baselines"]
    assert lines == [
        f"GARCH(1,1) did not converge for 1 series ({s.ticker}: 3 fits); using EWMA volatility instead"
    ]


def test_ewma_baseline_is_drift_median_with_riskmetrics_volatility() -> None:
    s = _garch_series(400)
    out = baseline_forecasts(s, 300, np.arange(300, 320), 2, QS)
    vol = ewma_volatility(s.logret)[300]
    mu = float(np.nanmean(s.logret[1:301]))
    z = NormalDist().inv_cdf(0.1)
    assert out["ewma"][0, 1, 0] == pytest.approx(2 * mu + np.sqrt(2) * vol * z)
    assert out["zero_return"][0, 1, 1] == 0.0 and out["ewma"][0, 0, 1] == pytest.approx(mu)


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]


def test_auto_baselines_fit_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """AutoETS, Theta and AutoARIMA fit with numpy's/scipy's BLAS on one thread (their many tiny BLAS calls
    made a two-thread OpenBLAS pool 3-20x slower on a loaded 2-core machine), the same forecasts as with the
    pool as it was, which is put back after."""
    from threadpoolctl import threadpool_limits

    seen: dict[str, list[int]] = {}
    fits = {name: getattr(baselines, f"{name}_forecast") for name in ("auto_ets", "theta", "auto_arima")}
    for name, fit in fits.items():

        def recorded(*args: object, _name: str = name, _fit: object = fit) -> object:
            seen[_name] = _blas_threads()
            return _fit(*args)  # type: ignore[operator]

        monkeypatch.setattr(baselines, f"{name}_forecast", recorded)
    s = _garch_series(700)
    origins = np.arange(600, 690)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before or max(before) < 2:
            pytest.skip("numpy's BLAS runs on one thread here: nothing to limit")
        out = baselines.auto_forecasts(s, 599, origins, 5, QS)
        after = _blas_threads()
        reference = {name: fit(s.close, 599, origins, 5, QS)[0] for name, fit in fits.items()}
    assert seen == {name: [1] * len(before) for name in fits}
    assert after == before  # restored
    for name, ref in reference.items():  # fitted on two threads above: the same numbers bit for bit
        assert out[name] is not None and np.array_equal(out[name], ref), name


def test_every_one_blas_thread_section_finds_the_pools_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The auto baselines and GARCH share one scan of the loaded libraries per process: before, each of the
    three auto fits of every refit called a fresh ``threadpool_limits`` (a rescan, about 9 ms with torch)."""
    import threadpoolctl

    scans = []
    init = threadpoolctl.ThreadpoolController.__init__

    def counting(self: threadpoolctl.ThreadpoolController) -> None:
        scans.append(1)
        init(self)

    def stub(close: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, qs: tuple) -> tuple:
        return np.zeros((len(origins), horizon, len(qs))), "stub"

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "__init__", counting)
    for name in ("auto_ets", "theta", "auto_arima"):
        monkeypatch.setattr(baselines, f"{name}_forecast", stub)
    baselines._blas_pools.cache_clear()
    s = _garch_series(700)
    for cut in (499, 599):  # two refits: six auto fits and two GARCH fits
        out = baselines.auto_forecasts(s, cut, np.arange(cut, 690), 5, QS)
        assert all(v is not None for v in out.values())
        baselines.garch_forecast(s, cut, np.arange(cut, 690), 5, QS)
    assert len(scans) == 1
