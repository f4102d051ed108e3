"""Baselines computed on the same forecast origins as the network, vectorised over origins.

Every baseline returns quantiles ``(n, H, Q)`` of the cumulative log return ``log(C[t+h] / C[t])`` and
uses only rows ``<= train_end`` for its parameters (and rows ``<= t`` for its state at origin ``t``):

* ``random_walk``: the last price (return 0); intervals from the empirical spread of past ``h``-day
  returns around their median.
* ``drift``: the last price grown by the mean daily log return of the training window; same spread.
* ``zero_return``: return 0 with Gaussian intervals from the exponentially weighted (RiskMetrics,
  lambda 0.94) volatility at each origin. Its point forecasts equal the random walk's.
* ``ewma``: the drift median with the same RiskMetrics (EWMA) volatility intervals.
* ``garch``: GARCH(1,1) with a constant mean (the ``arch`` package, Gaussian, fitted by maximum
  likelihood on the training rows); the variance recursion runs on to each origin with the fitted
  parameters, and the ``h``-day interval uses the sum of the expected daily variances. A fit that does
  not converge (or is not stationary) falls back to the ``ewma`` quantiles, with a warning. The fit runs on
  one BLAS thread (:func:`garch_forecast`), so its quantiles do not depend on the machine's core count.
* ``arima``: ARIMA(1,1,0) with drift on log prices, i.e. an AR(1) with constant on log returns, fitted
  by statsmodels (``AutoReg``, conditional least squares); closed-form multi-step means and Gaussian
  intervals.
* ``auto_ets``, ``theta``, ``auto_arima``: statsforecast-style AutoETS (six ETS models by AICc, on prices),
  the Theta method and AutoARIMA (``p, d, q`` by KPSS and AICc, on log prices), see
  :mod:`carrousel.finance.autobaselines`; a fit that fails falls back to the ``arima`` quantiles, with a
  warning. ``auto=False`` leaves them out (faster). They are fitted with numpy's and scipy's BLAS on one
  thread (:func:`auto_forecasts`): statsmodels' state-space and ETS fits make thousands of tiny BLAS calls,
  which a multi-threaded OpenBLAS pool slowed several-fold on a loaded 2-core machine (the same numbers).
"""

from __future__ import annotations

import functools
import logging
import warnings
from contextlib import AbstractContextManager
from statistics import NormalDist

import numpy as np
from threadpoolctl import ThreadpoolController

from carrousel.core.args import check_args
from carrousel.finance.autobaselines import auto_arima_forecast, auto_ets_forecast, theta_forecast
from carrousel.finance.features import SeriesData, ewma_volatility
from carrousel.finance.series_warnings import warn_series

__all__ = [
    "AUTO_BASELINES",
    "BASELINES",
    "FALLBACK",
    "arima_forecast",
    "auto_forecasts",
    "baseline_forecasts",
    "empirical_spread",
    "ewma_volatility",
    "garch_forecast",
    "garch_quantiles",
]

logger = logging.getLogger(__name__)

AUTO_BASELINES = (
    "auto_ets",
    "theta",
    "auto_arima",
)  # fitted (and selected) once per refit, see autobaselines

BASELINES = (
    "random_walk",
    "drift",
    "zero_return",
    "ewma",
    "garch",
    "arima",
    *AUTO_BASELINES,
)  # every baseline

FALLBACK = "fallback ARIMA(1,1,0)"  # the pick recorded when an automatic model's fit failed
_ARIMA_MAX_ROWS = 1500  # most recent training returns used to fit the ARIMA (keeps refits fast)
_GARCH_MAX_ROWS = 2000  # most recent training returns used to fit the GARCH(1,1)
_GARCH_FALLBACK = "using EWMA volatility instead"  # what a failed GARCH(1,1) fit gives way to


def _z(quantiles: tuple[float, ...]) -> np.ndarray:
    return np.array([NormalDist().inv_cdf(q) for q in quantiles])


@check_args
def empirical_spread(
    logret: np.ndarray, train_end: int, horizon: int, quantiles: tuple[float, ...]
) -> np.ndarray:
    """``(H, Q)`` quantiles of past ``h``-day log returns minus their median, from rows ``<= train_end``."""
    r = np.nan_to_num(logret[1 : train_end + 1])
    csum = np.concatenate([[0.0], np.cumsum(r)])
    out = np.zeros((horizon, len(quantiles)))
    for h in range(1, horizon + 1):
        moves = csum[h:] - csum[:-h]
        if len(moves) < 10:
            moves = r * np.sqrt(h)
        qs = np.quantile(moves, quantiles)
        out[h - 1] = qs - np.median(moves)
    return out


