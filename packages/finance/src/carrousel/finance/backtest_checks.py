"""What a backtest's scores cover, said where it falls short: a series whose rows miss sessions inside its
scored period (a forecast's step is a row offset, so step 1 across a 10-session gap is scored as a one-day
forecast), and a series forecast at only part of the test origins (listed part-way through the test period:
only the blocks whose refit trained on it forecast it). Both were silent before: a gap under 5% of a
series' sessions was an info line (:func:`~carrousel.finance.calendar.gap_warnings`), the missing origins
nothing at all."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.text import counted, name_some
from carrousel.finance.calendar import get_calendar
from carrousel.finance.calendar_pick import resolve_calendar
from carrousel.finance.features import SeriesData
from carrousel.finance.series_warnings import warn_per_series

__all__ = ["scored_gaps", "warn_partial_coverage", "warn_scored_gaps"]

logger = logging.getLogger(__name__)


@check_args
def scored_gaps(
    s: SeriesData, origins: pd.DatetimeIndex, last_targets: pd.DatetimeIndex, horizon: int, calendar: str
) -> str | None:
    """The warning line for the sessions ``s`` has no row for between its first scored origin and its last
    scored target date (None when it misses none): the gaps by their dates and how many of the scored
    forecasts span one (their ``H`` rows span more than ``H`` sessions)."""
    first, last = origins.min(), last_targets.max()
    cal = get_calendar(calendar, last.year)
    first = max(first, pd.Timestamp(cal.first_session).tz_localize(None))
    if first > last:
        return None
    sessions = pd.DatetimeIndex(cal.sessions_in_range(first, last)).tz_localize(None)
    missing = np.flatnonzero(~sessions.isin(s.dates))
    if len(missing) == 0:
        return None
    runs = np.split(missing, np.flatnonzero(np.diff(missing) > 1) + 1)
    gaps = [
        f"{sessions[r[0]].date()}" + (f" to {sessions[r[-1]].date()}" if len(r) > 1 else "") for r in runs
    ]
    spanned = sessions.searchsorted(last_targets) - sessions.searchsorted(origins)
    across = int((spanned > horizon).sum())
    longest = max(len(r) for r in runs)
    return (
        f"{s.ticker}: {counted(len(missing), calendar + ' session')} without a row inside its scored period "
        f"({name_some(gaps)}); {across} of {len(origins)} scored forecasts span a gap, each scored at the step "
        f"of its row (step 1 can span {longest + 1} sessions); fill the missing days, or start the test after "
        "the gap"
    )


def warn_scored_gaps(
    series_list: list[SeriesData],
    tickers: np.ndarray,
    dates: pd.DatetimeIndex,
    target_dates: np.ndarray,
    setting: str,
) -> None:
    """Logs :func:`scored_gaps` of every scored series (five in full, then a count), each on the calendar
    ``setting`` gives it (``"auto"``: :func:`~carrousel.finance.calendar_pick.resolve_calendar`'s)."""
    horizon = target_dates.shape[1]
    lines = []
    for s in series_list:
        rows = np.flatnonzero(tickers == s.ticker)
        if len(rows) == 0:
            continue
        calendar = resolve_calendar(s.ticker, s.dates, setting)
        last = pd.DatetimeIndex(target_dates[rows, -1])
        line = scored_gaps(s, dates[rows], last, horizon, calendar)
        lines.append([line] if line else [])
    warn_per_series(logger, lines, "miss sessions inside their scored period too; fill the missing days")


def warn_partial_coverage(tickers: np.ndarray, dates: pd.DatetimeIndex) -> None:
    """Logs the series forecast at only part of the test origins (the dates any series is forecast at)
    because their first forecast comes after the test's first origin (listed part-way through the test
    period: the blocks refitted before the series had the training windows it needs do not forecast it),
    with the count: their scores cover fewer and later dates than the others'."""
    every = dates.unique()
    start = every.min()
    lines = []
    for t in pd.unique(tickers):
        own = dates[tickers == t]
        if own.min() > start:
            lines.append(
                [
                    f"{t}: forecast at {len(own)} of the {len(every)} test origins, from {own.min().date()} (the "
                    f"test starts {start.date()}: the blocks refitted before it had enough rows left it out), so "
                    "its scores cover later dates than the others'; give it a longer history or use a smaller "
                    f"{option('refit_every')}"
                ]
            )
        else:
            lines.append([])
    warn_per_series(logger, lines, "are forecast at only part of the test origins too")
