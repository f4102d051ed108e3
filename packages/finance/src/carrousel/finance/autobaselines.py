"""statsforecast-style AutoETS, Theta and AutoARIMA baselines (statsmodels), fast enough for a backtest.

Each model is fitted (and, for AutoETS/AutoARIMA, selected by AICc) ONCE per refit on the most recent
:data:`MAX_ROWS` rows ``<= train_end``; between refits its parameters are kept and only its state is run
on to every origin (rows ``<= origin``), so a block of origins costs one fit plus vectorised arithmetic.
Every function returns quantiles ``(n, H, Q)`` of the cumulative log return ``log(C[t+h] / C[t])``.

* ``auto_ets``: ETS without seasonality on prices (error additive/multiplicative x trend none/additive/
  additive damped: six models, ``statsmodels.tsa.exponential_smoothing.ets.ETSModel``), the lowest AICc
  wins. Its predictive distribution is statsmodels': Gaussian with the analytic variance for additive
  errors, simulated paths (:data:`PATHS`, fixed seed) for multiplicative errors. Price quantiles are turned
  into log returns (the log is monotone, so quantiles map exactly).
* ``theta``: the standard Theta method (Assimakopoulos & Nikolopoulos; ``statsmodels`` ``ThetaModel``,
  theta = 2, OLS trend + SES, no deseasonalising: daily prices have no season) on log prices, with
  statsmodels' interval variance ``sigma2 * (1 + (h - 1) * (1 + (alpha - 1)^2))``.
* ``auto_arima``: ARIMA(p, d, q) on log prices, ``d`` by the KPSS test (0 or 1, as auto.arima), ``p, q``
  in ``0..2`` ranked by AICc of conditional-sum-of-squares fits (auto.arima's ``approximation`` for long
  series), the chosen order refitted by exact maximum likelihood (statsmodels ``ARIMA``, innovations
  algorithm), with a constant (the drift when ``d = 1``); conditional residuals carry the state to each
  origin, intervals from the psi weights.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from statistics import NormalDist

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

from carrousel.core.args import check_args

__all__ = [
    "MAX_ROWS",
    "PATHS",
    "arma_forecast",
    "auto_arima_forecast",
    "auto_ets_forecast",
    "ets_forecast",
    "theta_forecast",
]

logger = logging.getLogger(__name__)

MAX_ROWS = 1000  # most recent training rows each model is fitted on (keeps refits fast)
PATHS = 2000  # simulated paths per origin for multiplicative-error ETS intervals
_ETS_CANDIDATES = tuple(
    (err, trend, damped)
    for err in ("add", "mul")
    for trend, damped in ((None, False), ("add", False), ("add", True))
)
_MAX_PQ = 2  # AutoARIMA searches p, q in 0.._MAX_PQ


def _z(quantiles: tuple[float, ...]) -> np.ndarray:
    return np.array([NormalDist().inv_cdf(q) for q in quantiles])


def _window(train_end: int) -> int:
    return max(0, train_end + 1 - MAX_ROWS)


def _ets_relvar(
    alpha: float, beta: float, phi: float, trend: bool, damped: bool, h: np.ndarray
) -> np.ndarray:
    """Relative h-step forecast variance of the additive-error ETS models ANN, AAN and AAdN."""
    if not trend:
        return 1 + alpha**2 * (h - 1)
    if not damped:
        return 1 + (h - 1) * (alpha**2 + alpha * beta * h + beta**2 * h / 6 * (2 * h - 1))
    return (
        1
        + alpha**2 * (h - 1)
        + beta * phi * h / (1 - phi) ** 2 * (2 * alpha * (1 - phi) + beta * phi)
        - beta * phi * (1 - phi**h) / ((1 - phi) ** 2 * (1 - phi**2)) * (2 * alpha * (1 - phi**2) + beta * phi * (1 + 2 * phi - phi**h))
    )  # fmt: skip


@check_args
def ets_forecast(
    y: np.ndarray,
    params: dict[str, float],
    spec: tuple[str, str | None, bool],
    scale: float,
    origins: np.ndarray,
    horizon: int,
    quantiles: tuple[float, ...],
) -> np.ndarray:
    """Quantiles ``(n, H, Q)`` of ``y[o + h]`` of a fitted ETS model, its state run on to every origin.

    Args:
        y: ``(N,)`` the series from the first row of the fit (the initial states belong to ``y[0]``).
        params: statsmodels' fitted parameters by name (smoothing, damping, initial states).
        spec: ``(error, trend, damped)`` as ``ETSModel`` takes them.
        scale: the fitted residual variance (``mse``: of errors, or of relative errors when multiplicative).
        origins: ``(n,)`` rows of ``y`` the forecasts start from (after observing them).
        horizon: ``H``.
        quantiles: the ``Q`` levels.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    err, trend, damped = spec
    model = ETSModel(y[: int(origins.max()) + 1], error=err, trend=trend, damped_trend=damped)
    states = np.asarray(model.smooth(np.array([params[k] for k in model.param_names])).states)
    level = states[origins, 0]
    slope = states[origins, 1] if trend else np.zeros(len(origins))
    alpha = params["smoothing_level"]
    beta = params.get("smoothing_trend", 0.0)
    phi = params.get("damping_trend", 1.0)
    ks = np.arange(1, horizon + 1, dtype=np.float64)
    mean = level[:, None] + np.cumsum(phi**ks)[None, :] * slope[:, None]  # (n, H)
    if err == "add":
        sd = np.sqrt(scale * _ets_relvar(alpha, beta, phi, trend is not None, damped, ks))
        return mean[..., None] + sd[None, :, None] * _z(quantiles)[None, None, :]
    eps = np.random.default_rng(0).standard_normal((horizon, PATHS)) * np.sqrt(scale)
    lev, b = np.repeat(level[:, None], PATHS, 1), np.repeat(slope[:, None], PATHS, 1)  # (n, R)
    out = np.empty((len(origins), horizon, len(quantiles)))
    for h in range(
        horizon
    ):  # statsmodels' simulation: y = L (1 + e), l = L (1 + alpha e), b = phi b + beta L e
        big_b = phi * b
        big_l = lev + big_b
        out[:, h] = np.quantile(big_l * (1 + eps[h]), quantiles, axis=1).T
        lev, b = big_l * (1 + alpha * eps[h]), big_b + beta * big_l * eps[h]
    return out


