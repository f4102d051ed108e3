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


def test_future_sessions_skip_good_friday_and_unscheduled_closures() -> None:
    days = future_sessions(pd.Timestamp("2013-03-28"), 2)  # Thursday before Good Friday 2013-03-29
    assert [str(d.date()) for d in days] == ["2013-04-01", "2013-04-02"]
    days = future_sessions(pd.Timestamp("2012-10-26"), 2)  # NYSE closed 29-30 Oct 2012 (hurricane Sandy)
    assert [str(d.date()) for d in days] == ["2012-10-31", "2012-11-01"]
    days = future_sessions(pd.Timestamp("2012-12-31"), 1)  # New Year's Day
    assert [str(d.date()) for d in days] == ["2013-01-02"]


def test_future_sessions_from_a_weekend_row() -> None:
    days = future_sessions(pd.Timestamp("2013-03-02"), 2)  # a Saturday
    assert [str(d.date()) for d in days] == ["2013-03-04", "2013-03-05"]


def test_gaps_and_off_calendar_rows_are_counted() -> None:
    idx = pd.DatetimeIndex(["2013-03-01", "2013-03-04", "2013-03-07", "2013-03-09"])
    gaps = check_sessions(idx)
    assert (gaps.missing, gaps.longest_gap, gaps.off_calendar) == (3, 2, 1)
