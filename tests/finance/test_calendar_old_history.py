"""A price history that ends before 1980 (IBM 1962-1975, a Dow Jones CSV, Stooq's long files cut to an old
window) is forecast on its exchange's sessions.

Before, every calendar was built from 1 January 1980: ``finance forecast IBM --csv FILE`` of a history ending
on 31 December 1975 trained its model, then stopped with "internal error (DateOutOfBounds: Parameter `date`
receieved as '1975-12-31 00:00:00' although cannot be earlier than the first session of calendar 'XNYS'
('1980-01-02 00:00:00').)", with ``--calendar XNYS`` and without. Exchange calendars now begin in 1970,
where exchange_calendars' holidays do. The holidays below were read from exchange_calendars' XNYS
(``is_session`` False), not written from memory.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.calendar import future_sessions, get_calendar
from carrousel.finance.calendar_pick import calendar_and_reason, resolve_calendar
from carrousel.finance.cli import app
from carrousel.finance.errors import CalendarNotFoundError


def _sessions(code: str, start: str, end: str) -> pd.DatetimeIndex:
    cal = get_calendar(code, pd.Timestamp(end).year)
    return pd.DatetimeIndex(cal.sessions_in_range(start, end)).tz_localize(None)


@pytest.mark.parametrize(
    ("last", "n", "dates"),
    [
        ("1975-12-31", 2, ["1976-01-02", "1976-01-05"]),  # New Year's Day 1976, a Thursday
        ("1973-01-24", 2, ["1973-01-26", "1973-01-29"]),  # 25 January 1973: President Johnson's funeral
        ("1976-11-01", 1, ["1976-11-03"]),  # Election Day 1976 (closed in presidential years until 1980)
        ("1977-07-13", 2, ["1977-07-15", "1977-07-18"]),  # 14 July 1977: New York's blackout
    ],
)
def test_a_history_ending_in_the_1970s_is_dated_on_xnys_sessions(last: str, n: int, dates: list[str]) -> None:
    days = future_sessions(pd.Timestamp(last), n, "XNYS")
    assert [str(d.date()) for d in days] == dates


def test_the_auto_rule_checks_a_history_of_the_1970s() -> None:
    """Before, no row before 1980 was checked, so every history of the 1970s 'kept' XNYS exactly: a London
    file named VOD (XLON sessions, 1970-1975) was dated on XNYS sessions."""
    assert resolve_calendar("VOD", _sessions("XLON", "1970-01-02", "1975-12-31")) == "XLON"
    assert resolve_calendar("IBM", _sessions("XNYS", "1970-01-02", "1975-12-31")) == "XNYS"


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_exchange_calendars_drops_holidays_before_1970() -> None:
    """Why exchange calendars begin in 1970 (not at the first row, as IBM's 1962): exchange_calendars takes
    its regular holidays from pandas' holiday calendars, which begin on 1 January 1970, so an XNYS it builds
    from 1960 keeps New Year's Day 1960 (a Friday: the NYSE was closed) as a session. If this fails, a new
    exchange_calendars or pandas knows earlier holidays, and ``calendar._FIRST_YEAR`` may go back."""
    cal = xcals.get_calendar("XNYS", start="1960-01-01", end="1975-12-31")
    assert cal.is_session("1960-01-01") and not cal.is_session("1971-01-01")


def test_a_history_ending_before_1970_is_dated_on_weekdays_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No exchange's calendar reaches 1969: such a history is dated on every weekday (24/5), with one warning,
    under ``auto`` and under an exchange's code given explicitly (which was an internal error at the
    forecast, after training; a backtest, which needs no forecast dates, still runs)."""
    dates = pd.bdate_range("1962-01-02", "1969-12-31")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert resolve_calendar("IBM", dates, log=True) == "24/5"
        assert resolve_calendar("IBM", dates, "XNYS", log=True) == "24/5"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "IBM: its rows end on 1969-12-31, before exchange calendars begin (1970) in exchange_calendars: its "
        "forecasts are dated on every weekday (24/5)",
        "IBM: its rows end on 1969-12-31, before the XNYS calendar begins (1970-01-02) in exchange_calendars: "
        "its forecasts are dated on every weekday (24/5)",
    ]
    assert [str(d.date()) for d in future_sessions(dates[-1], 2, "24/5")] == ["1970-01-01", "1970-01-02"]
    with pytest.raises(
        CalendarNotFoundError, match=r"'XNYS' begins on 1970-01-02 .* use 24/5 \(every weekday\)$"
    ):
        future_sessions(dates[-1], 2, "XNYS")  # the library call itself: one line, not DateOutOfBounds


