"""Split-conformal calibration of quantile forecasts, one offset per horizon and quantile.

For level ``q`` the offset ``c`` is the finite-sample-corrected ``q``-quantile of the held-out residuals
``y - pred_q``, so ``pred_q + c`` is exceeded with probability about ``1 - q`` on exchangeable data
(conformalised quantile regression, Romano et al. 2019, applied to each quantile separately). The median
is left unchanged so point forecasts stay those of the model.
"""

from __future__ import annotations

import numpy as np

__all__ = ["apply_offsets", "conformal_offsets"]


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
