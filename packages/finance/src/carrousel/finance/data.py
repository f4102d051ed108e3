"""Price sources: Yahoo Finance (with a per-ticker cache), CSV files and the bundled sample history.

This is the only module of carrousel.finance that touches yfinance or the file system for prices. Every
source returns a :class:`PriceHistory`: adjusted, validated daily OHLCV plus where it came from. The
``auto`` source uses a fresh cache, then Yahoo; when Yahoo cannot be reached it raises
:class:`~carrousel.finance.errors.YahooUnreachableError` saying how to proceed, and never substitutes other
data silently.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import re
import socket
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from carrousel.core.atomic import atomic_write_text
from carrousel.core.encodings import file_lines
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file, read_text
from carrousel.core.option_names import naming_flags, option
from carrousel.core.optional import require
from carrousel.core.paths import user_path
from carrousel.core.text import name_some
from carrousel.finance.absent_inputs import ABSENT_MORE, absent_inputs, warn_absent_inputs
from carrousel.finance.calendar import gap_warnings, get_calendar, warn_gaps
from carrousel.finance.calendar_pick import calendar_and_reason, resolve_calendar
from carrousel.finance.config import DataConfig
from carrousel.finance.errors import PriceDataError, TickerNotFoundError, YahooUnreachableError
from carrousel.finance.price_columns import normalise_columns, read_parquet, yfinance_levels
from carrousel.finance.series_warnings import warn_per_series
from carrousel.finance.validation import clean_prices

__all__ = [
    "SAMPLE_LABEL",
    "SAMPLE_NAME",
    "PriceHistory",
    "cache_folder",
    "load_histories",
    "load_history",
    "read_price_csv",
    "warn_absent_inputs",
    "yahoo_reachable",
]

logger = logging.getLogger(__name__)

SAMPLE_NAME = "finance.stocks"  # carrousel sample holding the bundled daily history
SAMPLE_LABEL = "SAMPLE DATA (bokeh-sampledata: real daily prices, 2000-2013; not current)"
YAHOO_HOST = ("query2.finance.yahoo.com", 443)
_REFETCH_OVERLAP = 10  # calendar days re-downloaded before the cache's last date on an incremental update

_MAX_CSV_BYTES = 1 << 30  # a daily price CSV of one GiB would hold centuries of bars for thousands of tickers
_MAX_CSV_LINE = 10_000  # characters: a price row is short; a longer line means this is not a price CSV


@dataclass(frozen=True, eq=False)
class PriceHistory:
    """Validated, adjusted daily prices of one ticker.

    Attributes:
        ticker: upper-case symbol.
        frame: ``DatetimeIndex`` rows, columns ``open high low close volume`` (split/dividend adjusted).
        source: ``sample``, ``yahoo``, ``cache`` or ``csv``.
        label: one line naming the origin for every output (sample data says so).
        notes: repairs made while cleaning (each also logged).
        sha256: hash of the clean frame, stored with trained bundles.
    """

    ticker: str
    frame: pd.DataFrame
    source: str
    label: str
    notes: tuple[str, ...]
    sha256: str

    @property
    def start(self) -> pd.Timestamp:
        """First date."""
        return pd.Timestamp(self.frame.index[0])

    @property
    def end(self) -> pd.Timestamp:
        """Last date."""
        return pd.Timestamp(self.frame.index[-1])

    def summary(self) -> dict[str, object]:
        """JSON-able description of the data (origin, date range, rows, hash) for run documents."""
        return {
            "ticker": self.ticker,
            "source": self.source,
            "label": self.label,
            "first_date": str(self.start.date()),
            "last_date": str(self.end.date()),
            "rows": len(self.frame),
            "sha256": self.sha256,
        }


def read_price_csv(path: str | Path) -> pd.DataFrame:
    """Reads a CSV of daily prices in yfinance's layout or another common download's: Stooq, Nasdaq.com,
    Investing.com, MarketWatch/WSJ, Google Sheets (see :mod:`~carrousel.finance.price_columns` for the
    columns and how cells are numbers). Separators ``,`` ``;`` tab or ``|``, spaces after them ignored; a
    ``;`` file with decimal commas (``1234,56``) is read so. Several tickers (a ``Ticker`` column, yfinance's
    3-line header of ``yf.download([...]).to_csv()``, a wide table of one close column per ticker) are read
    as a long table with a ``ticker`` column; the 3-line header of one ticker gives its prices alone. A
    ``.parquet`` file of the same columns is read as Parquet (the ``[parquet]`` extra)."""
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
    header = next((line for line in lines if line.strip()), "")
    sep = next((s for s in (",", ";", "\t", "|") if s in header), ",")
    # spreadsheet exports with ';' separators often write decimal commas (1234,56)
    decimal = "," if sep == ";" and re.search(r"\d,\d", "\n".join(lines[1:50])) else "."
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
        return normalise_columns(raw, decimal, str(p))
    except PriceDataError as exc:
        raise PriceDataError(f"{p}: {exc}") from None


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
        return normalise_columns(raw, ".", str(p))
    except PriceDataError as exc:
        raise PriceDataError(f"{p}: {exc}") from None


def _select_ticker(df: pd.DataFrame, ticker: str, where: str) -> pd.DataFrame:
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


def _hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(float_format="%.10g").encode()).hexdigest()


_Loaded = tuple[PriceHistory, list[str], list[str]]  # a history, its close-only and its calendar warnings


def _finish(ticker: str, raw: pd.DataFrame, cfg: DataConfig, source: str, label: str) -> _Loaded:
    """The validated history and its warnings, left for :func:`_warned` to log with other series'."""
    if cfg.start is not None:
        raw = raw[raw.index >= pd.Timestamp(cfg.start)]
    if cfg.end is not None:
        raw = raw[raw.index <= pd.Timestamp(cfg.end)]
    if raw.empty:
        span = f"{cfg.start or 'start'} and {cfg.end or 'end'}"
        raise PriceDataError(f"no {ticker} prices between {span}; widen the dates")
    frame, notes = clean_prices(raw, ticker, cfg.min_history, cfg.repair_splits)
    dates = pd.DatetimeIndex(frame.index)
    calendar, why = calendar_and_reason(ticker, dates, cfg.calendar, log=True)  # why: 24/5 before 1970
    note, gaps = gap_warnings(ticker, dates, calendar)
    notes.extend(n for n in (why, note) if n is not None)
    history = PriceHistory(ticker, frame, source, label, tuple(notes), _hash(frame))
    return history, absent_inputs(ticker, frame), gaps