@check_args
def arima_forecast(
    series: SeriesData, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> np.ndarray:
    """ARIMA(1,1,0)-with-drift quantiles ``(n, H, Q)`` fitted on rows ``<= train_end``."""
    from statsmodels.tsa.ar_model import AutoReg

    r = series.logret[max(1, train_end + 1 - _ARIMA_MAX_ROWS) : train_end + 1]
    r = r[np.isfinite(r)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = AutoReg(r, lags=1, trend="c").fit()
        const, phi, sigma2 = float(res.params[0]), float(res.params[1]), float(res.sigma2)
        mu = const / (1.0 - phi) if abs(phi) < 1 else float(np.mean(r))
    except Exception as exc:  # a failed fit must not end the run: fall back to the sample moments
        logger.warning("%s: ARIMA fit failed (%s); using mean/variance of returns", series.ticker, exc)
        mu, phi, sigma2 = float(np.mean(r)), 0.0, float(np.var(r))
    if not abs(phi) < 1:
        phi = 0.0
    last = np.nan_to_num(series.logret[origins])  # (n,)
    ks = np.arange(1, horizon + 1)
    means = mu * ks[None, :] + (last - mu)[:, None] * np.cumsum(phi**ks)[None, :]  # (n, H)
    psi = np.cumsum(phi ** np.arange(horizon))  # Psi_m = sum_{j<=m} phi^j
    var = sigma2 * np.array([np.sum(psi[:h][::-1] ** 2) for h in ks])  # (H,)
    return means[..., None] + np.sqrt(var)[None, :, None] * _z(quantiles)[None, None, :]


@functools.cache
def _blas_pools() -> ThreadpoolController:
    """The BLAS pools of numpy and scipy, found once: each ``threadpool_limits(...)`` scans every loaded library
    again (about 9 ms with torch loaded, a third of a GARCH fit)."""
    import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS before the scan)

    return ThreadpoolController()


def _one_blas_thread() -> AbstractContextManager[object]:
    """Run the ``with`` block on one BLAS thread (numpy's and scipy's pools, found once per process by
    :func:`_blas_pools`); the previous thread counts are restored after. Every one-thread BLAS section of
    this package goes through here: a fresh ``threadpool_limits(1, "blas")`` would rescan the libraries."""
    return _blas_pools().limit(limits=1, user_api="blas")


@check_args
def garch_forecast(
    series: SeriesData, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> np.ndarray | None:
    """GARCH(1,1) quantiles ``(n, H, Q)`` fitted on rows ``<= train_end``; None when the fit fails.

    Returns are fitted in percent (better conditioned); origins must lie at or after ``train_end``. The fit
    and forecast run on one BLAS thread: with two, OpenBLAS summed SLSQP's products in another order and the
    quantiles moved by up to 1.4e-8 with the machine's core count.
    """
    from arch import arch_model

    start = max(1, train_end + 1 - _GARCH_MAX_ROWS)
    x = 100.0 * np.nan_to_num(series.logret[start : int(origins.max()) + 1])
    try:
        with warnings.catch_warnings(), _one_blas_thread():
            warnings.simplefilter("ignore")
            model = arch_model(x, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=False)
            res = model.fit(disp="off", show_warning=False, last_obs=train_end + 1 - start)
            first = int(origins.min()) - start
            fc = res.forecast(horizon=horizon, start=first, reindex=False)
    except Exception as exc:  # a failed fit must not end the run
        warn_series(logger, series.ticker, "GARCH(1,1) fit failed", str(exc), _GARCH_FALLBACK)
        return None
    params = res.params
    persistence = float(params["alpha[1]"] + params["beta[1]"])
    if res.convergence_flag != 0 or not persistence < 1.0 or not np.all(np.isfinite(params)):
        detail = f"flag {res.convergence_flag}, alpha+beta {persistence:.3f}"
        warn_series(logger, series.ticker, "GARCH(1,1) did not converge", detail, _GARCH_FALLBACK)
        return None
    rows = origins - start - first
    var = np.cumsum(np.asarray(fc.variance)[rows], axis=1)  # (n, H) variance of the h-day return
    mean = np.cumsum(np.asarray(fc.mean)[rows], axis=1)  # (n, H)
    return (mean[..., None] + np.sqrt(var)[..., None] * _z(quantiles)[None, None, :]) / 100.0


def _ewma_quantiles(
    series: SeriesData, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``zero_return`` and ``ewma`` quantiles ``(n, H, Q)`` (EWMA volatility; ``ewma`` with the drift)."""
    ks = np.arange(1, horizon + 1)
    mu = float(np.nanmean(series.logret[1 : train_end + 1]))
    vol = ewma_volatility(series.logret)[origins]  # (n,)
    zero = vol[:, None, None] * np.sqrt(ks)[None, :, None] * _z(quantiles)[None, None, :]
    return zero, (mu * ks)[None, :, None] + zero


@check_args
def garch_quantiles(
    series: SeriesData, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> np.ndarray:
    """The ``garch`` baseline's quantiles ``(n, H, Q)``: GARCH(1,1) fitted on rows ``<= train_end``, or the
    ``ewma`` quantiles when that fit fails (:func:`garch_forecast`)."""
    garch = garch_forecast(series, train_end, origins, horizon, quantiles)
    return _ewma_quantiles(series, train_end, origins, horizon, quantiles)[1] if garch is None else garch


@check_args
def auto_forecasts(
    series: SeriesData,
    train_end: int,
    origins: np.ndarray,
    horizon: int,
    quantiles: tuple[float, ...],
    chosen: dict[str, str] | None = None,
) -> dict[str, np.ndarray | None]:
    """AutoETS, Theta and AutoARIMA quantiles ``(n, H, Q)``; None for a model whose fit failed (logged).

    ``chosen`` (when given) receives each model's pick: the ETS model (``MAN``...), Theta's ``alpha``, the
    ARIMA order (``ARIMA(1,1,0)``), or ``fallback ARIMA(1,1,0)`` for a failed fit.

    The fits run with one BLAS thread (:func:`_one_blas_thread`; the previous counts are restored after): their
    many tiny BLAS calls made a two-thread OpenBLAS pool wake and wait, mostly in statsmodels' Kalman filter
    initialisation (an AAPL backtest, 2 refits, on a loaded 2-core machine: 4.2 s against 1.4 s, medians of
    alternating runs), with the same forecasts bit for bit on one thread or two.
    """
    out: dict[str, np.ndarray | None] = {}
    picked = []
    for name, fn in (
        ("auto_ets", auto_ets_forecast),
        ("theta", theta_forecast),
        ("auto_arima", auto_arima_forecast),
    ):
        try:
            with _one_blas_thread():
                res, pick = fn(series.close, train_end, origins, horizon, quantiles)
        except Exception as exc:  # a failed fit must not end the run
            logger.warning(
                "%s: %s fit failed (%s); using the ARIMA(1,1,0) quantiles instead", series.ticker, name, exc
            )
            out[name] = None
            if chosen is not None:
                chosen[name] = FALLBACK
            continue
        picked.append(f"{name} {pick}")
        out[name] = res if np.all(np.isfinite(res)) else None
        if chosen is not None:
            chosen[name] = pick if out[name] is not None else FALLBACK
        if out[name] is None:
            logger.warning(
                "%s: %s gave non-finite quantiles; using the ARIMA(1,1,0) ones", series.ticker, name
            )
    logger.info("%s (fitted up to %s): %s", series.ticker, series.dates[train_end].date(), ", ".join(picked))
    return out


@check_args
def baseline_forecasts(
    series: SeriesData,
    train_end: int,
    origins: np.ndarray,
    horizon: int,
    quantiles: tuple[float, ...],
    auto: bool = True,
    chosen: dict[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """Quantiles ``(n, H, Q)`` of every baseline at ``origins``, parameters from rows ``<= train_end``.

    Args:
        series: the ticker's arrays.
        train_end: last row the parameters may use.
        origins: ``(n,)`` origin rows (each baseline's state uses rows ``<= origin``).
        horizon: ``H``.
        quantiles: the ``Q`` levels (sorted, containing 0.5).
        auto: also fit AutoETS, Theta and AutoARIMA (:data:`AUTO_BASELINES`).
        chosen: receives the models AutoETS, Theta and AutoARIMA picked (see :func:`auto_forecasts`).
    """
    n = len(origins)
    spread = empirical_spread(series.logret, train_end, horizon, quantiles)  # (H, Q)
    ks = np.arange(1, horizon + 1)
    mu = float(np.nanmean(series.logret[1 : train_end + 1]))
    zero, ewma = _ewma_quantiles(series, train_end, origins, horizon, quantiles)
    garch = garch_forecast(series, train_end, origins, horizon, quantiles)
    arima = arima_forecast(series, train_end, origins, horizon, quantiles)
    out = {
        "random_walk": np.broadcast_to(spread, (n, horizon, len(quantiles))).copy(),
        "drift": np.broadcast_to((mu * ks)[:, None] + spread, (n, horizon, len(quantiles))).copy(),
        "zero_return": zero,
        "ewma": ewma,
        "garch": ewma.copy() if garch is None else garch,
        "arima": arima,
    }
    if auto:
        out.update(
            {
                k: arima.copy() if v is None else v
                for k, v in auto_forecasts(series, train_end, origins, horizon, quantiles, chosen).items()
            }
        )
    return out