@check_args
def auto_ets_forecast(
    close: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, str]:
    """AutoETS quantiles ``(n, H, Q)`` of the log return and the chosen model's name (e.g. ``MAN``)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    start = _window(train_end)
    y = close[start : train_end + 1]
    best: tuple[float, tuple[str, str | None, bool], dict[str, float], float] | None = None
    for spec in _ETS_CANDIDATES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ETSModel(y, error=spec[0], trend=spec[1], damped_trend=spec[2])
                res = model.fit(disp=False)
        except Exception as exc:  # one failed candidate must not end the run
            logger.debug("ETS %s failed: %s", spec, exc)
            continue
        aicc = float(res.aicc)
        if np.isfinite(aicc) and (best is None or aicc < best[0]):
            best = (
                aicc,
                spec,
                dict(zip(model.param_names, map(float, res.params), strict=True)),
                float(res.mse),
            )
    if best is None:
        raise RuntimeError("no ETS model could be fitted")
    _, spec, params, scale = best
    price = ets_forecast(close[start:], params, spec, scale, origins - start, horizon, quantiles)
    base = close[origins][:, None, None]
    name = "".join(
        ("A" if spec[0] == "add" else "M", "N" if spec[1] is None else "A", "d" if spec[2] else "", "N")
    )
    return np.log(np.maximum(price, 1e-12 * base) / base), name


@check_args
def theta_forecast(
    close: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, str]:
    """Theta-method quantiles ``(n, H, Q)`` of the log return (log prices ``<= train_end``) and its alpha."""
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    start = _window(train_end)
    x = np.log(close[start:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(x[: train_end + 1 - start], deseasonalize=False).fit()
        b0, alpha = float(res.params["b0"]), float(res.params["alpha"])
        # statsmodels' ThetaModelResults.sigma2 (the ARIMA(0,1,1) fit), without its covariance matrix
        ima = SARIMAX(x[: train_end + 1 - start], order=(0, 1, 1), trend="c").fit(disp=False, cov_type="none")
        sigma2 = float(np.asarray(ima.params)[-1])
    # SES level after each row, started at x[0] (statsmodels: initial level x[0], known)
    rows = origins - start
    ses = lfilter([alpha], [1.0, alpha - 1.0], x[: int(rows.max()) + 1], zi=[(1 - alpha) * x[0]])[0]
    nobs = (rows + 1).astype(np.float64)[:, None]  # observations the model has seen at each origin
    ks = np.arange(1, horizon + 1, dtype=np.float64)
    hs = ks[None, :] - 1 + (1 / alpha - (1 - alpha) ** nobs / alpha if alpha > 0 else 0.0)
    mean = ses[rows][:, None] + 0.5 * b0 * hs - x[rows][:, None]  # (n, H)
    sd = np.sqrt((1 + (ks - 1) * (1 + (alpha - 1) ** 2)) * sigma2)
    return mean[..., None] + sd[None, :, None] * _z(quantiles)[None, None, :], f"Theta(alpha={alpha:.3f})"


@check_args
def arma_forecast(
    x: np.ndarray,
    mu: float,
    ar: np.ndarray,
    ma: np.ndarray,
    sigma2: float,
    rows: np.ndarray,
    horizon: int,
    integrated: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Means and variances ``(n, H)`` of ``sum_{k<=h} x[t+k]`` (integrated) or ``x[t+h] - x[t]`` (not).

    ``x - mu`` follows an ARMA(p, q) with AR coefficients ``ar`` (``phi_1..phi_p``) and MA coefficients
    ``ma`` (``theta_1..theta_q``); the innovations at each origin are the conditional residuals from
    ``x[0]`` on (zero before it), which match the exact (Kalman) state after a short burn-in.
    """
    p, q = len(ar), len(ma)
    u = x[: int(rows.max()) + 1] - mu
    e = lfilter(np.r_[1.0, -ar], np.r_[1.0, ma], u)
    n = len(rows)
    us = [u[np.maximum(rows - i, 0)] * (rows - i >= 0) for i in range(p)]  # u[t], u[t-1], ...
    es = [e[np.maximum(rows - j, 0)] * (rows - j >= 0) for j in range(q)]
    paths = np.empty((n, horizon))
    for h in range(horizon):
        nxt = sum((ar[i] * us[i] for i in range(p)), np.zeros(n)) + sum(
            (ma[j] * es[j] for j in range(q)), np.zeros(n)
        )
        paths[:, h] = nxt
        us, es = [nxt, *us[:-1]] if p else us, [np.zeros(n), *es[:-1]] if q else es
    psi = np.r_[1.0, np.zeros(horizon - 1)]
    for k in range(1, horizon):  # psi weights of the ARMA
        psi[k] = (ma[k - 1] if k <= q else 0.0) + sum(ar[i] * psi[k - 1 - i] for i in range(min(p, k)))
    if integrated:
        mean = np.cumsum(paths + mu, axis=1)
        var = sigma2 * np.cumsum(np.cumsum(psi) ** 2)
    else:
        mean = paths + mu - x[rows][:, None]
        var = sigma2 * np.cumsum(psi**2)
    return mean, np.broadcast_to(var, (n, horizon))


