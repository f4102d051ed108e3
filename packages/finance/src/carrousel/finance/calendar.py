"""Exchange trading calendars (``exchange_calendars``): sessions, forecast dates and data gaps."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.option_names import naming_flags, option
from carrousel.finance.errors import CalendarNotFoundError, PriceDataError
from carrousel.finance.series_warnings import warn_per_series

if TYPE_CHECKING:  # imported when a calendar is built (~0.15 s, importlib.metadata): no CLI start pays it
    import exchange_calendars as xcals

__all__ = [
    "FRAME_FIX",
    "CalendarGaps",
    "check_sessions",
    "config_fix",
    "field_order",
    "future_sessions",
    "gap_warnings",
    "get_calendar",
    "many_missing",
    "many_off",
    "numeric_dates",
    "trading_dates",
    "warn_gaps",
]

logger = logging.getLogger(__name__)

# exchange calendars are built from 1970: exchange_calendars' regular holidays begin there (its rules go
# through pandas' holiday calendars, which start on 1 January 1970; an XNYS built from 1960 has New Year's
# Day, Good Friday and Christmas of the 1960s as sessions), so an earlier start would date forecasts wrongly
_FIRST_YEAR = 1970
_WEEKDAYS_FIRST_YEAR = 1900  # 24/5 and 24/7 have no holidays: right for any year, so built from further back
_HOLIDAY_FREE = frozenset({"24/5", "24/7"})


@check_args
def get_calendar(name: str = "XNYS", last_year: int | None = None) -> xcals.ExchangeCalendar:
    """Returns the exchange calendar ``name`` covering 1970 (or the calendar's first year, XTKS's 1997;
    24/5 and 24/7: 1900) to ``last_year`` + 2 or this year + 2, whichever is later. Built once per calendar
    and end year and cached: every history ending before this year shares one.

    Raises:
        CalendarNotFoundError: when the calendar code is unknown, or exchange_calendars cannot build it.
    """
    return _cached_calendar(name, max(last_year or 0, pd.Timestamp.today().year) + 2)


@functools.lru_cache(maxsize=32)  # the auto rule may try 17 calendars
def _cached_calendar(name: str, year: int) -> xcals.ExchangeCalendar:
    import exchange_calendars as xcals  # here, not at the top: see the TYPE_CHECKING import

    try:
        with warnings.catch_warnings():  # the library's own pandas deprecations (XHKG's), nothing to act on
            warnings.simplefilter("ignore")
            return _build(name, f"{year}-12-31")
    except xcals.errors.InvalidCalendarName:
        raise CalendarNotFoundError(
            f"unknown exchange calendar {name!r}; use an exchange_calendars code such as XNYS, XLON or XETR"
        ) from None
    except (ValueError, NotImplementedError) as exc:  # the library's own failure (e.g. with this pandas)
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise CalendarNotFoundError(
            f"exchange calendar {name!r} cannot be built by exchange_calendars here ({first}); use another "
            "code (XNYS, XLON, XETR, 24/5, 24/7)"
        ) from None


def _build(name: str, end: str) -> xcals.ExchangeCalendar:
    """Builds ``name`` from 1 January 1970 (24/5, 24/7: 1900), or from its own first day when it begins
    later (XTKS: 1997, XSAU: 2021): the library refuses an earlier start (ValueError), and the calendar's
    class says its first day (the public ``bound_min``), read from the calendar built with the library's
    default span."""
    import exchange_calendars as xcals  # here, not at the top: see the TYPE_CHECKING import

    year = _WEEKDAYS_FIRST_YEAR if xcals.resolve_alias(name.upper()) in _HOLIDAY_FREE else _FIRST_YEAR
    first = pd.Timestamp(f"{year}-01-01")
    try:
        return xcals.get_calendar(name, start=first, end=end)
    except ValueError:
        bound = type(xcals.get_calendar(name)).bound_min()
        if bound is None or pd.Timestamp(bound) <= first:
            raise  # not the start: the library's own failure
        return xcals.get_calendar(name, start=pd.Timestamp(bound), end=end)


def _reaches(cal: xcals.ExchangeCalendar, name: str, last: pd.Timestamp) -> None:
    """Raises a one-line error naming calendars that reach back when ``cal`` (named ``name``) begins after
    ``last``, the series' last row: exchange calendars begin in 1970, XTKS in 1997, so a history ending in
    1969 or 1990 has no sessions of them to be dated on."""
    first, last = pd.Timestamp(cal.first_session), pd.Timestamp(last)
    if (last.tz_localize(None) if last.tz is not None else last) < first:
        earlier = ", ".join(c for c in ("XNYS", "XLON") if c != name and first.year > _FIRST_YEAR)
        raise CalendarNotFoundError(
            f"exchange calendar {name!r} begins on {first.date()} in exchange_calendars (exchange calendars: "
            f"1970 at the earliest), after the series' last row ({last.date()}); use "
            + (f"one that begins earlier ({earlier}: 1970) or " if earlier else "")
            + "24/5 (every weekday)"
        )


@check_args
def future_sessions(last: pd.Timestamp, n: int, calendar: str = "XNYS") -> pd.DatetimeIndex:
    """Returns the ``n`` trading sessions after ``last`` (weekends and exchange holidays skipped), on a
    calendar reaching back to ``last`` (a history ending in 1975 is dated on 1976's sessions).

    Raises:
        CalendarNotFoundError: the calendar is unknown, or begins after ``last`` (exchange calendars: 1970).
    """
    day = pd.Timestamp(last).normalize()
    cal = get_calendar(calendar, day.year + n // 250 + 1)
    _reaches(cal, calendar, day)
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
    sessions: int = 0  # sessions of the exchange over the data's span (what ``missing`` is a share of)
    rows: int = (
        0  # rows checked: those from the calendar's first session on (what ``off_calendar`` is a share of)
    )


def check_sessions(index: pd.DatetimeIndex, calendar: str = "XNYS") -> CalendarGaps:
    """Compares dates with the exchange calendar; gaps are reported, never fatal. Rows before the calendar's
    first session (1970, or the calendar's own first year: XTKS 1997) are not checked: IBM's or the S&P
    500's full history starts in the 1960s or 1920s (before: every row before 1980 was left unchecked;
    earlier still, each counted as a row on a closed day, and warned so)."""
    if len(index) == 0:
        return CalendarGaps(0, 0, 0)
    cal = get_calendar(calendar, index[-1].year)
    index = index[index >= pd.Timestamp(cal.first_session)]
    if len(index) == 0:
        return CalendarGaps(0, 0, 0)
    sessions = pd.DatetimeIndex(cal.sessions_in_range(index[0], index[-1]))
    present = sessions.isin(index)
    missing = int((~present).sum())
    longest = 0
    run = 0
    for ok in present:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    off = int((~index.isin(sessions)).sum())
    return CalendarGaps(missing, longest, off, len(sessions), len(index))


# rows on closed days, as a share of the rows, that say the series keeps another calendar
OFF_CALENDAR_SHARE = 0.05
# sessions without a row, as a share of the span's sessions, worth a warning (not an info line)
MISSING_SHARE = 0.05


@check_args
def many_off(off: int, rows: int) -> bool:
    """Whether ``off`` of ``rows`` rows on closed days say the series keeps another calendar (a warning)."""
    return off >= OFF_CALENDAR_SHARE * rows


@check_args
def many_missing(missing: int, sessions: int) -> bool:
    """Whether ``missing`` of a span's ``sessions`` without a row are worth a warning."""
    return bool(sessions) and missing > MISSING_SHARE * sessions


_CHOICES = (
    '"24/7" for a series traded every day, "24/5" every weekday, or its exchange\'s code (XLON, XTKS...)'
)
FRAME_FIX = (  # the DataFrame API's fix (Forecaster.fit / predict, finance predict)
    f"train the model on its calendar (train-global's --calendar, DataConfig(calendar=...) for "
    f"Forecaster.fit): {_CHOICES}"
)


def config_fix() -> str:
    """The loaders' fix (:func:`~carrousel.finance.data.load_history`, ``finance forecast``...): their
    calendar is ``DataConfig.calendar``, named as the caller set it: ``data.calendar`` from Python,
    ``--calendar`` (or a ``--config`` file's ``[data] calendar``) in a command."""
    toml = " (or [data] calendar in a --config TOML file)" if naming_flags() else ""
    return f"set its calendar with {option('data.calendar')}{toml}: {_CHOICES}"


def gap_warnings(
    name: str, index: pd.DatetimeIndex, calendar: str = "XNYS", fix: str | None = None
) -> tuple[str | None, list[str]]:
    """Checks a series' dates against its calendar, as every way in does (a file, Yahoo, a DataFrame):
    missing sessions and rows on closed days are one info line (logged here); 5% or more of the rows on
    closed days (a row for every day: crypto, some FX), or of the span's sessions without a row, is a
    warning naming how many and ``fix``: the forecast dates are the calendar's sessions and returns span
    the gaps. The warnings are returned, for :func:`warn_gaps` to log with those of other series.

    Args:
        name: the series, first in every message.
        index: its dates.
        calendar: the exchange calendar its forecasts are dated on.
        fix: how to set another calendar where the series comes from (:data:`FRAME_FIX`; none: the
            loaders', :func:`config_fix`).

    Returns:
        The info line (a note for the series' history; None when the dates keep the calendar) and the
        warning lines (none, one or both).
    """
    gaps = check_sessions(index, calendar)
    if not (gaps.missing or gaps.off_calendar):
        return None, []
    parts = []
    if gaps.missing:
        parts.append(f"{gaps.missing} {calendar} session(s) missing (longest gap {gaps.longest_gap})")
    if gaps.off_calendar:
        parts.append(f"{gaps.off_calendar} row(s) on days {calendar} was closed")
    note = f"{' and '.join(parts)}; returns span the gaps"
    logger.info("%s: %s", name, note)
    fix = config_fix() if fix is None else fix
    rows, warnings = gaps.rows, []  # the rows checked (from the calendar's first session on)
    if many_off(gaps.off_calendar, rows):
        warnings.append(
            f"{name}: {gaps.off_calendar} of {rows} rows ({100 * gaps.off_calendar / rows:.0f}%) fall on days "
            f"{calendar} is closed, so the forecast dates (its sessions) are not the series' own days; {fix}"
        )
    if many_missing(gaps.missing, gaps.sessions):  # before: the info line alone
        warnings.append(
            f"{name}: {gaps.missing} of {gaps.sessions} {calendar} sessions "
            f"({100 * gaps.missing / gaps.sessions:.0f}%) have no row (longest gap {gaps.longest_gap}), so its "
            f"returns span the gaps; fill the missing days, or if the series keeps another calendar, {fix}"
        )
    return note, warnings


def warn_gaps(warnings: Iterable[Sequence[str]], calendar: str = "XNYS", fix: str | None = None) -> None:
    """Logs the :func:`gap_warnings` of many series: the first five series' in full, then one line counting
    the rest (:func:`~carrousel.finance.series_warnings.warn_per_series`); ``fix`` as there."""
    fix = config_fix() if fix is None else fix
    named = "their calendar" if calendar == "auto" else calendar  # "auto": each series' own
    more = f"fall on days {named} is closed or miss many of its sessions too; {fix}"
    warn_per_series(logger, warnings, more)


def trading_dates(values: pd.Series) -> pd.DatetimeIndex:
    """Calendar dates of daily bars, in the exchange's own time zone (never shifted through UTC).

    yfinance stamps daily bars at local midnight (``2024-01-02 00:00:00-05:00``; Tokyo ``+09:00``):
    the local date is the trading date, so time-zone information is dropped, not converted. Numeric dates
    (``1/4/1999``, as spreadsheets export them; Stooq's ``20240102`` is year-month-day) are read month-first or day-first as the column shows (a
    row with ``12/28/2018`` settles it for every row); a column that never shows it is an error. A time of
    day (Google Sheets' ``12/31/2012 16:00:00``) is dropped: the date is the trading date.

    Raises:
        PriceDataError: mixed formats, an unreadable date, or day-first/month-first never settled.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        idx = pd.DatetimeIndex(values)
        return idx.tz_localize(None) if idx.tz is not None else idx
    text = values.astype(str).str.strip().str.replace(r"^((?:19|20)\d{6})\.0$", r"\1", regex=True)
    blank = values.isna() | (text == "")  # NaT below: the caller names it "missing date", not as 'nan'
    if (
        text.str.fullmatch(r"(19|20)\d{6}") | blank
    ).all():  # Stooq's bulk files: 20240102 (20240102.0: floats)
        text = text.str[:4] + "-" + text.str[4:6] + "-" + text.str[6:]
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}") | blank
    if (iso & ~blank).any() and not iso.all():
        row = int((~iso).to_numpy().argmax())
        if pd.isna(pd.to_datetime(text.iloc[row], errors="coerce", format="mixed")):
            raise PriceDataError(
                f"unreadable date {text.iloc[row]!r} in data row {row + 1}; use YYYY-MM-DD dates"
            )
        raise PriceDataError(
            f"mixed date formats: data row {row + 1} has {text.iloc[row]!r} among YYYY-MM-DD dates; "
            "write every date as YYYY-MM-DD"
        )
    if iso.all():
        parsed = pd.to_datetime(text.str[:10], errors="coerce", format="%Y-%m-%d")
    else:
        parsed = numeric_dates(text)
    idx = pd.DatetimeIndex(parsed)
    return (idx.tz_localize(None) if idx.tz is not None else idx).normalize()


def numeric_dates(text: pd.Series, error: type[PriceDataError] = PriceDataError) -> pd.Series:
    """Text dates that are not all ``YYYY-MM-DD`` (``1/4/1999``) read month-first, or day-first where the
    column shows it (:func:`field_order`); year-first ones (``2010/01/04``) year-month-day; NaT where a
    value is no date. The price files' reader
    (:func:`trading_dates`) and the frames' (:func:`~carrousel.finance.frame_dates.frame_days`) both
    read the day/month order through here.

    A value that is no date either way, or a blank one (a blank cell reaches here as the text ``nan``), is
    the real problem: NaT, for the caller to name ("unreadable date", "missing date"), not "ambiguous date".

    Raises:
        error: some value is another day day-first than month-first (``05/01/24``) and no row settles the
            order: "ambiguous date", naming the first such value and its row.
    """
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    dayfirst = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=True)
    if (parsed.isna() & dayfirst.isna()).any():  # 'zz' or a blank cell beside 1/2/2024: that row is named
        return parsed
    # year first (2010/01/04, 20100104) is year-month-day: no order to settle (dayfirst read 1 April)
    yearfirst = text.str.match(r"(?:19|20)\d{2}(?:\D|\d{4}\b)")
    differ = parsed.notna() & dayfirst.notna() & (parsed != dayfirst) & ~yearfirst
    if not differ.any():
        return parsed
    order = field_order(text)
    if order is None:
        row = int(differ.to_numpy().argmax())
        raise error(
            f"ambiguous date {text.iloc[row]!r} in data row {row + 1} (day-first or month-first?); "
            "write every date as YYYY-MM-DD"
        )
    return dayfirst if order == "day" else parsed


def field_order(text: pd.Series) -> str | None:
    """``"day"`` or ``"month"`` when numeric dates (``1/4/1999``) say which field comes first: some row has
    a first field above 12 (day first) or a second one above 12 (month first), never both; else None."""
    fields = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
    if fields.isna().any().any():
        return None
    first, second = (fields[k].astype(int).gt(12).any() for k in (0, 1))
    return "day" if first and not second else "month" if second and not first else None
