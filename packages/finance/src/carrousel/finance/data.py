"""Price sources: Yahoo Finance (with a per-ticker cache), CSV files and the bundled sample history.

This module and :mod:`~carrousel.finance.price_files` (the files' reading) are the only ones of
carrousel.finance that touch yfinance or the file system for prices. Every
source returns a :class:`PriceHistory`: adjusted, validated daily OHLCV plus where it came from. The
``auto`` source uses a fresh cache, then Yahoo; when Yahoo cannot be reached it raises
:class:`~carrousel.finance.errors.YahooUnreachableError` saying how to proceed, and never substitutes other
data silently.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from carrousel.core.atomic import atomic_write_text
from carrousel.core.option_names import naming_flags, option
from carrousel.core.optional import require
from carrousel.core.paths import user_path
from carrousel.finance.absent_inputs import ABSENT_MORE, absent_inputs, warn_absent_inputs
from carrousel.finance.calendar import gap_warnings, get_calendar, warn_gaps
from carrousel.finance.calendar_pick import calendar_and_reason, resolve_calendar
from carrousel.finance.config import DataConfig
from carrousel.finance.errors import PriceDataError, TickerNotFoundError, YahooUnreachableError
from carrousel.finance.price_columns import ADJUSTED_CLOSE, normalise_columns, price_name
from carrousel.finance.price_files import read_price_csv, select_ticker, within_dates
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


@dataclass(frozen=True, eq=False)
class PriceHistory:
    """Validated daily prices of one ticker (adjusted where the table allows: see ``price``).

    Attributes:
        ticker: upper-case symbol.
        frame: ``DatetimeIndex`` rows, columns ``open high low close volume`` (as ``price`` says: adjusted, or
            closes with split jumps repaired).
        source: ``sample``, ``yahoo``, ``cache``, ``csv`` or ``frame`` (a pandas frame's series).
        label: one line naming the origin for every output (sample data says so).
        notes: repairs made while cleaning (each also logged).
        sha256: hash of the clean frame, stored with trained bundles.
        price: the price the ``close`` column holds, as charts name it
            (:func:`~carrousel.finance.price_columns.price_name`): ``adjusted close``, or ``close`` (a table
            without an adjusted close: its closes, split jumps repaired).
    """

    ticker: str
    frame: pd.DataFrame
    source: str
    label: str
    notes: tuple[str, ...]
    sha256: str
    price: str = ADJUSTED_CLOSE

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


def _hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(float_format="%.10g").encode()).hexdigest()


_Loaded = tuple[PriceHistory, list[str], list[str]]  # a history, its close-only and its calendar warnings
Fix = (
    Callable[[int], str] | None
)  # the fix of a history of n rows shorter than min_history (None: the default)


def _finish(ticker: str, raw: pd.DataFrame, cfg: DataConfig, source: str, label: str, fix: Fix) -> _Loaded:
    """The validated history and its warnings, left for :func:`_warned` to log with other series'."""
    raw = within_dates(raw, ticker, cfg.start, cfg.end)
    frame, notes = clean_prices(raw, ticker, cfg.min_history, cfg.repair_splits, fix)
    dates = pd.DatetimeIndex(frame.index)
    calendar, why = calendar_and_reason(ticker, dates, cfg.calendar, log=True)  # why: 24/5 before 1970
    note, gaps = gap_warnings(ticker, dates, calendar)
    notes.extend(n for n in (why, note) if n is not None)
    history = PriceHistory(ticker, frame, source, label, tuple(notes), _hash(frame), price_name(raw))
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


def _load(ticker: str, cfg: DataConfig, table: pd.DataFrame | None = None, fix: Fix = None) -> _Loaded:
    """:func:`load_history` with its warnings returned, not logged; ``table``: ``cfg.csv_path`` read
    already (:func:`load_histories` reads it once for all its tickers)."""
    ticker = ticker.strip().upper()
    if cfg.source == "sample":
        path = _sample_file()
        df = select_ticker(_sample_frame(str(path)), ticker, "the sample data")
        return _finish(ticker, df, cfg, "sample", SAMPLE_LABEL, fix)
    if cfg.source == "csv":
        assert cfg.csv_path is not None
        df = select_ticker(
            read_price_csv(cfg.csv_path) if table is None else table, ticker, str(cfg.csv_path)
        )
        return _finish(ticker, df, cfg, "csv", f"CSV file {cfg.csv_path}", fix)
    return _load_yahoo(ticker, cfg, fix)


def load_histories(cfg: DataConfig, fix: Fix = None) -> list[PriceHistory]:
    """Loads every ticker of ``cfg`` (see :func:`load_history`); their close-only and calendar warnings are
    logged together, five tickers named and the rest counted, as a DataFrame's series are. ``fix``: what
    a history shorter than ``cfg.min_history`` should do (:func:`~carrousel.finance.validation.clean_prices`).

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
    return _warned([_load(t, cfg, table, fix) for t in symbols], cfg.calendar)


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


def _load_yahoo(ticker: str, cfg: DataConfig, fix: Fix) -> _Loaded:
    folder = cache_folder(cfg)
    path, meta_path = folder / f"{ticker}.csv", folder / f"{ticker}.json"
    cached = read_price_csv(path) if path.exists() else None
    covers = cached is not None and (cfg.start is None or cached.index[0] <= pd.Timestamp(cfg.start))
    calendar = cfg.calendar if cached is None else resolve_calendar(ticker, cached.index, cfg.calendar)
    if cached is not None and covers and cfg.source == "auto" and _is_fresh(cached.index[-1], calendar):
        fetched = json.loads(meta_path.read_text()).get("fetched_at", "?") if meta_path.exists() else "?"
        logger.info("%s: using the fresh cache %s", ticker, path)
        return _finish(ticker, cached, cfg, "cache", f"Yahoo Finance (cached {fetched})", fix)
    full = _update(ticker, cached, cfg)
    text = full.rename_axis("date").to_csv(float_format="%.10g")
    atomic_write_text(path, text)
    meta = {"ticker": ticker, "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "first": str(full.index[0].date()), "last": str(full.index[-1].date())}  # fmt: skip
    atomic_write_text(meta_path, json.dumps(meta, indent=2))
    return _finish(ticker, full, cfg, "yahoo", f"Yahoo Finance (downloaded {meta['fetched_at']})", fix)


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
