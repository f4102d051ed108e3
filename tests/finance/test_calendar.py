"""Exchange calendar: forecast dates skip weekends and holidays; gaps are reported, not fatal."""

from __future__ import annotations

import pandas as pd
import pytest

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


def test_calendars_that_begin_after_1970_are_built_from_their_first_year() -> None:
    """``[data] calendar = "XTKS"`` (Tokyo: exchange_calendars knows it from 1997) was "internal error
    (ValueError: The earliest date from which calendar XTKS can be evaluated is 1997-01-01 ...)": every
    calendar was built from 1980 (1970 now). It starts at the calendar's own first year now."""
    from carrousel.finance.calendar import get_calendar

    cal = get_calendar("XTKS", 2013)
    assert str(pd.Timestamp(cal.first_session).date()) == "1997-01-06"  # the first session after New Year
    days = future_sessions(pd.Timestamp("2013-04-26"), 3, calendar="XTKS")  # Golden Week: 29 April closed
    assert [str(d.date()) for d in days] == ["2013-04-30", "2013-05-01", "2013-05-02"]
    gaps = check_sessions(pd.DatetimeIndex(["1990-01-04", "2013-04-26"]), "XTKS")
    assert gaps.off_calendar == 0 and gaps.rows == 1  # the 1990 row, before XTKS's first session: unchecked
    assert str(pd.Timestamp(get_calendar("XNYS", 2013).first_session).date()) == "1970-01-02"


def test_a_calendar_the_library_cannot_build_is_one_clear_error() -> None:
    from carrousel.finance.calendar import get_calendar
    from carrousel.finance.errors import CalendarNotFoundError

    with pytest.raises(CalendarNotFoundError, match="exchange calendar 'ASEX' cannot be built"):
        get_calendar("ASEX", 2013)  # before: NotImplementedError, an internal error


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("XNYS", "1970-01-02"),  # 1 January 1970: New Year's Day
        ("XLON", "1970-01-02"),
        ("XETR", "1970-01-02"),
        ("XTKS", "1997-01-06"),  # exchange_calendars knows Tokyo from 1997
        ("XSAU", "2021-01-03"),  # and Riyadh from 2021 (a Sunday session)
        ("24/5", "1900-01-01"),  # no holidays: right for any year, built from further back
        ("24/7", "1900-01-01"),
        ("NYSE", "1970-01-02"),  # an alias
    ],
)
def test_each_calendar_starts_on_its_first_session_from_1970(name: str, first: str) -> None:
    """The first sessions pinned before ``_first_day`` (which read exchange_calendars' private factory
    table) gave way to the public ``bound_min``: the same for every calendar the README names. Exchange
    calendars begin in 1970 (were: 1980), as exchange_calendars' holidays do; 24/5 and 24/7 in 1900."""
    from carrousel.finance.calendar import get_calendar

    assert str(pd.Timestamp(get_calendar(name, 2013).first_session).date()) == first


def test_the_calendar_module_reads_no_private_attribute() -> None:
    """``_first_day`` read ``dispatcher._calendar_factories`` (no public accessor, it said): an upgrade of
    exchange_calendars could drop it silently. The module now uses the library's public names only."""
    import ast
    import inspect

    from carrousel.finance import calendar

    tree = ast.parse(inspect.getsource(calendar))
    private = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.endswith("__")
    ]
    assert private == []
