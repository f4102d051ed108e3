"""Split-conformal calibration of quantile forecasts, one offset per horizon and quantile.

For level ``q`` the offset ``c`` is the finite-sample-corrected ``q``-quantile of the held-out residuals
``y - pred_q``, so ``pred_q + c`` is exceeded with probability about ``1 - q`` on exchangeable data
(conformalised quantile regression, Romano et al. 2019, applied to each quantile separately). The median
is left unchanged so point forecasts stay those of the model.

:func:`adaptive_conformal` recalibrates a sequence of forecasts online instead (adaptive conformal
inference, Gibbs & Candes 2021, with delayed feedback): each quantile's distance from the median is
scaled by ``exp(s)``, and ``s`` moves by ``gamma * (miss - expected miss rate)`` as each outcome becomes
known (the ``h``-day outcome of origin ``t`` is known at ``t + h``), so the band widens after misses and
narrows after hits, tracking volatility regimes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adaptive_conformal", "apply_offsets", "conformal_offsets"]


def conformal_offsets(pred: np.ndarray, actual: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Computes offsets ``(H, Q)`` from held-out predictions.

    Args:
        pred: ``(n, H, Q)`` predicted quantiles.
        actual: ``(n, H)`` outcomes (same units).
        quantiles: the ``Q`` levels.

    Returns:
        ``(H, Q)`` additive offsets (zeros when fewer than 20 held-out samples).
    """
    n, horizon, n_q = pred.shape
    out = np.zeros((horizon, n_q))
    if n < 20:
        return out
    resid = actual[:, :, None] - pred  # (n, H, Q)
    for j, q in enumerate(quantiles):
        if q == 0.5:
            continue
        level = np.ceil((n + 1) * q) / n if q > 0.5 else np.floor((n + 1) * q) / n
        level = min(max(level, 0.0), 1.0)
        if q > 0.5:
            out[:, j] = np.quantile(resid[:, :, j], level, axis=0, method="higher")
        else:
            out[:, j] = np.quantile(resid[:, :, j], level, axis=0, method="lower")
    return out


def apply_offsets(pred: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Adds ``(H, Q)`` offsets to ``(n, H, Q)`` quantiles and re-sorts them so they never cross."""
    return np.sort(pred + offsets[None], axis=-1)


def adaptive_conformal(
    pred: np.ndarray, actual: np.ndarray, quantiles: tuple[float, ...], gamma: float
) -> np.ndarray:
    """Adaptive conformal recalibration of one series' forecasts, in time order.

    Args:
        pred: ``(n, H, Q)`` quantiles of consecutive origins (one trading day apart).
        actual: ``(n, H)`` outcomes; the one of origin ``k`` at step ``h`` is used from origin ``k + h`` on.
        quantiles: the ``Q`` levels (containing 0.5).
        gamma: step size of the log-scale updates (0 leaves the forecasts unchanged).

    Returns:
        ``(n, H, Q)`` recalibrated, non-crossing quantiles (the median unchanged).
    """
    n, horizon, _ = pred.shape
    levels = np.asarray(quantiles)
    mid = quantiles.index(0.5)
    upper = levels > 0.5
    rate = np.where(upper, 1.0 - levels, levels)  # expected share of outcomes beyond each quantile
    log_scale = np.zeros((horizon, len(quantiles)))
    out = np.empty_like(pred)
    for i in range(n):
        for j in range(horizon):
            k = i - (j + 1)  # the origin whose step-(j+1) outcome is known at origin i
            if k >= 0:
                y = actual[k, j]
                miss = np.where(upper, y > out[k, j], y < out[k, j]).astype(np.float64)
                log_scale[j] += gamma * (miss - rate)
        med = pred[i, :, mid : mid + 1]
        out[i] = med + (pred[i] - med) * np.exp(log_scale)
    return np.sort(out, axis=-1)
