"""Exchange calendar: forecast dates skip weekends and holidays; gaps are reported, not fatal."""

from __future__ import annotations

import pandas as pd

from carrousel.finance.calendar import check_sessions, future_sessions


def test_future_sessions_skip_weekends_and_holidays() -> None:
    days = future_sessions(pd.Timestamp("2013-12-20"), 5)  # Friday before Christmas
    assert [str(d.date()) for d in days] == [
        "2013-12-23",
        "2013-12-24",
        "2013-12-26",
        "2013-12-27",
        "2013-12-30",
    ]
    days = future_sessions(pd.Timestamp("2012-07-03"), 2)
    assert [str(d.date()) for d in days] == ["2012-07-05", "2012-07-06"]


def test_future_sessions_from_a_weekend_row() -> None:
    days = future_sessions(pd.Timestamp("2013-03-02"), 2)  # a Saturday
    assert [str(d.date()) for d in days] == ["2013-03-04", "2013-03-05"]


def test_gaps_and_off_calendar_rows_are_counted() -> None:
    idx = pd.DatetimeIndex(["2013-03-01", "2013-03-04", "2013-03-07", "2013-03-09"])
    gaps = check_sessions(idx)
    assert (gaps.missing, gaps.longest_gap, gaps.off_calendar) == (3, 2, 1)
