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

:func:`scale_calibration` is the default calibration (``[backtest] calibration = "scale"``): each quantile's
distance from the median is multiplied by one factor, pooled over the horizons and both sides (the targets
are in units of the volatility at the origin, so the horizons share a scale), chosen so the held-out outcomes
beyond each quantile are about as frequent as its level says, its log shrunk halfway to 0
(:data:`SCALE_SHRINK`). One number instead of one per horizon and quantile: on the validation period
(packages/finance/docs/results-global.md, "Choosing the calibration") the additive offsets, fitted on about
300 overlapping windows of one regime, raised the pinball loss more than they fixed coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carrousel.core.args import check_args

__all__ = [
    "SCALE_SHRINK",
    "AciState",
    "adaptive_conformal",
    "adaptive_conformal_state",
    "apply_calibration",
    "apply_offsets",
    "conformal_offsets",
    "scale_calibration",
]

SCALE_SHRINK = 0.5  # share of the held-out log-multiplier applied (0: none, 1: the full estimate)
_MIN_CALIBRATION = 20  # fewest held-out windows a calibration is fitted on (else none)


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
    if n < _MIN_CALIBRATION:
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


def scale_calibration(
    pred: np.ndarray, actual: np.ndarray, quantiles: tuple[float, ...], shrink: float = SCALE_SHRINK
) -> np.ndarray:
    """Computes the log-multiplier ``(H, Q)`` of the distances from the median from held-out forecasts.

    For a level ``q`` above the median the factor ``m_q`` is the ``q``-quantile, over every held-out window
    and horizon, of ``(y - median) / (pred_q - median)``: outcomes beyond ``median + m_q * (pred_q - median)``
    then have the frequency ``1 - q`` (below the median, mirrored). One factor widens or narrows the whole
    interval: the result is ``shrink`` times the mean of the ``log(m_q)``, the same at every horizon and
    quantile (the median's entry 0), so the held-out windows' skew (one regime's trend) is not copied.

    Args:
        pred: ``(n, H, Q)`` predicted quantiles (containing 0.5).
        actual: ``(n, H)`` outcomes (same units).
        quantiles: the ``Q`` levels.
        shrink: share of ``log(m)`` kept (0.5: halfway between the network's own spread and the estimate).

    Returns:
        ``(H, Q)`` log-multipliers for :func:`apply_calibration` (zeros when fewer than 20 windows).
    """
    n, horizon, n_q = pred.shape
    out = np.zeros((horizon, n_q))
    if n < _MIN_CALIBRATION:
        return out
    mid = quantiles.index(0.5)
    med = pred[..., mid]
    logs = []
    for j, q in enumerate(quantiles):
        dist = pred[..., j] - med
        ok = np.abs(dist) > 1e-12
        if j == mid or ok.sum() < _MIN_CALIBRATION:
            continue
        ratio = (actual - med)[ok] / dist[ok]  # above 1: the outcome lies beyond the quantile
        logs.append(np.log(max(float(np.quantile(ratio, q if q > 0.5 else 1.0 - q)), 1e-3)))
    if logs:
        out[:, [j for j in range(n_q) if j != mid]] = shrink * float(np.mean(logs))
    return out


def apply_calibration(
    pred: np.ndarray, offsets: np.ndarray, log_scale: np.ndarray | None, quantiles: tuple[float, ...]
) -> np.ndarray:
    """Calibrated ``(n, H, Q)`` quantiles: the distances from the median times ``exp(log_scale)`` (``(H, Q)``,
    None: unchanged), plus the additive ``(H, Q)`` offsets, re-sorted so they never cross."""
    if log_scale is None:
        return apply_offsets(pred, offsets)
    mid = quantiles.index(0.5)
    med = pred[..., mid : mid + 1]
    return apply_offsets(med + (pred - med) * np.exp(log_scale)[None], offsets)