def _warned(loaded: list[_Loaded], calendar: str) -> list[PriceHistory]:
    """Logs the loaded series' warnings as a DataFrame's are (five series named, the rest counted: one line
    per ticker before, for ``finance forecast`` of many tickers) and returns the histories."""
    warn_per_series(logger, (absent for _, absent, _ in loaded), ABSENT_MORE)
    warn_gaps((gaps for _, _, gaps in loaded), calendar)
    return [history for history, _, _ in loaded]


@functools.lru_cache(maxsize=4)
def _sample_frame(path: str) -> pd.DataFrame:
    return read_price_csv(path)


def _sample_file() -> Path:
    from carrousel.core.samples import sample_path

    return sample_path(SAMPLE_NAME)


def load_history(ticker: str, cfg: DataConfig) -> PriceHistory:
    """Loads, validates and adjusts the daily history of ``ticker`` from ``cfg.source``.

    Raises:
        TickerNotFoundError: unknown symbol.
        YahooUnreachableError: Yahoo needed but not reachable (the message says how to proceed).
        PriceDataError: unusable data.
    """
    return _warned([_load(ticker, cfg)], cfg.calendar)[0]


def _load(ticker: str, cfg: DataConfig, table: pd.DataFrame | None = None) -> _Loaded:
    """:func:`load_history` with its warnings returned, not logged; ``table``: ``cfg.csv_path`` read
    already (:func:`load_histories` reads it once for all its tickers)."""
    ticker = ticker.strip().upper()
    if cfg.source == "sample":
        path = _sample_file()
        df = _select_ticker(_sample_frame(str(path)), ticker, "the sample data")
        return _finish(ticker, df, cfg, "sample", SAMPLE_LABEL)
    if cfg.source == "csv":
        assert cfg.csv_path is not None
        df = _select_ticker(
            read_price_csv(cfg.csv_path) if table is None else table, ticker, str(cfg.csv_path)
        )
        return _finish(ticker, df, cfg, "csv", f"CSV file {cfg.csv_path}")
    return _load_yahoo(ticker, cfg)


