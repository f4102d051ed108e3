"""Exchange trading calendars (``exchange_calendars``): sessions, forecast dates and data gaps."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import exchange_calendars as xcals
import pandas as pd

from carrousel.finance.errors import CalendarNotFoundError

__all__ = ["CalendarGaps", "check_sessions", "future_sessions", "get_calendar"]

logger = logging.getLogger(__name__)

_FIRST_YEAR = 1980  # calendars are built from this year on (the library's default starts 20 years ago)


@functools.lru_cache(maxsize=8)
def get_calendar(name: str = "XNYS", last_year: int | None = None) -> xcals.ExchangeCalendar:
    """Returns the exchange calendar ``name`` covering 1980 to ``last_year`` + 2 (default: this year + 2).

    Raises:
        CalendarNotFoundError: when the calendar code is unknown.
    """
    year = max(last_year or 0, pd.Timestamp.today().year) + 2
    try:
        return xcals.get_calendar(name, start=f"{_FIRST_YEAR}-01-01", end=f"{year}-12-31")
    except xcals.errors.InvalidCalendarName:
        raise CalendarNotFoundError(
            f"unknown exchange calendar {name!r}; use an exchange_calendars code such as XNYS, XLON or XETR"
        ) from None


def future_sessions(last: pd.Timestamp, n: int, calendar: str = "XNYS") -> pd.DatetimeIndex:
    """Returns the ``n`` trading sessions after ``last`` (weekends and exchange holidays skipped)."""
    cal = get_calendar(calendar, last.year + n // 250 + 1)
    day = pd.Timestamp(last).normalize()
    start = cal.date_to_session(day, direction="next")
    # when `last` is not a session (e.g. a Saturday row), the next session is the first forecast date
    sessions = cal.sessions_window(start, n + 1)[1:] if start == day else cal.sessions_window(start, n)
    return pd.DatetimeIndex(sessions).tz_localize(None)


@dataclass(frozen=True)
class CalendarGaps:
    """How a price index relates to the exchange's sessions over the same span."""

    missing: int  # sessions of the exchange with no row in the data
    longest_gap: int  # most consecutive missing sessions
    off_calendar: int  # rows dated on days the exchange was closed


def check_sessions(index: pd.DatetimeIndex, calendar: str = "XNYS") -> CalendarGaps:
    """Compares dates with the exchange calendar; gaps are reported, never fatal."""
    if len(index) == 0:
        return CalendarGaps(0, 0, 0)
    cal = get_calendar(calendar, index[-1].year)
    lo = max(index[0], pd.Timestamp(cal.first_session))
    sessions = pd.DatetimeIndex(cal.sessions_in_range(lo, index[-1]))
    present = sessions.isin(index)
    missing = int((~present).sum())
    longest = 0
    run = 0
    for ok in present:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    off = int((~index.isin(sessions)).sum())
    return CalendarGaps(missing=missing, longest_gap=longest, off_calendar=off)