def _css_residuals(theta: np.ndarray, x: np.ndarray, p: int, q: int) -> np.ndarray:
    mu, ar, ma = theta[0], theta[1 : 1 + p], theta[1 + p : 1 + p + q]
    return np.asarray(lfilter(np.r_[1.0, -ar], np.r_[1.0, ma], x - mu))[p:]


def _css_fit(x: np.ndarray, p: int, q: int) -> np.ndarray:
    """Conditional-sum-of-squares ARMA(p, q) estimates ``[mu, phi..., theta..., sigma2]``."""
    start = np.r_[np.mean(x), np.zeros(p + q)]
    bounds = (np.r_[-np.inf, np.full(p + q, -0.99)], np.r_[np.inf, np.full(p + q, 0.99)])
    sol = least_squares(_css_residuals, start, args=(x, p, q), bounds=bounds, method="trf")
    resid = _css_residuals(sol.x, x, p, q)
    return np.r_[sol.x, float(np.mean(resid**2))]


def _css_aicc(x: np.ndarray, p: int, q: int) -> float:
    """AICc of the CSS fit (auto.arima's approximation for long series, used to rank the candidates)."""
    params = _css_fit(x, p, q)
    n, k = len(x) - p, p + q + 2  # mean, coefficients and the variance
    llf = -0.5 * n * (np.log(2 * np.pi * params[-1]) + 1)
    return float(-2 * llf + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1))


@check_args
def auto_arima_forecast(
    close: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, quantiles: tuple[float, ...]
) -> tuple[np.ndarray, str]:
    """AutoARIMA quantiles ``(n, H, Q)`` of the log return and the chosen order (e.g. ``ARIMA(1,1,0)``)."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.stattools import kpss

    start = _window(train_end)
    level = np.log(close[start:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = int(kpss(level[: train_end + 1 - start], regression="c", nlags="auto")[1] < 0.05)
    x = np.diff(level) if d else level  # x[i] belongs to row start + i + d
    fit = x[: train_end + 1 - start - d]
    scores = [(_css_aicc(fit, p, q), p, q) for p, q in itertools.product(range(_MAX_PQ + 1), repeat=2)]
    _, p, q = min(scores)
    css = _css_fit(fit, p, q)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            method = "innovations_mle" if p + q else "statespace"
            res = ARIMA(fit, order=(p, 0, q), trend="c").fit(method=method, cov_type="none")
        params = np.asarray(res.params, np.float64)
    except Exception as exc:  # the ML refit failed: keep the CSS estimates
        logger.debug("ARIMA(%d,%d,%d) ML refit failed: %s", p, d, q, exc)
        params = css
    mu, ar, ma, sigma2 = params[0], params[1 : 1 + p], params[1 + p : 1 + p + q], params[-1]
    mean, var = arma_forecast(x, mu, ar, ma, sigma2, origins - start - d, horizon, integrated=bool(d))
    out = mean[..., None] + np.sqrt(var)[..., None] * _z(quantiles)[None, None, :]
    return out, f"ARIMA({p},{d},{q})"
