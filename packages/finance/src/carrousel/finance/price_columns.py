"""Price tables' columns: which names are the date and OHLCV (the layouts read; their cells' numbers are
:mod:`~carrousel.finance.price_numbers`'), and which close a table holds (:func:`price_name`).

The layouts of the common free downloads map onto ``date open high low close volume [adj_close] [ticker]``:

* yfinance (``Date, Open, High, Low, Close, Adj Close, Volume``, its multi-index frame or 3-line CSV header)
  and its variants: any case, with or without spaces/underscores; Stooq (``Date,Open,...``) is one.
* Nasdaq.com: ``Close/Last`` is the close; prices written ``$56.14``.
* Investing.com: ``Price`` is the close (only where no ``Close`` column exists), ``Vol.`` the volume
  (``151.30M``, ``K``, ``B``; ``-`` for none), ``Change %`` ignored, ``"1,234.56"`` quoted with separators.
* MarketWatch / WSJ: spaces after the commas of the header, quoted volumes ``"12,345,678"``.
* a close-only file whose one price column is ``Adj Close``: read as the close (a warning says so).
* yfinance's own layouts without ``Adj Close`` (its column levels, ``yf.download`` with ``auto_adjust=True``,
  the default since yfinance 0.2.51; ``Ticker.history()``'s ``Dividends, Stock Splits``): the Close is
  adjusted. :func:`price_name` says which close a table holds.
* Google Sheets' GOOGLEFINANCE: ``Date,Close`` with ``12/31/2012 16:00:00`` stamps (time of day dropped).
* German sites (onvista, finanzen.net): ``Datum;Eröffnung;Hoch;Tief;Schluss;Volumen``, decimal commas.

Several tickers in one table (each read as a long table with a ``ticker`` column):

* yfinance's two column levels ``(Price, Ticker)`` (``yf.download(["AAPL", "MSFT"])``, in memory or saved
  with its 3-line header; also ``group_by="ticker"``'s ``(Ticker, Price)``): :func:`split_tickers`.
* a wide table, one price column per ticker (``yf.download([...])["Close"]``, spreadsheets): read as each
  ticker's closes, see :func:`wide_to_long` for how it is told apart from a one-ticker table.

Newest-first files (Nasdaq, Investing.com, MarketWatch) are put in date order. :func:`read_parquet` reads a
Parquet table for every reader of one (prices, frames).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carrousel.core.optional import require
from carrousel.finance.calendar import trading_dates
from carrousel.finance.errors import PriceDataError
from carrousel.finance.intraday import daily_bars
from carrousel.finance.price_numbers import column_numbers, spreadsheet_gaps

__all__ = [
    "ADJUSTED_CLOSE",
    "column_key",
    "normalise_columns",
    "price_name",
    "read_parquet",
    "split_tickers",
    "standard_columns",
    "standard_name",
    "wide_to_long",
    "yfinance_levels",
]

logger = logging.getLogger(__name__)

_ALIASES = {
    "date": "date", "datetime": "date", "timestamp": "date", "time": "date", "day": "date",
    "open": "open", "high": "high", "low": "low", "close": "close", "closelast": "close",
    "volume": "volume", "vol": "volume",
    "adjclose": "adj_close", "adjustedclose": "adj_close", "closeadj": "adj_close", "adjcl": "adj_close",
    "ticker": "ticker", "symbol": "ticker",
    # German sites' downloads (onvista, finanzen.net, comdirect): Datum;Eröffnung;Hoch;Tief;Schluss;Volumen
    "datum": "date", "eröffnung": "open", "hoch": "high", "tief": "low", "schluss": "close",
    "schlusskurs": "close", "volumen": "volume",
}  # fmt: skip
ADJUSTED_CLOSE = "adjusted close"  # price_name of a table whose close is split/dividend adjusted
_YAHOO_HISTORY = ("dividends", "stocksplits")  # Ticker.history()'s columns: auto_adjust's adjusted Close
_CLOSE_ONLY_WITHOUT_CLOSE = ("price",)  # Investing.com's close; never where a Close column exists


def column_key(name: object) -> str:
    """A column name as matched: lower case, letters and digits only (``Adj Close`` -> ``adjclose``)."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def standard_name(name: object) -> str | None:
    """The standard name a column name is read as (``Adj Close`` -> ``adj_close``, ``Symbol`` -> ``ticker``),
    or None."""
    return _ALIASES.get(column_key(name))


def yfinance_levels(lines: list[str]) -> bool:
    """Whether a CSV's first lines are the header of yfinance's two column levels saved with ``to_csv``:
    ``Price,Close,...`` then ``Ticker,AAPL,...`` (either order; a third line ``Date,,,`` or none)."""
    heads = [column_key(line.split(",")[0]) for line in lines[:3]]
    return len(heads) == 3 and {heads[0], heads[1]} == {"price", "ticker"}


