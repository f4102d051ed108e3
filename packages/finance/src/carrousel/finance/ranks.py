"""Work after training shared out across ``torchrun`` ranks: the baseline fits of a backtest
(:mod:`carrousel.finance.backtest_baselines`) and of ``train-global``'s held-out scores
(:mod:`carrousel.finance.multiseries`).

:func:`share_out` runs a list of independent jobs. In one process it runs them all, in order. Under
``torchrun`` (a joined process group) rank ``r`` of ``R`` runs jobs ``r, r + R, ...`` and every rank gets
every result through one ``all_gather_object`` (gloo on CPU): with hundreds of series the baseline fits take
minutes, which rank zero alone used to spend while the other ranks waited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from carrousel.core.errors import CarrouselError
from carrousel.core.train.distributed import all_gather_objects, joined
from carrousel.finance.errors import FinanceError

__all__ = ["share_out"]

logger = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


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


def share_out(jobs: Sequence[J], work: Callable[[J], R], what: str, name: Callable[[J], str]) -> list[R]:
    """``work(job)`` of every job, in job order, shared out across the ranks under ``torchrun``.

    In one process it runs them all, in order (a failure raises its own error). Under ``torchrun`` (a joined
    process group) it is a collective step: rank ``r`` of ``R`` runs jobs ``r, r + R, ...`` and every rank
    gets them all; every rank reaches the gather even when a job fails or it has none, and then each raises
    the first failure, as one line. A warning logged on another rank is logged on rank zero, naming that
    rank.

    Args:
        jobs: the jobs, the same list on every rank.
        work: runs one job; its result must pickle.
        what: the jobs in words, for the log (``"(block, ticker) baseline fits"``).
        name: a job's work in words, for a failure (``"the baselines of AAPL for ..."``).

    Raises:
        FinanceError: under ``torchrun``, when a job failed on any rank (in one process, its own error).
    """
    env = joined()
    if not env.enabled:
        return [work(job) for job in jobs]
    mine = range(env.rank, len(jobs), env.world_size)
    logger.info("running %d of %d %s on this rank", len(mine), len(jobs), what)
    done: dict[int, R] = {}
    failed: str | None = None
    with _kept_warnings(env.rank > 0) as kept:
        for i in mine:
            try:
                done[i] = work(jobs[i])
            except Exception as exc:  # reported by every rank after the gather: none is left waiting
                said = str(exc) if isinstance(exc, CarrouselError) else f"{type(exc).__name__}: {exc}"
                failed = (
                    f"{name(jobs[i])} failed on rank {env.rank} ({' '.join(said.split())}); rerun without "
                    "torchrun to see it alone, or report it"
                )
                break
    parts = all_gather_objects((done, failed, kept))
    for rank, (_, _, lines) in enumerate(parts):
        for line in lines if env.rank == 0 else ():
            logger.warning("rank %d: %s", rank, line)
    if errors := [e for _, e, _ in parts if e is not None]:
        raise FinanceError(errors[0])
    results = {i: result for part, _, _ in parts for i, result in part.items()}
    return [results[i] for i in range(len(jobs))]
