"""The baselines of a walk-forward backtest (:mod:`carrousel.finance.backtest`), shared out across ranks.

:func:`fit_baselines` fits every baseline of every ticker in every block of the backtest, after the
network's refits. In one process it fits them all, block by block; under ``torchrun`` each rank fits its
share of the (block, ticker) jobs and every rank gets them all (:func:`~carrousel.finance.ranks.share_out`:
one ``all_gather_object``, gloo on CPU): with hundreds of tickers the baselines take minutes per block, which rank zero alone used to spend
while the other ranks waited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carrousel.core.args import check_args
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.config import FinanceConfig, for_series
from carrousel.finance.features import SeriesData, valid_origins
from carrousel.finance.ranks import share_out

if TYPE_CHECKING:
    from carrousel.finance.backtest import Refit

__all__ = ["BaselineFit", "block_origins", "fit_baselines", "fit_one"]


@dataclass(frozen=True, eq=False)
class BaselineFit:
    """Every baseline of one ticker in one backtest block.

    Attributes:
        forecasts: baseline name -> ``(n, H, Q)`` quantiles at the block's origins of the ticker.
        chosen: what AutoETS, Theta and AutoARIMA picked (empty without the automatic baselines).
    """

    forecasts: dict[str, np.ndarray]
    chosen: dict[str, str]


@check_args
def block_origins(s: SeriesData, refit: Refit, lookback: int, horizon: int) -> np.ndarray:
    """The ticker's ``(n,)`` origin rows in the block (none when the block's network has not seen it)."""
    origins = valid_origins(s, lookback, horizon)
    origins = origins[(s.dates[origins] >= refit.start) & (s.dates[origins] < refit.end)]
    return origins if s.ticker in refit.fitted.scalers else origins[:0]


def fit_one(s: SeriesData, refit: Refit, origins: np.ndarray, cfg: FinanceConfig) -> BaselineFit:
    """Every baseline of the ticker at ``origins``, fitted on its rows up to the block's cut."""
    chosen: dict[str, str] = {}
    h, qs, auto = cfg.window.horizon, cfg.model.quantiles, cfg.backtest.auto_baselines
    return BaselineFit(baseline_forecasts(s, refit.cuts[s.ticker], origins, h, qs, auto, chosen), chosen)


def fit_baselines(
    series_list: list[SeriesData], cfg: FinanceConfig, refits: tuple[Refit, ...]
) -> dict[tuple[int, str], BaselineFit]:
    """The baselines of every ticker in every block of :func:`~carrousel.finance.backtest.run_backtest`, by (block index, ticker).

    In one process it fits them all, block by block. Under ``torchrun`` (a joined process group) it is a
    collective step: rank ``r`` of ``R`` fits jobs ``r, r + R, ...`` of the (block, ticker) jobs in block
    then ticker order, and every rank gets them all; every rank reaches the gather even when a fit fails
    or it has no job, and then each raises the first failure, as one line. A warning of a fit on another
    rank is logged on rank zero, naming that rank (:func:`~carrousel.finance.ranks.share_out`).

    Raises:
        FinanceError: under ``torchrun``, when a fit failed on any rank (in one process, its own error).
    """
    cfg = for_series(cfg, len(series_list))
    lookback, horizon = cfg.window.lookback, cfg.window.horizon
    jobs = [
        (b, s, origins)
        for b, refit in enumerate(refits)
        for s in series_list
        if len(origins := block_origins(s, refit, lookback, horizon))
    ]
    fits = share_out(
        jobs,
        lambda job: fit_one(job[1], refits[job[0]], job[2], cfg),
        "(block, ticker) baseline fits",
        lambda job: (
            f"the baselines of {job[1].ticker} for the backtest block from {refits[job[0]].start.date()}"
        ),
    )
    return {(b, s.ticker): fit for (b, s, _), fit in zip(jobs, fits, strict=True)}
