"""Checks and repairs of a daily OHLCV frame: each problem is a clear error or a logged repair.

A frame here has a ``DatetimeIndex`` and the columns ``open high low close volume`` plus, optionally,
``adj_close``. After :func:`clean_prices` the prices are split- (and dividend-) adjusted, sorted, unique and
positive, so log returns computed from them are real returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.option_names import naming_flags, option
from carrousel.core.text import counted
from carrousel.finance.errors import PriceDataError, TickerNotFoundError

__all__ = ["PRICE_COLUMNS", "SPLIT_RATIOS", "adjust_by_close", "check_daily", "clean_prices", "detect_splits"]

logger = logging.getLogger(__name__)

PRICE_COLUMNS = ("open", "high", "low", "close")
SPLIT_RATIOS = (2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 15.0, 20.0)  # forward splits; reverse = 1/ratio
_SPLIT_TOLERANCE = 0.03  # |log(jump) - log(ratio)| accepted as a split (about 3%)
_MIN_JUMP = float(np.log(1.8))  # overnight moves smaller than this are never treated as splits
_SPIKE = float(np.log(2.5))  # a one-day move beyond this that reverses the next day is noted as a bad tick
_MAX_MEDIAN_STEP = 2  # weekdays between consecutive rows (median) beyond which bars are not daily


def detect_splits(close: pd.Series, open_: pd.Series | None = None) -> list[tuple[pd.Timestamp, float]]:
    """Finds overnight price jumps that match a common split ratio.

    Args:
        close: unadjusted closes, sorted by date.
        open_: unadjusted opens (the jump is measured close -> next open when given, else close -> close).

    Returns:
        ``(date, ratio)`` per detected split, ratio > 1 for a forward split (price divided by ratio).
    """
    prev = close.shift(1)
    nxt = open_ if open_ is not None else close
    jump = np.log(prev / nxt).dropna()
    found: list[tuple[pd.Timestamp, float]] = []
    for date, j in jump[jump.abs() > _MIN_JUMP].items():
        for ratio in SPLIT_RATIOS:
            for r in (ratio, 1.0 / ratio):
                if abs(j - np.log(r)) < _SPLIT_TOLERANCE:
                    # the close of the split day must confirm the new level, or it was an intraday glitch
                    if abs(np.log(prev[date] / close[date]) - np.log(r)) < 3 * _SPLIT_TOLERANCE + 0.15:
                        found.append((pd.Timestamp(str(date)), r))
                    break
            else:
                continue
            break
    return found


@check_args
def clean_prices(
    frame: pd.DataFrame,
    ticker: str,
    min_history: int = 250,
    repair_splits: bool = True,
    fix: Callable[[int], str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Validates and repairs a daily OHLCV frame.

    Args:
        frame: ``DatetimeIndex`` rows, columns ``open high low close volume`` (+ optional ``adj_close``).
        ticker: symbol, for messages.
        min_history: fewest rows accepted after cleaning.
        repair_splits: without ``adj_close``, rescale history across detected split jumps (else raise).
        fix: the fix of a history of ``n`` rows shorter than ``min_history`` (what the caller's network
            accepts: :func:`~carrousel.finance.backtest.short_history_fix`); None: a lower ``min_history``.

    Returns:
        The clean frame (adjusted ``open high low close volume``) and one note per repair made.

    Raises:
        TickerNotFoundError: when the frame is empty.
        PriceDataError: on non-positive prices, unrepairable split jumps, bars that are not daily (rows a
            median of more than two weekdays apart: weekly or monthly data) or too short a history.
    """
    notes: list[str] = []
    if frame is None or len(frame) == 0:
        raise TickerNotFoundError(f"no prices for {ticker}; check the symbol (e.g. AAPL, MSFT) and the dates")
    df = frame.copy()
    df.index = pd.DatetimeIndex(pd.to_datetime(df.index)).tz_localize(None).normalize()
    df.index.name = "date"
    if not df.index.is_monotonic_increasing:
        df = df.sort_index(kind="stable")
        notes.append("rows were not in date order: sorted")
    dup = df.index.duplicated(keep="last")
    if dup.any():
        first_dup = df.index[dup][0].date()
        notes.append(f"{int(dup.sum())} duplicated date(s) (first {first_dup}): kept the last row of each")
        df = df[~dup]
    if "adj_close" in df and df["adj_close"].isna().all():  # a blank column (a merged file): as if absent
        df = df.drop(columns="adj_close")
        notes.append(
            "the adjusted close column is empty: the closes are used as they are (split jumps repaired)"
        )
    cols = [*PRICE_COLUMNS, *(["adj_close"] if "adj_close" in df else [])]
    values = df[[*cols, "volume"]].to_numpy(dtype=float)
    infinite = np.isinf(values).any(axis=1)
    if infinite.any():
        raise PriceDataError(
            f"{ticker} has {int(infinite.sum())} row(s) with infinite prices or volumes (first "
            f"{df.index[infinite][0].date()}); fix or remove those rows"
        )
    all_nan = df[cols].isna().all(axis=1)
    if all_nan.any():
        notes.append(f"{int(all_nan.sum())} row(s) without any price dropped")
        df = df[~all_nan]
    if df["close"].isna().any():
        n = int(df["close"].isna().sum())
        notes.append(f"{n} row(s) with a missing close dropped")
        df = df[df["close"].notna()]
    if "adj_close" in df and df["adj_close"].isna().any():
        n = int(df["adj_close"].isna().sum())
        factor = (df["adj_close"] / df["close"]).ffill().bfill()
        df["adj_close"] = df["adj_close"].fillna(df["close"] * factor)
        notes.append(f"{n} missing adjusted close(s) filled from the neighbouring adjustment factor")
    for col in ("open", "high", "low"):
        miss = df[col].isna()
        if miss.any():
            df.loc[miss, col] = df.loc[miss, "close"]
            notes.append(f"{int(miss.sum())} missing {col} value(s) set to that day's close")
    if df["volume"].isna().any():
        notes.append(f"{int(df['volume'].isna().sum())} missing volume(s) set to 0")
        df["volume"] = df["volume"].fillna(0.0)
    bad = (df[cols] <= 0).any(axis=1)
    if bad.any():
        first = df.index[bad][0].date()
        raise PriceDataError(
            f"{ticker} has {int(bad.sum())} row(s) with zero or negative prices (first {first}); "
            f"fix or remove those rows, or use {option('start')} after them"
        )
    if (df["volume"] < 0).any():
        raise PriceDataError(f"{ticker} has negative volumes; fix the data source")
    swapped = df["high"] < df["low"]
    if swapped.any():
        df.loc[swapped, ["high", "low"]] = df.loc[swapped, ["low", "high"]].to_numpy()
        notes.append(f"{int(swapped.sum())} row(s) with high < low: swapped")
    df["high"] = df[["open", "high", "close"]].max(axis=1)
    df["low"] = df[["open", "low", "close"]].min(axis=1)
    df = _adjust(df, ticker, notes, repair_splits)
    if len(df) > 1 and df["close"].nunique() < 2:  # one row: the length check below says what is wrong
        raise PriceDataError(
            f"{ticker}'s close never changes ({len(df)} rows at {df['close'].iloc[0]:g}); "
            "a constant series cannot be forecast or scored, check the data source"
        )
    _note_spikes(df["close"], notes)
    check_daily(df.index, ticker)
    if len(df) < min_history:
        hint = (
            fix(len(df))
            if fix is not None
            else f"use an earlier {option('start')}, a longer history, or a lower data.min_history (at least 30)"
            + (
                " in a --config TOML file" if naming_flags() else ""
            )  # from Python: DataConfig(min_history=...)
        )
        raise PriceDataError(
            f"{ticker} has only {counted(len(df), 'usable trading day')}, "
            f"at least {min_history} are needed; {hint}"
        )
    for note in notes:
        logger.warning("%s: %s", ticker, note)
    return df[["open", "high", "low", "close", "volume"]].astype("float64"), notes


