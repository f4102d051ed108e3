"""The baselines of a walk-forward backtest (:mod:`carrousel.finance.backtest`), shared out across ranks.

:func:`fit_baselines` fits every baseline of every ticker in every block of the backtest, after the
network's refits. In one process it fits them all, block by block; under ``torchrun`` each rank fits its
share of the (block, ticker) jobs and every rank gets them all through one ``all_gather_object`` (gloo on
CPU): with hundreds of tickers the baselines take minutes per block, which rank zero alone used to spend
while the other ranks waited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.errors import CarrouselError
from carrousel.core.train.distributed import all_gather_objects, joined
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.config import FinanceConfig, for_series
from carrousel.finance.errors import FinanceError
from carrousel.finance.features import SeriesData, valid_origins

if TYPE_CHECKING:
    from carrousel.finance.backtest import Refit

__all__ = ["BaselineFit", "block_origins", "fit_baselines", "fit_one"]

logger = logging.getLogger(__name__)


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


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def _kept_warnings(keep: bool) -> Iterator[list[str]]:
    """With ``keep``, the warnings of ``carrousel.finance`` are kept in the yielded list (for rank zero to
    show), not logged."""
    if not keep:
        yield []
        return
    log, kept = logging.getLogger("carrousel.finance"), _Kept()
    before = log.level, log.propagate
    log.addHandler(kept)
    log.setLevel(logging.WARNING)
    log.propagate = False
    try:
        yield kept.lines
    finally:
        log.removeHandler(kept)
        log.level, log.propagate = before


def fit_baselines(
    series_list: list[SeriesData], cfg: FinanceConfig, refits: tuple[Refit, ...]
) -> dict[tuple[int, str], BaselineFit]:
    """The baselines of every ticker in every block of :func:`~carrousel.finance.backtest.run_backtest`, by (block index, ticker).

    In one process it fits them all, block by block. Under ``torchrun`` (a joined process group) it is a
    collective step: rank ``r`` of ``R`` fits jobs ``r, r + R, ...`` of the (block, ticker) jobs in block
    then ticker order, and every rank gets them all; every rank reaches the gather even when a fit fails
    or it has no job, and then each raises the first failure, as one line. A warning of a fit on another
    rank is logged on rank zero, naming that rank.

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
    env = joined()
    if not env.enabled:
        return {(b, s.ticker): fit_one(s, refits[b], origins, cfg) for b, s, origins in jobs}
    mine = jobs[env.rank :: env.world_size]
    logger.info("fitting the baselines of %d of %d (block, ticker) jobs on this rank", len(mine), len(jobs))
    done: dict[tuple[int, str], BaselineFit] = {}
    failed: str | None = None
    with _kept_warnings(env.rank > 0) as kept:
        for b, s, origins in mine:
            try:
                done[b, s.ticker] = fit_one(s, refits[b], origins, cfg)
            except Exception as exc:  # reported by every rank after the gather: none is left waiting
                what = str(exc) if isinstance(exc, CarrouselError) else f"{type(exc).__name__}: {exc}"
                failed = (
                    f"the baselines of {s.ticker} for the backtest block from {refits[b].start.date()} failed "
                    f"on rank {env.rank} ({' '.join(what.split())}); rerun without torchrun to see it alone, "
                    "or report it"
                )
                break
    parts = all_gather_objects((done, failed, kept))
    for rank, (_, _, lines) in enumerate(parts):
        for line in lines if env.rank == 0 else ():
            logger.warning("rank %d: %s", rank, line)
    if errors := [e for _, e, _ in parts if e is not None]:
        raise FinanceError(errors[0])
    return {key: fit for part, _, _ in parts for key, fit in part.items()}
