"""Warnings about many series at once: the first few series named in full, the rest counted in one line.

A panel of hundreds of series (a long DataFrame, a CSV of many tickers) that share a problem (close-only
prices, another exchange's calendar) would otherwise print hundreds of warnings; the first five series keep
their own lines, so the numbers of a typical one stay visible, and one more line counts the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from carrousel.core.args import check_args
from carrousel.core.text import counted, name_some

__all__ = [
    "NAMED_SERIES",
    "gathered_warnings",
    "warn_per_series",
    "warn_series",
    "warn_short_series",
    "warn_untrained",
]

logger = logging.getLogger(__name__)

NAMED_SERIES = 5  # series warned about by name before the rest are counted in one more line

# (logger name, problem, consequence) -> {series: times}, while gathered_warnings() runs; None: warn at once
_GATHERED: ContextVar[dict[tuple[str, str, str], dict[str, int]] | None] = ContextVar(
    "gathered", default=None
)


def warn_series(log: logging.Logger, series: str, problem: str, detail: str, then: str) -> None:
    """Warns ``"<series>: <problem> (<detail>); <then>"`` at once, or, inside :func:`gathered_warnings`,
    once at its end for every series with that problem (each series' count named; ``detail`` is then a
    debug line). A problem of every refit and ensemble member (a GARCH fit that does not converge) was
    logged once per fit: four identical lines for one series of a short backtest."""
    gathered = _GATHERED.get()
    if gathered is None:
        log.warning("%s: %s (%s); %s", series, problem, detail, then)
        return
    log.debug("%s: %s (%s)", series, problem, detail)
    counts = gathered.setdefault((log.name, problem, then), {})
    counts[series] = counts.get(series, 0) + 1


@contextmanager
def gathered_warnings() -> Iterator[None]:
    """:func:`warn_series`' warnings of the block said once each at its end: ``"<problem> for N series
    (A: 4 fits, B: 1 fit); <then>"`` (five series named, the rest counted). Nested: the outermost says them."""
    if _GATHERED.get() is not None:
        yield
        return
    token = _GATHERED.set({})
    try:
        yield
    finally:
        gathered = _GATHERED.get() or {}
        _GATHERED.reset(token)
        for (name, problem, then), counts in gathered.items():
            fits = (f"{series}: {counted(n, 'fit')}" for series, n in counts.items())
            logging.getLogger(name).warning(
                "%s for %d series (%s); %s", problem, len(counts), name_some(fits, NAMED_SERIES), then
            )


def warn_per_series(log: logging.Logger, warnings: Iterable[Sequence[str]], more: str) -> int:
    """Logs the warning lines of the first :data:`NAMED_SERIES` series that have any, then one line
    ``"<n> more series <more>"`` for the others.

    Args:
        log: the logger of the module whose check found the problems.
        warnings: each series' warning lines (each naming its series), in the data's order; empty for a
            series without a problem.
        more: the rest of the counting line, e.g. ``"have no volume either; ..."``.

    Returns:
        How many series had a warning.
    """
    warned = 0
    for lines in warnings:
        warned += bool(lines)
        if warned <= NAMED_SERIES:
            for line in lines:
                log.warning("%s", line)
    if warned > NAMED_SERIES:
        log.warning("%d more series %s", warned - NAMED_SERIES, more)
    return warned


def _name_with_rows(short: list[tuple[str, int]]) -> str:
    """The first :data:`NAMED_SERIES` series as ``NAME (ROWS rows)``, then a count of the rest (core ``name_some``)."""
    return name_some((f"{name} ({rows} row{'' if rows == 1 else 's'})" for name, rows in short), NAMED_SERIES)


@check_args
def warn_short_series(short: list[tuple[str, int]], total: int, need: int) -> None:
    """One warning line naming the series left out for holding fewer than ``need`` rows: five by name with
    their row counts, then a count of the rest (as :func:`~carrousel.finance.absent_inputs.warn_absent_inputs`);
    nothing when none was.

    Args:
        short: ``(name, rows)`` of each series left out, in the table's order.
        total: series in the table.
        need: rows a series needs.
    """
    if not short:
        return
    named = _name_with_rows(short)
    logger.warning(
        "skipped %d of %d series, too short for this model (it reads the last %d rows: its lookback and the "
        "returns before it): %s; give them more history to forecast them",
        len(short), total, need, named,
    )  # fmt: skip


@check_args
def warn_untrained(short: list[tuple[str, int]], total: int, lookback: int, horizon: int) -> None:
    """One warning line naming the series a global fit left out, too short for a training window (five by
    name with their row counts, then a count of the rest); nothing when none was.

    Args:
        short: ``(name, rows)`` of each series left out, in the table's order.
        total: series in the table.
        lookback: the window's lookback.
        horizon: the window's horizon.
    """
    if not short:
        return
    named = _name_with_rows(short)
    logger.warning(
        "trained on %d of %d series: %d too short for a training window at lookback=%d and horizon=%d, not "
        "trained on: %s; predict scales such a series with its own history (give it more rows to train on it)",
        total - len(short), total, len(short), lookback, horizon, named,
    )  # fmt: skip
