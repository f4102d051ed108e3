"""Price files: a CSV (or Parquet) file of daily prices read into a normalised table, and one ticker's rows
of a long table (:func:`select_ticker`) between two dates (:func:`within_dates`)."""

from __future__ import annotations

import gzip
import io
import logging
import re
from pathlib import Path

import pandas as pd

from carrousel.core.encodings import file_lines
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file, read_text
from carrousel.core.option_names import option
from carrousel.core.paths import is_gzip, user_path
from carrousel.core.text import name_some
from carrousel.finance.errors import PriceDataError, TickerNotFoundError
from carrousel.finance.price_columns import (
    column_key,
    normalise_columns,
    read_parquet,
    standard_name,
    yfinance_levels,
)
from carrousel.finance.price_numbers import text_numbers

__all__ = [
    "csv_dialect",
    "decimal_comma_numbers",
    "head_lines",
    "read_price_csv",
    "select_ticker",
    "within_dates",
]

logger = logging.getLogger(__name__)

_MAX_CSV_BYTES = 1 << 30  # a daily price CSV of one GiB would hold centuries of bars for thousands of tickers
_MAX_CSV_LINE = 10_000  # characters: a price row is short; a longer line means this is not a price CSV


def read_price_csv(path: str | Path) -> pd.DataFrame:
    """Reads a CSV of daily prices in yfinance's layout or another common download's: Stooq, Nasdaq.com,
    Investing.com, MarketWatch/WSJ, Google Sheets (see :mod:`~carrousel.finance.price_columns` for the
    columns and how cells are numbers). Separators ``,`` ``;`` tab or ``|``, spaces after them ignored; a
    ``;`` file with decimal commas (``1234,56``) is read so. Several tickers (a ``Ticker`` column, yfinance's
    3-line header of ``yf.download([...]).to_csv()``, a wide table of one close column per ticker) are read
    as a long table with a ``ticker`` column; the 3-line header of one ticker gives its prices alone. A
    ``.parquet`` file of the same columns is read as Parquet (the ``[parquet]`` extra). A long table
    ``unique_id, ds, y`` [+ ``open, high, low, volume``] (``finance predict --data``'s) is read as
    ``Ticker, Date, Close`` (before: "lacks column(s) date, close"), a wide ``ds, AAPL, MSFT`` as ``Date, ...``."""
    p = user_path(path)
    if p.suffix.lower() == ".parquet":
        return _read_price_parquet(p)
    try:
        text = read_text(
            p, option("csv_path", flag="--csv"), "CSV", max_bytes=_MAX_CSV_BYTES, max_line=_MAX_CSV_LINE
        )
    except DataError as exc:
        raise PriceDataError(str(exc)) from None
    lines = file_lines(text)  # \n, \r\n, \r only: a form feed or U+2028 in a cell is no row end
    levels = yfinance_levels(lines)  # yfinance's 2 column levels: yf.download(...).to_csv()
    sep, decimal = csv_dialect(lines)
    try:
        rows, index = ([0, 1], 0) if levels else (0, None)  # split per ticker by normalise_columns
        raw = pd.read_csv(
            io.StringIO(text), header=rows, index_col=index, sep=sep, decimal=decimal, skipinitialspace=True
        ).rename_axis("Date" if levels else None)
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, got = found.groups()
            raise PriceDataError(
                f"{p}: line {line} has {got} fields, the header {want}; a thousands separator or a stray "
                f"'{sep}' in a value? Export plain numbers"
            ) from None
        raise PriceDataError(
            f"{p} is not a readable CSV ({' '.join(str(exc).split())}); export it again"
        ) from None
    except pd.errors.EmptyDataError:
        raise PriceDataError(f"{p} holds no columns; export the price history again") from None
    raw = raw.dropna(how="all")  # a spreadsheet's empty rows (",,,,,,"), skipped as blank lines are
    if raw.empty:
        raise PriceDataError(f"{p} has a header but no price rows; export the history again")
    try:
        return normalise_columns(_frame_names(raw), decimal, str(p))
    except PriceDataError as exc:
        raise PriceDataError(f"{p}: {exc}") from None


def csv_dialect(lines: list[str]) -> tuple[str, str]:
    """A CSV's separator (the first of ``,`` ``;`` tab ``|`` in its header, the first non-blank line) and its
    decimal mark: ``,`` for a ``;`` file whose first 50 lines show decimal commas (``1234,56``, as spreadsheet
    exports write them), else ``.``."""
    header = next((line for line in lines if line.strip()), "")
    sep = next((s for s in (",", ";", "\t", "|") if s in header), ",")
    decimal = "," if sep == ";" and re.search(r"\d,\d", "\n".join(lines[1:50])) else "."
    return sep, decimal


