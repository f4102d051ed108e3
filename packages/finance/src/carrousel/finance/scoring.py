"""The statistics of a backtest scoreboard, as plain NumPy/SciPy functions (each tested against a reference).

* :func:`binomial_p` / :func:`direction_p`: one-sided binomial tests of directional accuracy; the latter
  against the accuracy a no-skill forecaster gets by always calling the more frequent direction
  (``max(up_rate, down_rate)``), so "always up" in a rising market is not significant.
* :func:`mcnemar_p`: the exact McNemar test of one forecaster's correct calls against another's on the same
  origins (e.g. the network's directions against drift's).
* :func:`naive_scale`: Hyndman's MASE scale, the in-sample MAE of the one-step naive forecast.
* :func:`per_series_ratio`: a relative error over several series, each series counted once (``rel_mae``).
* :func:`diebold_mariano`: the DM test with the Harvey-Leybourne-Newbold small-sample correction.
* :func:`holm`: Holm's step-down adjustment of several p-values; :func:`holm_distinct` counts tests computed
  from identical samples (the same test twice) once.
* :func:`winkler` and :func:`crps_from_quantiles`: interval score and CRPS approximated from quantiles.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from carrousel.core.args import check_args

__all__ = [
    "DM_CAP",
    "binomial_p",
    "crps_from_quantiles",
    "diebold_mariano",
    "direction_p",
    "holm",
    "holm_distinct",
    "mcnemar_p",
    "naive_scale",
    "per_series_ratio",
    "winkler",
]


@check_args
def binomial_p(successes: int, trials: int, rate: float = 0.5) -> float:
    """One-sided p-value of at least ``successes`` in ``trials`` draws with success probability ``rate``."""
    if trials == 0:
        return 1.0
    return float(stats.binomtest(successes, trials, rate, alternative="greater").pvalue)


@check_args
def direction_p(hits: int, trials: int, up_rate: float, down_rate: float | None = None) -> float:
    """p-value of ``hits`` correct up/down calls against always calling the majority direction.

    Args:
        hits: correct calls.
        trials: calls made.
        up_rate: share of up moves among the outcomes (the series' base rate).
        down_rate: share of down moves (None: ``1 - up_rate``, no outcome unchanged). An unchanged price is
            neither call's hit, so with such outcomes "always down" is right on ``down_rate`` of them, not on
            ``1 - up_rate``: that bar was set too high, and the p-value too large.
    """
    down = 1.0 - up_rate if down_rate is None else down_rate
    return binomial_p(hits, trials, min(max(up_rate, down), 1.0 - 1e-12))


def mcnemar_p(hits: np.ndarray, ref_hits: np.ndarray) -> float:
    """One-sided exact McNemar p-value that a forecaster's calls are right more often than a reference's.

    Only the discordant origins count: ``b`` where the forecaster is right and the reference wrong, ``c``
    the reverse; under the null both are equally likely, so ``p = P(X >= b)``, ``X ~ Binomial(b + c, 1/2)``.

    Args:
        hits: ``(n,)`` booleans, the forecaster's call at each origin was right.
        ref_hits: ``(n,)`` booleans, the reference's call at the same origins was right.
    """
    a, r = np.asarray(hits, bool), np.asarray(ref_hits, bool)
    return binomial_p(int(np.sum(a & ~r)), int(np.sum(a != r)), 0.5)


def naive_scale(insample: np.ndarray) -> float:
    """In-sample MAE of the one-step naive forecast ``y[t-1]`` (the MASE denominator; NaNs ignored)."""
    diffs = np.abs(np.diff(np.asarray(insample, np.float64)))
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if len(diffs) else math.nan


DM_CAP = 1e6  # the Diebold-Mariano statistic reported for a constant loss difference


@check_args
def diebold_mariano(loss_model: np.ndarray, loss_ref: np.ndarray, horizon: int) -> tuple[float, float]:
    """Diebold-Mariano test with the Harvey-Leybourne-Newbold correction.

    Args:
        loss_model: ``(n,)`` losses of the model, in time order.
        loss_ref: ``(n,)`` losses of the reference on the same targets.
        horizon: forecast horizon ``h``; the long-run variance uses ``h - 1`` autocovariances (overlap).

    Returns:
        ``(statistic, p)``; the statistic is negative when the model's losses are smaller, ``p`` is the
        one-sided p-value of "model better" from a Student t with ``n - 1`` degrees of freedom. A constant,
        non-zero loss difference (every target favours the same side) has no variance: the statistic is
        then capped at -/+ :data:`DM_CAP` and ``p`` is 0 or 1, never an infinite number.
    """
    d = np.asarray(loss_model, np.float64) - np.asarray(loss_ref, np.float64)
    n = len(d)
    if n < 10 or not np.any(d != 0):
        return 0.0, 1.0
    dc = d - d.mean()
    lrv = float(np.dot(dc, dc) / n)
    for lag in range(1, min(horizon, n - 1)):
        lrv += 2.0 * float(np.dot(dc[lag:], dc[:-lag]) / n)
    if lrv <= 0:
        lrv = float(np.dot(dc, dc) / n)
    if lrv <= 1e-24 * float(np.mean(d * d)):  # a constant difference (to rounding): no variance
        better = float(d.mean()) < 0
        return (-DM_CAP, 0.0) if better else (DM_CAP, 1.0)
    stat = float(d.mean() / math.sqrt(lrv / n))
    hln = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    stat *= hln
    return stat, float(stats.t.cdf(stat, df=n - 1))


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given), controlling the family-wise error rate."""
    m = len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(pvalues[i])))
        adjusted[i] = running
    return adjusted.tolist()


