"""Scoring a backtest: error metrics, directional accuracy with a binomial test, interval coverage,
pinball loss, the Diebold-Mariano test against the random walk, and a one-line verdict.

Point forecasts are the median quantile, turned into prices as ``C[t] * exp(q50)``. MASE divides a model's
price MAE by the random walk's MAE on exactly the same windows, so the random walk scores 1.0 by
construction and values below 1 mean better than "tomorrow = today".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import stats

from carrousel.core.metrics import mae, mape, mase, pinball_loss, rmse
from carrousel.finance.backtest import BacktestResult
from carrousel.finance.errors import PriceDataError

__all__ = ["ModelScore", "Scoreboard", "binomial_p", "diebold_mariano", "score_backtest"]

REFERENCE = "random_walk"
ALPHA = 0.05  # significance level of the verdict


@dataclass(frozen=True)
class ModelScore:
    """Backtest figures of one model (all horizons pooled unless stated)."""

    model: str  # model name
    mae: float  # mean absolute price error
    rmse: float  # root mean squared price error
    mape: float  # mean absolute percentage price error, in percent
    mase: float  # MAE / random walk's MAE on the same windows (1.0 = random walk)
    directional_accuracy: float | None  # share of correct next-day up/down calls (None: no direction)
    direction_p: float | None  # one-sided binomial p-value of that share against a coin flip
    coverage: float  # share of outcomes inside the outermost quantile interval
    nominal_coverage: float  # what that interval should cover
    pinball: float  # mean pinball loss of the log-return quantiles, in percent
    dm_stat: float | None  # Diebold-Mariano statistic vs the random walk (negative: model better)
    dm_p: float | None  # one-sided p-value that the model's absolute errors are smaller


@dataclass(frozen=True)
class Scoreboard:
    """Scores of every model on the same windows plus the verdict on the network."""

    scores: tuple[ModelScore, ...]  # one per model, the network first
    windows: int  # forecast origins scored
    horizon: int  # days ahead per origin
    first_date: str  # first origin date
    last_date: str  # last origin date
    verdict: str  # "beats random walk: yes/no (p=...)"

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {**asdict(self), "scores": [asdict(s) for s in self.scores]}

    def get(self, model: str) -> ModelScore:
        """The score of ``model`` (KeyError when absent)."""
        for s in self.scores:
            if s.model == model:
                return s
        raise KeyError(model)


def binomial_p(successes: int, trials: int) -> float:
    """One-sided p-value of at least ``successes`` in ``trials`` coin flips."""
    if trials == 0:
        return 1.0
    return float(stats.binomtest(successes, trials, 0.5, alternative="greater").pvalue)


def diebold_mariano(loss_model: np.ndarray, loss_ref: np.ndarray, horizon: int) -> tuple[float, float]:
    """Diebold-Mariano test with the Harvey-Leybourne-Newbold correction.

    Args:
        loss_model: ``(n,)`` losses of the model, in time order.
        loss_ref: ``(n,)`` losses of the reference on the same targets.
        horizon: forecast horizon ``h``; the long-run variance uses ``h - 1`` autocovariances (overlap).

    Returns:
        ``(statistic, p)``; the statistic is negative when the model's losses are smaller, ``p`` is the
        one-sided p-value of "model better" from a Student t with ``n - 1`` degrees of freedom.
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
    stat = float(d.mean() / math.sqrt(lrv / n))
    hln = math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    stat *= hln
    return stat, float(stats.t.cdf(stat, df=n - 1))


def _per_date(values: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Averages values sharing an origin date (tickers pooled), in date order."""
    order, inverse = np.unique(dates, return_inverse=True)
    sums = np.zeros(len(order))
    np.add.at(sums, inverse, values)
    counts = np.bincount(inverse, minlength=len(order))
    return sums / counts


def score_backtest(bt: BacktestResult) -> Scoreboard:
    """Scores every model of a backtest against the realised prices; see :class:`ModelScore`."""
    qs = bt.quantiles
    mid = qs.index(0.5)
    y = bt.actual
    price0 = bt.base_price[:, None]
    truth = torch.from_numpy(price0 * np.exp(y)).reshape(-1)
    rw_abs = np.abs(y - bt.forecasts[REFERENCE][..., mid]).mean(axis=1)
    rw_mae = mae(torch.from_numpy(price0 * np.exp(bt.forecasts[REFERENCE][..., mid])).reshape(-1), truth)
    if not rw_mae > 0:
        raise PriceDataError(
            "prices never moved over the backtest windows, so errors cannot be scaled by the random walk's "
            "(MASE undefined); use a history whose prices change, or --no-backtest"
        )
    dates = bt.dates.to_numpy()
    order = [bt.model_name, *(k for k in bt.forecasts if k != bt.model_name)]
    scores = []
    for name in order:
        f = bt.forecasts[name]
        point = torch.from_numpy(price0 * np.exp(f[..., mid])).reshape(-1)
        step1 = np.sign(f[:, 0, mid])
        if np.all(step1 == 0):
            da = dp = None
        else:
            hits = int(np.sum(step1 == np.sign(y[:, 0])))
            trials = len(step1)
            da, dp = hits / trials, binomial_p(hits, trials)
        inside = (y >= f[..., 0]) & (y <= f[..., -1])
        pct_q, pct_y = torch.from_numpy(f * 100).reshape(-1, len(qs)), torch.from_numpy(y * 100).reshape(-1)
        pin = pinball_loss(pct_q, pct_y, qs)
        if name == REFERENCE:
            dm_stat, dm_p = None, None
        else:
            model_abs = np.abs(y - f[..., mid]).mean(axis=1)
            dm_stat, dm_p = diebold_mariano(_per_date(model_abs, dates), _per_date(rw_abs, dates), bt.horizon)
        scores.append(
            ModelScore(
                model=name,
                mae=mae(point, truth),
                rmse=rmse(point, truth),
                mape=100.0 * mape(point, truth),
                mase=mase(point, truth, rw_mae),
                directional_accuracy=da,
                direction_p=dp,
                coverage=float(inside.mean()),
                nominal_coverage=float(qs[-1] - qs[0]),
                pinball=pin,
                dm_stat=dm_stat,
                dm_p=dm_p,
            )
        )
    net = scores[0]
    p = net.dm_p if net.dm_p is not None else 1.0
    beats = p < ALPHA and net.mase < 1.0
    answer = "yes" if beats else "no"
    verdict = f"{bt.model_name} beats random walk: {answer} (p={p:.3g}, MASE {net.mase:.3f})"
    return Scoreboard(
        scores=tuple(scores),
        windows=len(y),
        horizon=bt.horizon,
        first_date=str(bt.dates.min().date()),
        last_date=str(bt.dates.max().date()),
        verdict=verdict,
    )