def check_daily(index: pd.DatetimeIndex, name: str, error: type[PriceDataError] = PriceDataError) -> None:
    """Refuses weekly or monthly bars: every window, baseline and forecast date counts daily sessions, so
    a weekly series would be forecast as if each week were one day (dated the next sessions).

    Raises:
        error: when consecutive rows are a median of more than two weekdays apart.
    """
    if len(index) < 3:
        return
    days = index.to_numpy().astype("datetime64[D]")
    step = float(np.median(np.busday_count(days[:-1], days[1:])))
    if step > _MAX_MEDIAN_STEP:
        kind = "weekly" if step <= 7 else "monthly" if step <= 31 else "sparse"
        raise error(
            f"{name}'s rows are {step:g} weekdays apart (median): {kind} bars, but the forecasts, backtest "
            "and dates count daily sessions; give daily prices (one row per trading day)"
        )


def _note_spikes(close: pd.Series, notes: list[str]) -> None:
    """Notes one-day jumps beyond ``_SPIKE`` that reverse the next day (bad ticks); the data is kept."""
    r = np.log(close).diff().to_numpy()
    nxt = np.roll(r, -1)
    nxt[-1] = 0.0
    spike = (np.abs(r) > _SPIKE) & (np.abs(r + nxt) < 0.3 * np.abs(r))
    if spike.any():
        first = close.index[int(np.argmax(spike))].date()
        notes.append(
            f"{int(spike.sum())} one-day price spike(s) that reverse the next day (first {first}, "
            f"x{float(np.exp(np.abs(r[spike][0]))):.3g}): likely bad ticks, check the data"
        )


def adjust_by_close(df: pd.DataFrame) -> None:
    """Split- and dividend-adjusts a table in place: the price columns present (``open high low close``) times
    ``adj_close / close``, the volume divided by it (so the traded value stays); ``adj_close`` is kept."""
    factor = df["adj_close"] / df["close"]
    for col in PRICE_COLUMNS:
        if col in df:
            df[col] = df[col] * factor
    if "volume" in df:
        df["volume"] = df["volume"] / factor


def _adjust(df: pd.DataFrame, ticker: str, notes: list[str], repair_splits: bool) -> pd.DataFrame:
    """Rescales OHLC (and volume inversely) to adjusted prices; detects splits when no adjustment exists."""
    if "adj_close" in df:
        adjust_by_close(df)
        residual = detect_splits(df["close"], df["open"])
        if residual:
            date, ratio = residual[0]
            notes.append(
                f"adjusted prices still jump by {ratio:g}x on {date.date()}: the adjusted column may be stale"
            )
        return df
    splits = detect_splits(df["close"], df["open"])
    if not splits:
        return df
    if not repair_splits:
        date, ratio = splits[0]
        raise PriceDataError(
            f"{ticker} prices jump {ratio:g}x on {date.date()}, which looks like an unadjusted split; "
            "supply an adjusted close column or enable split repair"
        )
    factor = pd.Series(1.0, index=df.index)
    for date, ratio in splits:
        factor[df.index < date] /= ratio
        notes.append(f"split-like jump of {ratio:g}x on {date.date()} repaired by rescaling earlier prices")
    for col in PRICE_COLUMNS:
        df[col] = df[col] * factor
    df["volume"] = df["volume"] / factor
    return df