@dataclass(frozen=True, eq=False)
class AciState:
    """Where :func:`adaptive_conformal` stands after a sequence, so a later call continues it (a saved
    forecaster continues the backtest's calibration instead of restarting it at ``exp(0)``).

    Attributes:
        log_scale: ``(H, Q)`` the log-multipliers after every outcome known at the last origin.
        recent: ``(k, H, Q)`` the recalibrated forecasts (before re-sorting) of the last ``k <= H`` origins,
            oldest first, whose outcomes are still to update ``log_scale``.
        recent_actual: ``(k, H)`` their outcomes (NaN where unknown when the state was taken; a
            continuation is given them again).
        last_origin: the date of the last origin (``YYYY-MM-DD``; empty when not recorded).
    """

    log_scale: np.ndarray
    recent: np.ndarray
    recent_actual: np.ndarray
    last_origin: str = ""

    @classmethod
    @check_args
    def start(cls, horizon: int, n_quantiles: int) -> AciState:
        """The state before any origin: multipliers 1, nothing pending."""
        return cls(
            np.zeros((horizon, n_quantiles)), np.empty((0, horizon, n_quantiles)), np.empty((0, horizon))
        )


def adaptive_conformal(
    pred: np.ndarray, actual: np.ndarray, quantiles: tuple[float, ...], gamma: float
) -> np.ndarray:
    """Adaptive conformal recalibration of one series' forecasts, in time order, from the start.

    Args:
        pred: ``(n, H, Q)`` quantiles of consecutive origins (one trading day apart).
        actual: ``(n, H)`` outcomes; the one of origin ``k`` at step ``h`` is used from origin ``k + h`` on.
        quantiles: the ``Q`` levels (containing 0.5).
        gamma: step size of the log-scale updates (0 leaves the forecasts unchanged).

    Returns:
        ``(n, H, Q)`` recalibrated, non-crossing quantiles (the median unchanged).
    """
    return adaptive_conformal_state(pred, actual, quantiles, gamma)[0]


def adaptive_conformal_state(
    pred: np.ndarray,
    actual: np.ndarray,
    quantiles: tuple[float, ...],
    gamma: float,
    state: AciState | None = None,
) -> tuple[np.ndarray, AciState]:
    """:func:`adaptive_conformal` continuing from ``state`` (None: from the start), and the state after.

    ``pred``'s first origin is the one right after the state's last; running a sequence in two parts with
    the first part's state gives the same forecasts as running it whole. ``actual`` may hold NaN where an
    outcome is not known yet (past the data): such an outcome is never used before the origin it is known at.

    Returns:
        ``(n, H, Q)`` recalibrated quantiles and the :class:`AciState` after the last origin.
    """
    n, horizon, n_q = pred.shape
    state = state if state is not None else AciState.start(horizon, n_q)
    levels = np.asarray(quantiles)
    mid = quantiles.index(0.5)
    upper = levels > 0.5
    rate = np.where(upper, 1.0 - levels, levels)  # expected share of outcomes beyond each quantile
    log_scale = np.array(state.log_scale, dtype=np.float64)
    k0 = len(state.recent)  # the state's pending origins come first
    out = np.concatenate([state.recent, np.empty_like(pred)])
    known = np.concatenate([state.recent_actual, actual])
    for i in range(k0, k0 + n):
        for j in range(horizon):
            k = i - (j + 1)  # the origin whose step-(j+1) outcome is known at origin i
            if k >= 0:
                y = known[k, j]
                miss = np.where(upper, y > out[k, j], y < out[k, j]).astype(np.float64)
                log_scale[j] += gamma * (miss - rate)
        med = pred[i - k0, :, mid : mid + 1]
        out[i] = med + (pred[i - k0] - med) * np.exp(log_scale)  # misses are counted before sorting
    keep = min(horizon, len(out))
    after = AciState(log_scale, out[len(out) - keep :].copy(), known[len(out) - keep :].copy())
    return np.sort(out[k0:], axis=-1), after