def decimal_comma_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """``df``, a ``;`` file with decimal commas read as text, with its columns of numbers as numbers, read
    as :func:`read_price_csv` reads them (``1.234,56``, ``86,29 €``): the price and volume columns (``y``
    too), a cell that is no number left as text for the frame's check to name, and any other column whose
    cells are all numbers (a wide table's ``AAPL``); the dates (``03.01.2007``, ``ds``) and ids stay text."""
    out = df.copy()
    for col in df.columns:
        kind = "close" if column_key(col) == "y" else standard_name(col)
        if kind in ("date", "ticker") or column_key(col) in ("ds", "uniqueid"):
            continue
        numbers, bad = text_numbers(df[col], volume=kind == "volume", decimal=",")
        if not bad.any():
            out[col] = numbers
        elif kind in ("open", "high", "low", "close", "adj_close", "volume"):
            out[col] = numbers.astype(object).where(~bad, df[col])
    return out


def head_lines(path: Path) -> list[str]:
    """A CSV's first 50 lines, to read its layout from: a ``.gz`` file's text too, none of a file other
    compression holds (``.bz2``, ``.zip``, ``.xz``, ``.zst``: read as a ``,`` file)."""
    if path.suffix.lower() in (".bz2", ".zip", ".xz", ".zst"):
        return []
    with (gzip.open if is_gzip(path) else open)(path, "rt", encoding="utf-8", errors="replace") as f:
        return [f.readline() for _ in range(50)]


def _read_price_parquet(p: Path) -> pd.DataFrame:
    try:
        check_input_file(p, what="Parquet")
    except DataError as exc:
        raise PriceDataError(str(exc)) from None
    raw = read_parquet(p, "write it again")
    if not isinstance(raw.index, pd.RangeIndex):  # df.to_parquet() keeps a Date index
        raw = raw.reset_index()
    if raw.empty:
        raise PriceDataError(f"{p} has no price rows; write the history again")
    try:
        return normalise_columns(_frame_names(raw), ".", str(p))
    except PriceDataError as exc:
        raise PriceDataError(f"{p}: {exc}") from None


def _frame_names(raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` with the frames' names ``ds``, and ``unique_id`` and ``y`` beside it (any case), as ``Date``,
    ``Ticker`` and ``Close``, when it has a ``ds`` and no column read as the date; each only where no column
    has that role (a ``Close`` is the close, not ``y``). A wide table ``ds, AAPL, MSFT`` (a ``pivot`` saved)
    is so read too."""
    if isinstance(raw.columns, pd.MultiIndex):
        return raw
    keys = {column_key(c): c for c in raw.columns}
    roles = {standard_name(c) for c in raw.columns} | {"close" if "adjclose" in keys else None}
    if "ds" not in keys or "date" in roles:
        return raw
    names = {"uniqueid": ("ticker", "Ticker"), "ds": ("date", "Date"), "y": ("close", "Close")}
    return raw.rename(
        columns={keys[k]: name for k, (role, name) in names.items() if k in keys and role not in roles}
    )


def select_ticker(df: pd.DataFrame, ticker: str, where: str) -> pd.DataFrame:
    if "ticker" not in df:
        return df
    symbols = df["ticker"].astype(str).str.upper()
    sub = df[symbols == ticker]
    stems = [s for s in symbols.unique() if s.rpartition(".")[0] == ticker]  # Stooq's AAPL.US for AAPL
    if sub.empty and len(stems) == 1:
        logger.info("%s: read as %s, the one ticker of %s with that stem", ticker, stems[0], where)
        sub = df[symbols == stems[0]]
    if sub.empty:
        known = name_some(sorted(symbols.unique()), 20)
        wide = df.attrs.get("wide", False)  # a one-ticker file whose close is named otherwise is one too
        hint = " (a wide table: one close column per ticker; name one ticker's close Close)" if wide else ""
        raise TickerNotFoundError(f"{ticker} is not in {where}; it holds {known}{hint}")
    return sub.drop(columns="ticker")


def within_dates(raw: pd.DataFrame, ticker: str, start: str | None, end: str | None) -> pd.DataFrame:
    """``raw``'s rows from ``start`` to ``end`` (both included; None: open).

    Raises:
        PriceDataError: when none is left; the message names the dates ``raw`` holds (the file's own range).
    """
    kept = raw
    if start is not None:
        kept = kept[kept.index >= pd.Timestamp(start)]
    if end is not None:
        kept = kept[kept.index <= pd.Timestamp(end)]
    if kept.empty:
        span = f"{start or 'start'} and {end or 'end'}"
        dates = pd.DatetimeIndex(raw.index).dropna()
        held = (
            f"; the source holds {ticker} from {dates.min().date()} to {dates.max().date()}"
            if len(dates)
            else ""
        )
        raise PriceDataError(f"no {ticker} prices between {span}{held}; use dates in that range")
    return kept