def load_histories(cfg: DataConfig) -> list[PriceHistory]:
    """Loads every ticker of ``cfg`` (see :func:`load_history`); their close-only and calendar warnings are
    logged together, five tickers named and the rest counted, as a DataFrame's series are.

    Raises:
        PriceDataError: also when several tickers are asked of a CSV file without a ticker column (its one
            history would otherwise be used, silently, for every symbol).
    """
    symbols = list(dict.fromkeys(t.strip().upper() for t in cfg.tickers))
    table = None  # a CSV file: read once, not once per ticker (a long table of many series)
    if cfg.source == "csv" and len(symbols) > 1:
        assert cfg.csv_path is not None
        if "ticker" not in (table := read_price_csv(cfg.csv_path)):
            raise PriceDataError(
                f"{cfg.csv_path} has no Ticker column, so it holds one stock, not {', '.join(symbols)}; "
                "pass one ticker per CSV file, or add a Ticker (or Symbol) column"
            )
    return _warned([_load(t, cfg, table) for t in symbols], cfg.calendar)


# ----------------------------------------------------------------------------------------------- Yahoo


def cache_folder(cfg: DataConfig) -> Path:
    """Returns the Yahoo cache folder: ``cfg.cache_dir``, else ``$CARROUSEL_CACHE/finance/yahoo``."""
    if cfg.cache_dir:
        return user_path(cfg.cache_dir)
    root = os.environ.get("CARROUSEL_CACHE")
    return (user_path(root) if root else Path.home() / ".cache" / "carrousel") / "finance" / "yahoo"