def holm_distinct(pvalues: list[float], samples: list[np.ndarray]) -> list[float]:
    """:func:`holm` over the distinct tests only (same order as given): tests whose ``samples`` are identical
    arrays (e.g. the per-date losses of two baselines with the same point forecasts, such as the random walk
    and zero return) are one test, counted once in the family, and share its adjusted p-value.

    Args:
        pvalues: each test's unadjusted p-value (identical samples must give identical p-values).
        samples: the array each test was computed from (with the rest of the tests' inputs shared).
    """
    if len(samples) != len(pvalues):
        raise ValueError(f"{len(pvalues)} p-values but {len(samples)} samples; give one sample per test")
    first = [next(j for j in range(i + 1) if np.array_equal(samples[j], s)) for i, s in enumerate(samples)]
    kept = sorted(set(first))
    adjusted = dict(zip(kept, holm([pvalues[j] for j in kept]), strict=True))
    return [adjusted[j] for j in first]


def winkler(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, coverage: float) -> float:
    """Mean Winkler (interval) score of central ``coverage`` intervals: width plus ``2/alpha`` x misses."""
    alpha = 1.0 - coverage
    below = np.maximum(lower - y, 0.0)
    above = np.maximum(y - upper, 0.0)
    return float(np.mean((upper - lower) + (2.0 / alpha) * (below + above)))


def crps_from_quantiles(pred: np.ndarray, y: np.ndarray, levels: tuple[float, ...]) -> float:
    """Mean CRPS approximated from quantiles: ``2 * sum_k w_k * pinball_k(y)``.

    ``CRPS = 2 * integral_0^1 pinball_tau d tau``; the integral is a Riemann sum whose weight ``w_k`` is the
    share of ``(0, 1)`` nearest to level ``k`` (0.3, 0.4, 0.3 for p10/p50/p90). With few quantiles it is a
    coarse approximation; with many it converges to the exact CRPS.

    Args:
        pred: ``(..., Q)`` quantiles at ``levels`` (sorted).
        y: ``(...)`` outcomes.
        levels: the ``Q`` levels.
    """
    lv = np.asarray(levels, np.float64)
    edges = np.concatenate([[0.0], (lv[1:] + lv[:-1]) / 2, [1.0]])
    weights = np.diff(edges)
    err = np.asarray(y, np.float64)[..., None] - pred
    pin = np.maximum(lv * err, (lv - 1.0) * err)
    return float(np.mean(2.0 * (pin * weights).sum(axis=-1)))


def per_series_ratio(errors: np.ndarray, reference: np.ndarray, ids: np.ndarray) -> float:
    """The mean over series of ``mean(errors) / mean(reference)`` on each series' rows: every series counts
    once, whatever its price level (a ratio of errors pooled over series is ruled by the highest-priced one).

    Args:
        errors: ``(n, H)`` absolute errors of a model.
        reference: ``(n, H)`` absolute errors of the reference model on the same rows.
        ids: ``(n,)`` the series of each row.

    Returns:
        The mean ratio; a series whose reference never erred (a price that never moved) is left out, NaN
        when every series is.
    """
    ratios = []
    for sid in np.unique(ids):
        rows = ids == sid
        ref = float(np.mean(reference[rows]))
        if ref > 0:
            ratios.append(float(np.mean(errors[rows])) / ref)
    return float(np.mean(ratios)) if ratios else math.nan