def standard_columns(df: pd.DataFrame) -> dict[Any, str]:
    """Column -> the standard name it is read as (``date open high low close volume adj_close ticker``);
    the first column of each name wins, unknown columns are left out, ``Price`` is the close only where
    no ``Close`` column exists."""
    rename: dict[Any, str] = {}
    for col in df.columns:
        std = _ALIASES.get(column_key(col))
        if std is not None and std not in rename.values():
            rename[col] = std
    if "close" not in rename.values():
        price = next(
            (c for c in df.columns if column_key(c) in _CLOSE_ONLY_WITHOUT_CLOSE and c not in rename), None
        )
        if price is not None:
            rename[price] = "close"
    return rename


def normalise_columns(raw: pd.DataFrame, decimal: str = ".", where: str = "the price table") -> pd.DataFrame:
    """Maps yfinance's layout and the common downloads' (see the module) onto ``date open high low close
    volume [adj_close] [ticker]``, rows in date order.

    Column names match in any case, with or without spaces/underscores (``Adj Close``, ``adj_close``);
    unknown columns (``Change %``) are ignored. The date may be a column or the index. A table whose only
    close is ``Adj Close`` is read with it as the close, and a warning says so; it and a yfinance layout
    without ``Adj Close`` (auto_adjust's adjusted Close) are marked ``attrs["adjusted_close"]`` for
    :func:`price_name`. Intraday bars become daily bars (:mod:`carrousel.finance.intraday`). Cells are numbers as
    :func:`~carrousel.finance.price_numbers.column_numbers` reads them. Several tickers (yfinance's column
    levels, a wide table: see the module) give a long table with a ``ticker`` column (``attrs["wide"]`` is
    True for a wide table).

    Args:
        raw: the table as read.
        decimal: the file's decimal mark, ``"."`` or ``","`` (a ``;`` file with decimal commas).
        where: the table's name for the warning (a file's path).

    Raises:
        PriceDataError: when a date, close or another required column is missing.
    """
    df = raw.copy()
    yahoo = isinstance(df.columns, pd.MultiIndex) or {column_key(c) for c in df.columns} >= set(
        _YAHOO_HISTORY
    )
    if isinstance(df.columns, pd.MultiIndex):  # yf.download(..., multi_level_index=True)
        df = split_tickers(df)
        if df["Ticker"].nunique() == 1:  # one ticker: its prices, whatever symbol is asked (as before)
            df = df.drop(columns="Ticker")
    if _is_date_name(df.index.name):
        df = df.reset_index()
    wide = wide_to_long(df)
    if wide is not None:
        df = wide
    rename = standard_columns(df)
    df = df.rename(columns=rename)[list(rename.values())]
    if "close" not in df and "adj_close" in df:
        logger.warning("%s has no Close column: its Adj Close is read as the close (already adjusted)", where)
        df = df.rename(columns={"adj_close": "close"})
        df.attrs["adjusted_close"] = True  # the chart's legend names it (price_name)
    elif yahoo and "adj_close" not in df:  # yfinance without Adj Close: auto_adjust=True, Close adjusted
        df.attrs["adjusted_close"] = True
    missing = [c for c in ("date", "close") if c not in df]
    if missing:
        raise PriceDataError(
            f"price table lacks column(s) {', '.join(missing)}; expected Date, Open, High, Low, Close, Volume"
        )
    for col in ("open", "high", "low"):
        if col not in df:
            df[col] = df["close"]
    if "volume" not in df:
        df["volume"] = 0.0
    raw_dates = df.pop("date")
    dates = trading_dates(raw_dates)
    if dates.isna().any():
        blank = raw_dates.isna().to_numpy() | (raw_dates.astype(str).str.strip() == "").to_numpy()
        row = int(dates.isna().argmax())
        if blank[row]:  # a blank cell: not "unreadable date 'nan'"
            rows = np.flatnonzero(blank) + 1
            more = f" (and {len(rows) - 1} more, through data row {rows[-1]})" if len(rows) > 1 else ""
            raise PriceDataError(
                f"missing date in data row {row + 1}{more}; fill in the date or delete the row"
            )
        value = raw_dates.iloc[row]
        raise PriceDataError(f"unreadable date {str(value)!r} in data row {row + 1}; use YYYY-MM-DD dates")
    tomorrow = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    if (dates > tomorrow).any():
        row = int((dates > tomorrow).argmax())
        raise PriceDataError(
            f"data row {row + 1} is dated {dates[row].date()}, in the future; fix the dates (YYYY-MM-DD)"
        )
    df.index = dates
    for col in df.columns:
        if col != "ticker":
            df[col] = column_numbers(df[col], col, decimal)
    df = daily_bars(df, raw_dates, where)
    dates = pd.DatetimeIndex(df.index)
    if len(df) > 1 and dates.is_monotonic_decreasing and dates.is_unique:
        df = df.iloc[::-1]  # a newest-first download, not a defect to note
    df.attrs["wide"] = wide is not None  # named by a ticker's not-found error
    return df