def yahoo_reachable(timeout: float = 3.0) -> bool:
    """True when a TCP connection to Yahoo Finance's API host opens within ``timeout`` seconds."""
    try:
        with socket.create_connection(YAHOO_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def _download(ticker: str, start: str | None, cfg: DataConfig) -> pd.DataFrame:
    """One yfinance request; raw unadjusted OHLC + Adj Close, normalised columns."""
    yf = require("yfinance", "carrousel-finance[yahoo]", f"live Yahoo data ({option('source', 'yahoo')})")
    kwargs: dict[str, Any] = {"start": start} if start else {"period": "max"}
    yf_logger = logging.getLogger("yfinance")
    level = yf_logger.level
    try:  # yfinance logs and warns on every failure; this module reports failures itself, in one line
        yf_logger.setLevel(logging.CRITICAL + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = yf.download(
                ticker, auto_adjust=False, actions=False, progress=False, threads=False,
                multi_level_index=True, timeout=cfg.timeout, **kwargs,
            )  # fmt: skip
    except Exception as exc:  # yfinance raises many network/JSON error types
        logger.debug("yfinance failed for %s: %r", ticker, exc)
        raw = None
    finally:
        yf_logger.setLevel(level)
    if raw is None or raw.empty:
        if not yahoo_reachable():
            raise YahooUnreachableError(_unreachable_message(ticker, cfg))
        if start is not None:
            return pd.DataFrame()  # nothing new since `start`
        raise TickerNotFoundError(f"Yahoo Finance has no prices for {ticker}; check the symbol (e.g. AAPL)")
    return normalise_columns(raw)


def _unreachable_message(ticker: str, cfg: DataConfig) -> str:
    def csv(path: str) -> str:  # --source csv --csv PATH (a command), source='csv', csv_path='PATH' (Python)
        both = option("source", "csv"), option("csv_path", path, "--csv")
        return (" " if naming_flags() else ", ").join(both)

    msg = (
        f"Yahoo Finance is unreachable from this machine (fetching {ticker}); use {option('source', 'sample')} "
        f"for the bundled 2000-2013 history or {csv('PATH')} for your own file"
    )
    cached = cache_folder(cfg) / f"{ticker}.csv"
    if cached.exists():
        msg += f" (a stale cache exists: {csv(str(cached))})"
    return msg


def _is_fresh(last: pd.Timestamp, calendar: str) -> bool:
    cal = get_calendar(calendar)
    today = pd.Timestamp(datetime.now(UTC).date())
    previous = cal.date_to_session(today, direction="previous")
    if previous == today:  # today's session may still be open: yesterday's close is the latest final one
        previous = cal.previous_session(today)
    return bool(last >= previous)


def _load_yahoo(ticker: str, cfg: DataConfig) -> _Loaded:
    folder = cache_folder(cfg)
    path, meta_path = folder / f"{ticker}.csv", folder / f"{ticker}.json"
    cached = read_price_csv(path) if path.exists() else None
    covers = cached is not None and (cfg.start is None or cached.index[0] <= pd.Timestamp(cfg.start))
    calendar = cfg.calendar if cached is None else resolve_calendar(ticker, cached.index, cfg.calendar)
    if cached is not None and covers and cfg.source == "auto" and _is_fresh(cached.index[-1], calendar):
        fetched = json.loads(meta_path.read_text()).get("fetched_at", "?") if meta_path.exists() else "?"
        logger.info("%s: using the fresh cache %s", ticker, path)
        return _finish(ticker, cached, cfg, "cache", f"Yahoo Finance (cached {fetched})")
    full = _update(ticker, cached, cfg)
    text = full.rename_axis("date").to_csv(float_format="%.10g")
    atomic_write_text(path, text)
    meta = {"ticker": ticker, "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "first": str(full.index[0].date()), "last": str(full.index[-1].date())}  # fmt: skip
    atomic_write_text(meta_path, json.dumps(meta, indent=2))
    return _finish(ticker, full, cfg, "yahoo", f"Yahoo Finance (downloaded {meta['fetched_at']})")


def _update(ticker: str, cached: pd.DataFrame | None, cfg: DataConfig) -> pd.DataFrame:
    """Downloads only what the cache lacks; refetches everything after a split/dividend re-adjustment."""
    want_start = cfg.start
    if cached is None or (want_start is not None and cached.index[0] > pd.Timestamp(want_start)):
        return _download(ticker, None, cfg)
    since = (cached.index[-1] - pd.Timedelta(days=_REFETCH_OVERLAP)).strftime("%Y-%m-%d")
    new = _download(ticker, since, cfg)
    if new.empty:
        return cached
    overlap = cached.index.intersection(new.index)
    if "adj_close" in cached and "adj_close" in new and len(overlap):
        old_f = (cached.loc[overlap, "adj_close"] / cached.loc[overlap, "close"]).to_numpy()
        new_f = (new.loc[overlap, "adj_close"] / new.loc[overlap, "close"]).to_numpy()
        if abs(old_f / new_f - 1.0).max() > 1e-6:
            logger.info("%s: adjustment factors changed since the cache was written; downloading all", ticker)
            return _download(ticker, None, cfg)
    merged = pd.concat([cached[~cached.index.isin(new.index)], new[cached.columns.intersection(new.columns)]])
    logger.info("%s: cache updated with %d new row(s)", ticker, int((~new.index.isin(cached.index)).sum()))
    return merged.sort_index()