def test_a_calendar_that_begins_after_the_history_is_passed_over() -> None:
    """exchange_calendars knows Tokyo (XTKS) from 1997. Before, ``7203.T`` with rows ending in 1990 was given
    XTKS (its symbol's) and its forecast failed on dates before that calendar's first session."""
    dates = _sessions("XNYS", "1985-01-02", "1990-12-31")
    assert resolve_calendar("7203.T", dates) == "XNYS"  # auto: the symbol's calendar is passed over
    assert resolve_calendar("7203.T", dates, "XTKS") == "24/5"  # given: weekdays, and a warning


def test_the_calendar_is_built_once_not_per_call() -> None:
    """Calendars are cached per code and end year (this year + 2 for every history ending before this one):
    before, a 1975 and a 1976 history each built their own (the cache was keyed by the last year)."""
    from carrousel.finance import calendar

    assert get_calendar("XNYS", 1975) is get_calendar("XNYS", 1976) is get_calendar("XNYS")
    built = calendar._cached_calendar.cache_info().misses
    for year in range(1970, 1980):
        future_sessions(pd.Timestamp(f"{year}-06-30"), 5, "XNYS")
    assert calendar._cached_calendar.cache_info().misses == built


_TINY = ["--epochs", "1", "--hidden", "4", "--lookback", "10", "--horizon", "3", "--members", "1",
         "--no-backtest", "--json"]  # fmt: skip


def test_forecast_of_a_1970s_csv_is_dated_on_1976_sessions(tmp_path: Path, raw_aapl: pd.DataFrame) -> None:
    days = _sessions("XNYS", "1970-01-02", "1975-12-31")
    frame = raw_aapl.tail(800).drop(columns=["adj_close"], errors="ignore")
    frame.index = pd.DatetimeIndex(days[-len(frame) :], name="Date")
    frame.columns = [c.title() for c in frame.columns]
    path = tmp_path / "ibm.csv"
    frame.to_csv(path)
    for flags in ([], ["--calendar", "XNYS"]):
        result = CliRunner().invoke(app, ["forecast", "IBM", "--csv", str(path), *_TINY, *flags])
        assert result.exit_code == 0, result.output
        fc = json.loads(result.stdout)["forecasts"][0]
        assert fc["calendar"] == "XNYS"
        assert [r["date"] for r in fc["rows"]] == ["1976-01-02", "1976-01-05", "1976-01-06"]


def test_forecast_json_notes_say_why_a_history_before_1970_is_dated_on_weekdays(
    tmp_path: Path, raw_aapl: pd.DataFrame
) -> None:
    """The reason was on stderr only; --json said "calendar": "24/5" and gave no note of why. It is now one
    of the series' notes (the JSON's and the table's), the DataFrame API's too."""
    from carrousel.finance.frames import _histories

    frame = raw_aapl.tail(800).drop(columns=["adj_close"], errors="ignore")
    frame.index = pd.bdate_range(end="1969-12-31", periods=len(frame), name="Date")
    frame.columns = [c.title() for c in frame.columns]
    path = tmp_path / "ibm.csv"
    frame.to_csv(path)
    why = (
        "rows end on 1969-12-31, before exchange calendars begin (1970) in exchange_calendars: forecasts dated "
        "on every weekday (24/5)"
    )
    result = CliRunner().invoke(app, ["forecast", "IBM", "--csv", str(path), *_TINY])
    assert result.exit_code == 0, result.output
    fc = json.loads(result.stdout)["forecasts"][0]
    assert fc["calendar"] == "24/5" and fc["notes"] == [why]
    assert calendar_and_reason("IBM", frame.index, "XNYS") == (
        "24/5",
        "rows end on 1969-12-31, before the XNYS calendar begins (1970-01-02) in exchange_calendars: forecasts "
        "dated on every weekday (24/5)",
    )
    assert calendar_and_reason("IBM", _sessions("XNYS", "1970-01-02", "1975-12-31")) == ("XNYS", None)
    df = pd.DataFrame({"unique_id": "IBM", "ds": frame.index, "y": frame["Close"].to_numpy()})
    (history,) = _histories(df, "auto")
    assert history.notes == (why,)