def price_name(df: pd.DataFrame) -> str:
    """The price a table's ``close`` column is once cleaned, as charts name it: :data:`ADJUSTED_CLOSE` when
    the table has a non-blank ``adj_close`` column (the close is adjusted by it) or its close is adjusted
    already (:func:`normalise_columns` read an ``Adj Close`` alone, or a yfinance layout without one), else
    ``close`` (the closes as written, split jumps repaired).

    Args:
        df: a table as :func:`normalise_columns` returns it (or rows of one).
    """
    adjusted = "adj_close" in df and bool(df["adj_close"].notna().any())
    return ADJUSTED_CLOSE if adjusted or df.attrs.get("adjusted_close") else "close"


def _is_date_name(name: object) -> bool:
    return standard_name(name) == "date"


def _is_price_name(name: object) -> bool:
    return column_key(name) in _ALIASES or column_key(name) in _CLOSE_ONLY_WITHOUT_CLOSE


def split_tickers(df: pd.DataFrame) -> pd.DataFrame:
    """A frame with yfinance's two column levels as a long table: one row per date and ticker.

    The price level is the one named ``Price`` (else the other of one named ``Ticker``, else the one whose
    every value is a price column name, else the first): ``(Price, Ticker)`` as ``yf.download`` gives it,
    ``(Ticker, Price)`` with ``group_by="ticker"``.

    Args:
        df: columns a two-level ``MultiIndex``, rows by date (the index).

    Returns:
        The same index (dates repeat, one block per ticker in the columns' order), the price columns as
        named (``Close``, ``Open``...) and ``Ticker``; a ticker's rows without any price (dates before its
        listing, which ``yf.download`` fills with NaN) are dropped.
    """
    names = [column_key(n) for n in df.columns.names]
    if "price" in names:
        price = names.index("price")
    elif "ticker" in names:
        price = 1 - names.index("ticker")
    else:
        price = next((i for i in (0, 1) if all(map(_is_price_name, df.columns.levels[i]))), 0)
    tickers = list(dict.fromkeys(df.columns.get_level_values(1 - price)))
    parts = []
    for ticker in tickers:
        part = df.xs(ticker, axis=1, level=1 - price).dropna(how="all")
        part.columns = list(part.columns)
        parts.append(part.assign(Ticker=str(ticker)))
    out = pd.concat(parts)
    out.index.name = df.index.name or "Date"
    return out


def wide_to_long(df: pd.DataFrame, reserved: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """A wide table, a date and one price column per ticker, as a long table ``Date, Ticker, Close``; None
    for any other table.

    A table is wide when it has a date (a column named as a date, else the index when it is named so or
    holds timestamps), at least one other column, no other column named as a price, volume, ticker or
    date (``Close``, ``Adj Close``, ``Price``, ``Volume``, ``Symbol``... in any case) nor in ``reserved``,
    and every other column holds numbers (blank cells allowed). Each such column is a ticker named by its
    header, its values the closes. A ticker's rows before its first and after its last price (a later
    listing beside older series) are dropped; blanks in between are kept, for the checks to name.

    Args:
        df: the table as read (date as a column or the index).
        reserved: more names (lower case) that make a table not wide (a frame's ``unique_id, ds, y``).
    """
    dated = next((c for c in df.columns if _is_date_name(c)), None)
    if dated is not None:
        table = df.set_index(dated)
    elif _is_date_name(df.index.name) or isinstance(df.index, pd.DatetimeIndex):
        table = df
    else:
        return None
    cols = list(table.columns)
    if not cols or any(_is_price_name(c) or str(c).strip().lower() in reserved for c in cols):
        return None
    table = table.apply(spreadsheet_gaps)
    if not all(
        pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]) for c in cols
    ):
        return None
    parts = []
    for col in cols:
        values = table[col]
        seen = values.notna().to_numpy()
        if not seen.any():
            continue
        first, last = int(seen.argmax()), len(seen) - int(seen[::-1].argmax())
        part = values.iloc[first:last]
        parts.append(pd.DataFrame({"Date": part.index, "Ticker": str(col).strip(), "Close": part.to_numpy()}))
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)


def read_parquet(p: Path, fix: str, error: type[PriceDataError] = PriceDataError) -> pd.DataFrame:
    """An input file's Parquet table (pyarrow, the ``[parquet]`` extra), for every reader of price tables.

    Raises:
        MissingExtraError: pyarrow is not installed.
        PriceDataError: (``error``) not a Parquet table: one line naming the file, pyarrow's reason, ``fix``.
    """
    require("pyarrow", "carrousel-finance[parquet]", "Parquet tables")
    try:
        return pd.read_parquet(p)
    except (ValueError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"cannot read {p} as a Parquet table ({first}); {fix}") from None
