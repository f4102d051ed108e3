"""Intraday bars (``yf.download(..., interval="1h")``, a broker's minute export) read as daily bars.

The forecasts, the backtest and their dates count daily sessions. A table with several rows a day at
different times of day is aggregated per day (and ticker) as exchanges build daily bars: the first bar's
open, the highest high, the lowest low, the last bar's close (and adjusted close) and the summed volume, in
the file's order within the day (a newest-first file is read oldest first). One warning says so; a table
of one row a day, or of duplicated rows at one time of day (a defect the validation names), is unchanged.
"""

from __future__ import annotations

import logging

import pandas as pd

__all__ = ["daily_bars"]

logger = logging.getLogger(__name__)

_HOW = {"open": "first", "high": "max", "low": "min", "close": "last", "adj_close": "last", "volume": "sum"}


def _times(raw: pd.Series) -> pd.Series:
    """The time of day each date value holds (``09:30``), empty where it holds none."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.dt.strftime("%H:%M:%S")
    found = raw.astype(str).str.extract(r"\d[ T](\d{1,2}:\d{2}(?::\d{2})?)", expand=False)
    return found.fillna("")


def _day_keys(df: pd.DataFrame) -> list[object]:
    """What a day's bars share: the date (the index), and the ticker in a table of several."""
    return [df.index.rename("date"), *(["ticker"] if "ticker" in df else [])]


def daily_bars(df: pd.DataFrame, raw_dates: pd.Series, where: str) -> pd.DataFrame:
    """The table as daily bars when it holds intraday ones (see the module), else itself.

    Args:
        df: rows indexed by trading date (time of day dropped), columns of :data:`_HOW` present and an
            optional ``ticker``; cells already numbers.
        raw_dates: the date column as read, in the rows' order (it holds the times of day).
        where: the table's name for the warning.

    Returns:
        One row per date (and ticker), in the table's date order.
    """
    most = int(df.groupby(_day_keys(df), sort=False).size().max())  # rows of the fullest day (and ticker)
    if most < 2 or _times(raw_dates.reset_index(drop=True)).nunique() < 2:
        return df
    if df.index.is_monotonic_decreasing and not df.index.is_monotonic_increasing:
        df = df.iloc[::-1]  # newest first: the day's first bar is its last row
    how = {col: _HOW[col] for col in df.columns if col in _HOW}
    daily = df.groupby(_day_keys(df), sort=False).agg(how)
    if "ticker" in df:
        daily = daily.reset_index(level="ticker")
    daily.index.name = df.index.name
    logger.warning(
        "%s holds intraday bars (up to %d a day): read as daily bars (the day's first open, highest high, "
        "lowest low, last close, summed volume)",
        where, most,
    )  # fmt: skip
    return daily
