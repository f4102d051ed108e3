"""Which exchange calendar a series keeps, when the setting is ``"auto"`` (the default).

A series' calendar dates its forecasts (the sessions after its last row) and decides which of its days
count as gaps. With ``calendar = "auto"`` it is chosen per series, in this order:

1. the ticker says it, in Yahoo Finance's conventions: an exchange suffix (``7203.T`` Tokyo, ``SAP.DE``
   XETRA, ``VOD.L`` London, ``RY.TO`` Toronto...), a non-US index (``^N225``, ``^FTSE``, ``^GDAXI``...),
   a crypto pair (``BTC-USD``, ``ETH-EUR``: traded every day, ``24/7``) or a currency pair (``EURUSD=X``:
   every weekday, ``24/5``);
2. else XNYS when the dates keep its sessions exactly (a US series: the default before ``auto``);
3. else, of the :data:`CANDIDATES` the dates keep (as few gaps as
   :func:`~carrousel.finance.calendar.gap_warnings` lets pass without a warning), the one with the fewest
   missing sessions plus rows on closed days, the earlier on a tie (US data with a few gaps: still XNYS; a
   CSV of a coin named ``BTC`` has weekend rows: ``24/7``; a London stock's file named ``VOD``: XLON, where
   XNYS and 24/5 would count its bank holidays as gaps and its rows on US holidays as off days);
4. else XNYS, and the gap warnings say what does not fit.

A calendar exchange_calendars cannot build through the data's year + 2 (XSHG records its holidays only a
few years ahead), or that begins after the data's last row, is passed over, the symbol's too: exchange
calendars begin in 1970 (exchange_calendars' holidays do), XTKS in 1997. A history ending before 1970
(IBM's 1962-1969) keeps no exchange's calendar: its forecasts are dated on every weekday (24/5), and a
warning says so. Rows before a calendar's first session are not checked.

An explicit code (``--calendar XTKS``, ``[data] calendar``, ``DataConfig(calendar=...)``) is used as given,
unless it begins after the data's last row (XNYS for a history ending in 1969, XTKS for one ending in
1990): then 24/5, and a warning says so (a backtest needs no forecast dates; an error would refuse it).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.finance.calendar import (
    future_sessions,
    get_calendar,
    many_missing,
    many_off,
)
from carrousel.finance.errors import CalendarNotFoundError

if TYPE_CHECKING:  # only for annotations: calendar.get_calendar imports it when it builds one
    import exchange_calendars as xcals

__all__ = [
    "AUTO",
    "CANDIDATES",
    "INDICES",
    "SUFFIXES",
    "calendar_and_reason",
    "forecast_sessions",
    "resolve_calendar",
    "ticker_calendar",
]

logger = logging.getLogger(__name__)

AUTO = "auto"
DEFAULT = "XNYS"
WEEKDAYS = "24/5"  # the dates of a history that ends before every exchange calendar begins
EVERY_DAY = "24/7"

# Yahoo Finance exchange suffixes -> exchange_calendars codes (a regional German exchange: Frankfurt's);
# Stooq's country suffixes (AAPL.US, VOD.UK) too
SUFFIXES: dict[str, str] = {
    "AS": "XAMS", "AT": "ASEX", "AX": "XASX", "BA": "XBUE", "BC": "XMAD", "BD": "XBUD", "BE": "XFRA",
    "BK": "XBKK", "BO": "XBOM", "BR": "XBRU", "CN": "XTSE", "CO": "XCSE", "DE": "XETR", "DU": "XFRA",
    "F": "XFRA", "HA": "XFRA", "HE": "XHEL", "HK": "XHKG", "HM": "XFRA", "IC": "XICE", "IL": "XLON",
    "IR": "XDUB", "IS": "XIST", "JK": "XIDX", "JO": "XJSE", "KL": "XKLS", "KQ": "XKRX", "KS": "XKRX",
    "L": "XLON", "LS": "XLIS", "MC": "XMAD", "MI": "XMIL", "MU": "XFRA", "MX": "XMEX", "NE": "XTSE",
    "NS": "XBOM", "NZ": "XNZE", "OL": "XOSL", "PA": "XPAR", "PR": "XPRA", "PS": "XPHS", "SA": "BVMF",
    "SG": "XFRA", "SI": "XSES", "SN": "XSGO", "SR": "XSAU", "SS": "XSHG", "ST": "XSTO", "SW": "XSWX",
    "SZ": "XSHG", "T": "XTKS", "TA": "XTAE", "TO": "XTSE", "TW": "XTAI", "TWO": "XTAI", "V": "XTSE",
    "VI": "XWBO", "WA": "XWAR",
    "US": "XNYS", "UK": "XLON", "JP": "XTKS", "PL": "XWAR", "HU": "XBUD",  # Stooq's country suffixes
}  # fmt: skip
# non-US indices (US ones keep XNYS, the default)
INDICES: dict[str, str] = {
    "^FTSE": "XLON", "^FTMC": "XLON", "^FTAS": "XLON", "^GDAXI": "XETR", "^MDAXI": "XETR",
    "^TECDAX": "XETR", "^STOXX50E": "XETR", "^STOXX": "XETR", "^FCHI": "XPAR", "^N225": "XTKS",
    "^HSI": "XHKG", "^AXJO": "XASX", "^AORD": "XASX", "^GSPTSE": "XTSE", "^BSESN": "XBOM", "^NSEI": "XBOM",
    "^KS11": "XKRX", "^KQ11": "XKRX", "^TWII": "XTAI", "^BVSP": "BVMF", "^MXX": "XMEX", "^SSMI": "XSWX",
    "^AEX": "XAMS", "^IBEX": "XMAD", "^OMX": "XSTO", "^BFX": "XBRU", "^ATX": "XWBO", "^ISEQ": "XDUB",
    "^STI": "XSES", "^NZ50": "XNZE", "^JKSE": "XIDX", "^KLSE": "XKLS", "^MERV": "XBUE", "^IPSA": "XSGO",
}  # fmt: skip
_CRYPTO = re.compile(r"[A-Z0-9]{2,15}-(USD|USDT|USDC|EUR|GBP|JPY|CAD|AUD|CHF|KRW|INR|CNY|BTC|ETH)")
# tried in order when the dates keep neither the ticker's calendar nor XNYS's sessions
CANDIDATES: tuple[str, ...] = (
    "XNYS", "24/5", "24/7", "XLON", "XETR", "XPAR", "XAMS", "XSWX", "XMIL", "XMAD", "XTKS", "XHKG",
    "XSHG", "XKRX", "XBOM", "XTSE", "XASX",
)  # fmt: skip


def ticker_calendar(ticker: str) -> str | None:
    """The calendar a Yahoo Finance symbol names (step 1 of the module's rule); None when it names none."""
    symbol = ticker.strip().upper()
    if symbol in INDICES:
        return INDICES[symbol]
    if symbol.endswith("=X"):
        return "24/5"
    if _CRYPTO.fullmatch(symbol):
        return "24/7"
    stem, dot, suffix = symbol.rpartition(".")
    return SUFFIXES.get(suffix) if dot and stem else None


def _session_days(code: str, last_year: int) -> np.ndarray | None:
    """``code``'s sessions as sorted day numbers (int64), or None when exchange_calendars cannot build it
    through ``last_year`` + 2 (XSHG's holidays are recorded only a few years ahead). Cached per calendar
    (every year before this one shares it), as :func:`~carrousel.finance.calendar.get_calendar` is."""
    try:
        cal = get_calendar(code, last_year)
    except CalendarNotFoundError:
        return None
    return _calendar_days(cal)


@functools.lru_cache(maxsize=32)  # one per calendar get_calendar keeps
def _calendar_days(cal: xcals.ExchangeCalendar) -> np.ndarray:
    return _day_numbers(pd.DatetimeIndex(cal.sessions))


def _day_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """Sorted unique day numbers (days since 1970, int64) of dates in any unit or time zone (its local day)."""
    local = index.tz_localize(None) if index.tz is not None else index
    return np.unique(local.to_numpy().astype("datetime64[D]").astype(np.int64))


def _misfit(days: np.ndarray, code: str, last_year: int) -> int | None:
    """How badly dates (sorted day numbers) keep ``code``'s sessions: missing sessions plus rows on closed
    days, or None when the calendar cannot be built, begins after the last row (before: 0, a perfect fit)
    or the dates do not keep it (more gaps than :func:`~carrousel.finance.calendar.gap_warnings` lets pass
    without a warning). Rows before the calendar's first session are not checked, as
    :func:`~carrousel.finance.calendar.check_sessions` leaves them."""
    sessions = _session_days(code, last_year)
    if sessions is None:
        return None
    days = days[days >= sessions[0]]  # rows before the calendar's first session are not checked
    if not len(days):
        return None  # the calendar begins after the last row: nothing to date the forecasts on
    span = sessions[np.searchsorted(sessions, days[0]) : np.searchsorted(sessions, days[-1], "right")]
    missing = int(len(span) - np.isin(span, days, assume_unique=True).sum())
    off = int(len(days) - np.isin(days, sessions, assume_unique=True).sum())
    if many_off(off, len(days)) or many_missing(missing, len(span)):
        return None
    return missing + off


@check_args
def resolve_calendar(ticker: str, index: pd.DatetimeIndex, setting: str = AUTO, log: bool = False) -> str:
    """The calendar ``ticker``'s forecasts are dated on (the module's rule when ``setting`` is ``"auto"``):
    :func:`calendar_and_reason`'s calendar."""
    return calendar_and_reason(ticker, index, setting, log)[0]


@check_args
def calendar_and_reason(
    ticker: str, index: pd.DatetimeIndex, setting: str = AUTO, log: bool = False
) -> tuple[str, str | None]:
    """The calendar ``ticker``'s forecasts are dated on (the module's rule when ``setting`` is ``"auto"``),
    and why it is 24/5 when that is because the history ends before its calendar begins (None otherwise):
    ``"rows end on 1969-12-31, before exchange calendars begin (1970) in exchange_calendars: forecasts
    dated on every weekday (24/5)"``, a note for the series (its warning says it on stderr).

    Args:
        ticker: the series' symbol.
        index: its dates (rows), sorted.
        setting: ``"auto"`` or an exchange_calendars code (returned as given, unless it begins after the
            last of ``index``: then 24/5).
        log: log an info line when ``auto`` picks a calendar other than XNYS, a warning when the history ends
            before its calendar begins (every exchange's: 1970), once, where the data loads.

    Raises:
        CalendarNotFoundError: ``setting`` is an unknown code.
    """
    if len(index) == 0:
        return DEFAULT if setting == AUTO else setting, None
    year, last = int(index[-1].year), _day_numbers(pd.DatetimeIndex(index[-1:]))[0]
    if setting != AUTO:
        first = pd.Timestamp(get_calendar(setting, year).first_session)  # an unknown code: the error
        if _day_numbers(pd.DatetimeIndex([first]))[0] <= last:
            return setting, None
        return _weekdays(ticker, last, f"the {setting} calendar begins ({first.date()})", log)
    named = ticker_calendar(ticker)
    how = "from the symbol"
    sessions = None if named is None else _session_days(named, year)
    if named is None or sessions is None or sessions[0] > last:  # 7203.T in 1990: XTKS begins in 1997
        days = _day_numbers(pd.DatetimeIndex(index))
        if _misfit(days, DEFAULT, year) == 0:  # a US series: no other calendar is tried
            return DEFAULT, None
        fits = {code: n for code in CANDIDATES if (n := _misfit(days, code, year)) is not None}
        named = min(fits, key=fits.__getitem__) if fits else DEFAULT  # ties: the earlier candidate
        how = "the one its dates keep"
        if named != EVERY_DAY and _before_exchanges(last, year):  # IBM's 1962-1969: 24/5 and 24/7 reach it
            return _weekdays(ticker, last, "exchange calendars begin (1970)", log)
    if log and named != DEFAULT:
        logger.info("%s: forecasts dated on the %s calendar (%s)", ticker, named, how)
    return named, None


def _weekdays(ticker: str, last: int, begins: str, log: bool) -> tuple[str, str]:
    """24/5 (every weekday) and why, with a warning when ``log``, for a history whose last row (day number
    ``last``) comes before its calendar ``begins``."""
    why = f"rows end on {np.datetime64(int(last), 'D')}, before {begins} in exchange_calendars"
    if log:
        logger.warning("%s: its %s: its forecasts are dated on every weekday (24/5)", ticker, why)
    return WEEKDAYS, f"{why}: forecasts dated on every weekday (24/5)"


def _before_exchanges(last: int, year: int) -> bool:
    """Whether the day number ``last`` comes before XNYS's first session (1970, as every exchange's)."""
    sessions = _session_days(DEFAULT, year)
    return sessions is not None and bool(sessions[0] > last)


@check_args
def forecast_sessions(
    ticker: str, index: pd.DatetimeIndex, n: int, setting: str = AUTO
) -> tuple[str, pd.DatetimeIndex]:
    """The calendar of ``ticker`` (:func:`resolve_calendar`) and its ``n`` sessions after the last of ``index``."""
    calendar = resolve_calendar(ticker, index, setting)
    return calendar, future_sessions(index[-1], n, calendar)
