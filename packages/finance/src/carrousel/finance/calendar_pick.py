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
few years ahead) is passed over, the symbol's too.

An explicit code (``--calendar XTKS``, ``[data] calendar``, ``DataConfig(calendar=...)``) is used as given.
"""

from __future__ import annotations

import functools
import logging
import re

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.finance.calendar import future_sessions, get_calendar, many_missing, many_off
from carrousel.finance.errors import CalendarNotFoundError

__all__ = [
    "AUTO",
    "CANDIDATES",
    "INDICES",
    "SUFFIXES",
    "forecast_sessions",
    "resolve_calendar",
    "ticker_calendar",
]

logger = logging.getLogger(__name__)

AUTO = "auto"
DEFAULT = "XNYS"

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


@functools.lru_cache(maxsize=64)
def _session_days(code: str, last_year: int) -> np.ndarray | None:
    """``code``'s sessions as sorted day numbers (int64), or None when exchange_calendars cannot build it
    through ``last_year`` + 2 (XSHG's holidays are recorded only a few years ahead)."""
    try:
        sessions = get_calendar(code, last_year).sessions
    except CalendarNotFoundError:
        return None
    return _day_numbers(pd.DatetimeIndex(sessions))


def _day_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """Sorted unique day numbers (days since 1970, int64) of dates in any unit or time zone (its local day)."""
    local = index.tz_localize(None) if index.tz is not None else index
    return np.unique(local.to_numpy().astype("datetime64[D]").astype(np.int64))


def _misfit(days: np.ndarray, code: str, last_year: int) -> int | None:
    """How badly dates (sorted day numbers) keep ``code``'s sessions: missing sessions plus rows on closed
    days, or None when the calendar cannot be built or the dates do not keep it (more gaps than
    :func:`~carrousel.finance.calendar.gap_warnings` lets pass without a warning). Rows before the calendar's
    first session are not checked, as :func:`~carrousel.finance.calendar.check_sessions` leaves them."""
    sessions = _session_days(code, last_year)
    if sessions is None:
        return None
    days = days[days >= sessions[0]]  # rows before the calendar's first session are not checked
    if not len(days):
        return 0
    span = sessions[np.searchsorted(sessions, days[0]) : np.searchsorted(sessions, days[-1], "right")]
    missing = int(len(span) - np.isin(span, days, assume_unique=True).sum())
    off = int(len(days) - np.isin(days, sessions, assume_unique=True).sum())
    if many_off(off, len(days)) or many_missing(missing, len(span)):
        return None
    return missing + off


@check_args
def resolve_calendar(ticker: str, index: pd.DatetimeIndex, setting: str = AUTO, log: bool = False) -> str:
    """The calendar ``ticker``'s forecasts are dated on (the module's rule when ``setting`` is ``"auto"``).

    Args:
        ticker: the series' symbol.
        index: its dates (rows), sorted.
        setting: ``"auto"`` or an exchange_calendars code (returned as given).
        log: log an info line when ``auto`` picks a calendar other than XNYS (once, where the data loads).
    """
    if setting != AUTO:
        return setting
    if len(index) == 0:
        return DEFAULT
    year = int(index[-1].year)
    named = ticker_calendar(ticker)
    how = "from the symbol"
    if named is None or _session_days(named, year) is None:
        days = _day_numbers(pd.DatetimeIndex(index))
        if _misfit(days, DEFAULT, year) == 0:  # a US series: no other calendar is tried
            return DEFAULT
        fits = {code: n for code in CANDIDATES if (n := _misfit(days, code, year)) is not None}
        named = min(fits, key=fits.__getitem__) if fits else DEFAULT  # ties: the earlier candidate
        how = "the one its dates keep"
    if log and named != DEFAULT:
        logger.info("%s: forecasts dated on the %s calendar (%s)", ticker, named, how)
    return named


@check_args
def forecast_sessions(
    ticker: str, index: pd.DatetimeIndex, n: int, setting: str = AUTO
) -> tuple[str, pd.DatetimeIndex]:
    """The calendar of ``ticker`` (:func:`resolve_calendar`) and its ``n`` sessions after the last of ``index``."""
    calendar = resolve_calendar(ticker, index, setting)
    return calendar, future_sessions(index[-1], n, calendar)
