"""The edge of the DataFrame API: reading and checking a caller's ``unique_id, ds, y`` frame.

* :func:`validate_frame` checks a frame: missing columns, duplicate dates within a series (rows out of date
  order are sorted, with a warning),
  non-finite or non-positive prices are each one :class:`~carrousel.finance.errors.FrameError`; the dates
  are read by :func:`~carrousel.finance.frame_dates.frame_days` (times of day dropped, numbers refused).
* :func:`read_frame` reads such a table from a CSV or Parquet file and validates it.
* Both also read, when none of ``unique_id, ds, y`` is a column, the tables people save of several tickers
  (:func:`long_layout`): yfinance's ``(Price, Ticker)`` columns, a wide table (one close column per
  ticker), a long table named as yfinance or Stooq name it (``Date, Ticker, Close...``).
* :class:`FrameDtypes` gives a frame's ids and dates back as the caller wrote them (``validate_frame`` reads
  ids as text and dates as time-zone-naive timestamps), so that the caller's frame merges with an output.

:mod:`carrousel.finance.frames` re-exports both (their public import path).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file
from carrousel.core.paths import user_path
from carrousel.finance.errors import FrameError
from carrousel.finance.frame_dates import duplicate_dates, frame_days
from carrousel.finance.price_columns import (
    read_parquet,
    split_tickers,
    standard_columns,
    standard_name,
    wide_to_long,
    yfinance_levels,
)
from carrousel.finance.price_files import csv_dialect, decimal_comma_numbers, head_lines
from carrousel.finance.price_numbers import text_numbers
from carrousel.finance.validation import PRICE_COLUMNS, adjust_by_close, check_daily

__all__ = ["OPTIONAL", "REQUIRED", "FrameDtypes", "long_layout", "read_frame", "validate_frame"]

logger = logging.getLogger(__name__)


REQUIRED = ("unique_id", "ds", "y")  # the columns every frame has
OPTIONAL = ("open", "high", "low", "volume")  # more inputs of the network, used when present
# price_columns' standard names -> a frame's (adj_close: see long_layout)
_NIXTLA = {"ticker": "unique_id", "date": "ds", "close": "y"} | {c: c for c in OPTIONAL}


def long_layout(df: pd.DataFrame) -> pd.DataFrame:
    """A multi-ticker table in yfinance's or a spreadsheet's layout as a ``unique_id, ds, y`` frame.

    A frame with any of ``unique_id, ds, y`` (any case) is the documented layout and is returned as it is.
    Else, in order:

    * yfinance's two column levels (``yf.download(["AAPL", "MSFT"])``, or its 3-line CSV header): one
      series per ticker (:func:`~carrousel.finance.price_columns.split_tickers`);
    * a wide table, a date and one numeric column per ticker whose names are not price names: each column a
      series of closes, its NaN rows before its first and after its last price dropped
      (:func:`~carrousel.finance.price_columns.wide_to_long` states the rule);
    * the columns named by the price tables' alias table (``Date``, ``Ticker``/``Symbol``, ``Close``,
      ``Open``, ``High``, ``Low``, ``Volume``, any case; ``Price`` as the close without a ``Close``) become
      ``ds, unique_id, y, open, high, low, volume``, when that gives all three of ``unique_id, ds, y``
      (dates or tickers in the index are read from it). With an ``Adj Close`` column ``y`` is the adjusted
      close, and the open, high and low are scaled by ``Adj Close / Close`` (the volume inversely), as the
      price loaders adjust.

    A table none of these fits is returned as it is (its missing columns are then named by the check).
    """
    names = {str(c).strip().lower() for c in df.columns.get_level_values(0)}
    if names & set(REQUIRED):
        wide = _wide_with_ds(df) if names & set(REQUIRED) == {"ds"} else None
        if wide is None:
            return df
        df = wide
    if isinstance(df.columns, pd.MultiIndex) and df.columns.nlevels == 2:
        df = split_tickers(df)
    wide = wide_to_long(df, REQUIRED)
    if wide is not None:
        df = wide
    if {standard_name(n) for n in df.index.names if n is not None} & {"date", "ticker"}:
        df = df.reset_index()
    std = standard_columns(df)
    if not {"ticker", "date"} <= set(std.values()) or not {"close", "adj_close"} & set(std.values()):
        return df
    out = df[list(std)].rename(columns=std)
    if "adj_close" in out and "close" in out:
        for col in out.columns.intersection([*PRICE_COLUMNS, "adj_close", "volume"]):
            out[col] = pd.to_numeric(out[col], errors="coerce")  # the check names what was no number
        adjust_by_close(out)  # as the price loaders adjust: the close becomes the adjusted close
        out = out.drop(columns="adj_close")
    out = out.rename(columns={"adj_close": "close"})
    return out.rename(columns=_NIXTLA)


def _wide_with_ds(df: pd.DataFrame) -> pd.DataFrame | None:
    """A wide table whose date column is named ``ds`` (``df.pivot(index="ds", columns="unique_id",
    values="y")`` with its index as a column, or saved to a file) as a long ``Date, Ticker, Close`` table;
    None for any other table (before: "the frame lacks column(s) unique_id, y", while the same pivot with
    ``ds`` as its index was read)."""
    if any(standard_name(c) == "date" for c in df.columns) or isinstance(df.columns, pd.MultiIndex):
        return None
    return wide_to_long(
        df.rename(columns=lambda c: "Date" if str(c).strip().lower() == "ds" else c), REQUIRED
    )


def validate_frame(df: object) -> pd.DataFrame:
    """Checks a ``unique_id, ds, y`` frame and returns a clean copy (``ds`` as dates, ``unique_id`` as text).

    Rows of different series may interleave; a series' rows out of date order are sorted (a warning says
    so), its dates must be unique, one row per trading day (weekly or monthly bars, a median of more than
    two weekdays apart, are refused). Column
    names are read in any case; true/false values are not prices.

    Raises:
        FrameError: one line naming the first problem and the fix.
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(
            f"expected a pandas DataFrame with columns unique_id, ds, y; got {type(df).__name__}"
        )
    frame = _columns(df)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        found = set(standard_columns(frame).values())  # one series' prices, no ticker: say what to add
        one = "date" in found and bool(found & {"close", "adj_close"}) and "ticker" not in found
        fix = "; one series without a ticker: add a Ticker column (its symbol on every row)" if one else ""
        given = {str(c).strip().lower(): str(c) for c in df.columns} if df.columns.nlevels == 1 else {}
        has = [given.get(c, c) if c in OPTIONAL else str(c) for c in frame.columns]  # Open, not _named's open
        raise FrameError(
            f"the frame lacks column(s) {', '.join(missing)}; it needs unique_id, ds, y (one row per series "
            f"and date), it has {', '.join(has) or 'none'}{fix}"
        )
    if frame.empty:
        raise FrameError("the frame has no rows; give one row per series and date")
    keep = [*REQUIRED, *(c for c in OPTIONAL if c in frame.columns)]
    out = frame[keep].reset_index(drop=True)
    out["unique_id"] = _text_ids(out["unique_id"])
    out["ds"] = frame_days(out["ds"], out["unique_id"])  # naive midnights; numbers and intraday refused
    for col in keep[2:]:
        raw = out[col]  # True is not a price of 1.0: object columns are looked at value by value
        if pd.api.types.is_bool_dtype(raw) or (
            raw.dtype == object and raw.map(lambda v: isinstance(v, bool | np.bool_)).any()
        ):
            what = "volumes" if col == "volume" else "prices"
            raise FrameError(f"column {col} holds true/false values, not {what}; give {what} as numbers")
        values, unreadable = text_numbers(raw, volume=col == "volume")  # "1,234.5", "$56.14": as the files
        # an optional column may miss a cell (an unknown input), not hold text that is no number
        bad = ~np.isfinite(values) if col == "y" else np.isinf(values) | unreadable
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            cell = f": {raw[i]!r}" if isinstance(raw[i], str) else ""
            what, fix = (
                ("missing, non-numeric or infinite", "drop or fill those rows")
                if col == "y"
                else ("non-numeric or infinite", "give numbers, or leave a cell empty where it is unknown")
            )
            raise FrameError(
                f"column {col} has {int(bad.sum())} {what} value(s) (first: series {out['unique_id'][i]} on "
                f"{out['ds'][i].date()}{cell}); {fix}"
            )
        if ((values <= 0) if col != "volume" else (values < 0)).any():
            i = int(np.flatnonzero(values <= 0 if col != "volume" else values < 0)[0])
            what = "prices must be positive" if col != "volume" else "volumes must not be negative"
            raise FrameError(f"column {col}: {what} (series {out['unique_id'][i]} on {out['ds'][i].date()})")
        out[col] = values
    _no_duplicate_dates(out)  # before the rows are sorted: no "sorted by date" warning for a refused frame
    out = _in_date_order(out)
    for uid, rows in out.groupby("unique_id", sort=False):
        check_daily(pd.DatetimeIndex(rows["ds"]), f"series {uid}", FrameError)
    return out


def _no_duplicate_dates(out: pd.DataFrame) -> None:
    """FrameError naming the first series (in the frame's order) with a date twice, and its earliest such
    date; checked before the rows are put in date order (before: a series with a duplicate row out of order
    drew "rows were not in date order: sorted by date", then the error)."""
    twice = out.duplicated(["unique_id", "ds"])
    if not twice.any():
        return
    bad = set(out["unique_id"][twice])
    uid = next(u for u in pd.unique(out["unique_id"]) if u in bad)
    when = out["ds"][twice & (out["unique_id"] == uid)].min().date()
    raise FrameError(duplicate_dates(uid, when))  # on the command line: naming --csv, which reads them


def _named(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its columns of :data:`REQUIRED` and :data:`OPTIONAL` stripped and in lower case (``Y`` is
    ``y``); FrameError when two name the same one."""
    ours: dict[str, object] = {}
    for col in df.columns:
        name = str(col).strip().lower()
        if name in (*REQUIRED, *OPTIONAL):
            if name in ours:
                raise FrameError(f"columns {ours[name]!r} and {col!r} both name {name}; keep one")
            ours[name] = col
    return df.rename(columns={col: name for name, col in ours.items() if col != name})


def _in_date_order(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` with each series' rows in date order (a warning names how many series were not), the series
    in the order they first appear; as it is when already so."""
    late = [uid for uid, ds in out.groupby("unique_id", sort=False)["ds"] if not ds.is_monotonic_increasing]
    if not late:
        return out
    logger.warning("%d series' rows were not in date order (first: %s): sorted by date", len(late), late[0])
    first = {uid: i for i, uid in enumerate(pd.unique(out["unique_id"]))}
    key = out["unique_id"].map(first)
    return (
        out.assign(_key=key)
        .sort_values(["_key", "ds"], kind="stable")
        .drop(columns="_key")
        .reset_index(drop=True)
    )


def _columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as :func:`long_layout` reads it, with the ``unique_id`` or ``ds`` it keeps in its index moved
    into columns (``df.set_index("ds")``, a ``(unique_id, ds)`` MultiIndex, or an unnamed DatetimeIndex
    beside no ``ds`` column: the dates), and its names of :data:`REQUIRED` and :data:`OPTIONAL` as
    :func:`_named` gives them."""
    frame = long_layout(df)
    columns = {str(c).strip().lower() for c in frame.columns}
    levels = [
        n
        for n in frame.index.names
        if n is not None and str(n).strip().lower() in REQUIRED and str(n).strip().lower() not in columns
    ]
    if levels:
        frame = frame.reset_index(level=levels)
    elif "ds" not in columns and isinstance(frame.index, pd.DatetimeIndex) and frame.index.name is None:
        frame = frame.rename_axis("ds").reset_index()
    return _named(frame)


def read_frame(path: str | Path) -> pd.DataFrame:
    """Reads and validates a long table ``unique_id, ds, y`` [+ ``open, high, low, volume``] (any case).

    ``.parquet`` files need the ``[parquet]`` extra (pyarrow); anything else is read as CSV.

    Raises:
        FrameError: a missing, unreadable or empty file, a folder, FIFO or device, or a malformed table
            (each line names the file: ``prices.csv: the frame has no rows; ...``).
    """
    p = user_path(path)
    if not p.exists():
        raise FrameError(f"{p}: no such file; give a CSV or Parquet table with columns unique_id, ds, y")
    try:  # a folder, FIFO, device or empty file: named as such (a folder was 'no such file')
        check_input_file(p, what="CSV or Parquet")
    except DataError as exc:
        raise FrameError(str(exc)) from None
    parquet = p.suffix.lower() == ".parquet"
    df = read_parquet(p, "give unique_id, ds, y columns", FrameError) if parquet else _read_csv(p)
    try:
        return validate_frame(df)  # any case: validate_frame names the columns
    except FrameError as exc:  # the table's own problem (a header without rows...), named with its file
        raise FrameError(f"{p}: {exc}") from None


def _read_csv(p: Path) -> pd.DataFrame:
    try:
        lines = head_lines(p)
        if yfinance_levels(lines):  # yf.download([...]).to_csv(): a series per ticker
            df = pd.read_csv(p, header=[0, 1], index_col=0).rename_axis("Date")
        else:  # a ';' file with decimal commas (1.234,56) too, as --csv reads it (before: one column)
            sep, decimal = csv_dialect(lines)
            df = pd.read_csv(p, sep=sep, dtype=str if decimal == "," else None)
            df = decimal_comma_numbers(df) if decimal == "," else df
    except pd.errors.EmptyDataError:  # only blank lines: pandas' 'No columns to parse from file'
        raise FrameError(
            f"{p} holds no rows or columns (blank lines only); give unique_id, ds, y columns"
        ) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FrameError(f"cannot read {p} as a CSV table ({first}); give unique_id, ds, y columns") from None
    return df.dropna(how="all")  # a spreadsheet's empty rows (",,"), skipped as blank lines are


def _text_ids(uid: pd.Series) -> pd.Series:
    """The ids as text, refusing missing ones and two ids that read as one text (``1`` and ``"1"``)."""
    if uid.isna().any():
        i = int(np.flatnonzero(uid.isna())[0])
        raise FrameError(
            f"column unique_id has {int(uid.isna().sum())} missing id(s) (first: row {i}); give every row "
            "the id of its series"
        )
    uniq = uid.drop_duplicates()
    text = uniq.astype(str)
    twins = text[text.duplicated(keep=False)]
    if not twins.empty:
        a, b = uniq[(text == twins.iloc[0]).to_numpy()].iloc[:2]
        raise FrameError(
            f"column unique_id holds {a!r} ({type(a).__name__}) and {b!r} ({type(b).__name__}), two ids "
            "that read as one; give each series one id of one type"
        )
    return uid.astype(str)


@dataclass(frozen=True)
class FrameDtypes:
    """How a caller's frame holds ``unique_id`` and ``ds``, to give an output's ids and dates back that way.

    Attributes:
        ids: each id as :func:`validate_frame` reads it (text) -> the caller's id.
        id_dtype: the dtype of the caller's ``unique_id`` (int64, str, a categorical...).
        ds_dtype: the dtype of the caller's ``ds`` when it holds timestamps (its unit and time zone); None
            when it holds something else (text dates: an output keeps pandas' own timestamps).
        stamps: the caller's timestamp of each (id as text, day) when they hold times of day (16:00, a
            midnight held in UTC), so an output's dates that are rows of the frame get them back; None else.
        clock: with ``stamps``, each series' time of day on its last row (wall clock), given to the dates
            after it (a forecast's sessions).
        numbers: the dtype of the caller's ``ds`` when it holds ``20100104``-style numbers (integers, or
            whole floats: ``20100104.0``), given back so (floats were given back as timestamps); for
            numbers held in an object column, the dtype of its values (int64, or float64 beside a float).
        boxed: the numbers are held in an object column: given back in one (they came back as timestamps).
    """

    ids: dict[str, object]
    id_dtype: object
    ds_dtype: np.dtype | pd.DatetimeTZDtype | None
    stamps: pd.Series | None = None
    clock: dict[str, pd.Timedelta] | None = None
    numbers: np.dtype | None = None
    boxed: bool = False

    @classmethod
    def of(cls, df: pd.DataFrame) -> FrameDtypes:
        """The dtypes of a frame that :func:`validate_frame` accepted (columns named in any case)."""
        frame = _columns(df)
        uid, ds = frame["unique_id"], frame["ds"]
        uniq = uid.drop_duplicates()
        dated = isinstance(ds.dtype, pd.DatetimeTZDtype) or ds.dtype.kind == "M"
        stamps, clock = None, None
        if dated:  # a frame validate_frame accepted: one row per id and day
            wall = ds.reset_index(drop=True)
            wall = wall.dt.tz_localize(None) if wall.dt.tz is not None else wall
            days = wall.dt.normalize()  # the dates validate_frame read (frame_days)
            if not days.equals(wall):
                text = uid.astype(str).to_numpy()
                stamps = pd.Series(
                    ds.array, pd.MultiIndex.from_arrays([text, days.to_numpy("datetime64[ns]")])
                )
                times = pd.DataFrame({"id": text, "day": days, "time": wall - days}).sort_values("day")
                clock = times.groupby("id")["time"].last().to_dict()
        numeric = pd.api.types.is_numeric_dtype(ds) and not pd.api.types.is_bool_dtype(ds)
        numbers = ds.dtype if numeric else None  # validated: 20100104-style (floats too: a CSV's blank cell)
        held = pd.api.types.infer_dtype(ds) if ds.dtype == object else ""
        boxed = held in ("integer", "floating", "mixed-integer-float")  # numbers in an object column
        if boxed:
            numbers = np.dtype(np.int64 if held == "integer" else np.float64)
        return cls(
            dict(zip(uniq.astype(str).tolist(), uniq.tolist(), strict=True)),
            uid.dtype,
            ds.dtype if dated else None,
            stamps,
            clock,
            numbers,
            boxed,
        )

    def id(self, text: str) -> object:
        """The caller's id of a series named ``text``."""
        return self.ids.get(text, text)

    def restore(self, out: pd.DataFrame, dates: tuple[str, ...] = ("ds",)) -> pd.DataFrame:
        """``out`` with ``unique_id`` and the ``dates`` columns in the caller's dtypes (in place, returned)."""
        text = out["unique_id"].astype(str).to_numpy()
        out["unique_id"] = out["unique_id"].map(self.id).astype(self.id_dtype)
        for col in dates if self.numbers is not None else ():
            days = pd.to_datetime(out[col]).dt.strftime("%Y%m%d").astype(self.numbers)
            out[col] = days.astype(object) if self.boxed else days
        for col in dates if self.ds_dtype is not None else ():
            days = pd.to_datetime(out[col])
            out[col] = _as_dates(days, self.ds_dtype)
            if self.stamps is not None and self.clock is not None:  # a row of the frame: its own stamp
                key = pd.MultiIndex.from_arrays([text, days.to_numpy("datetime64[ns]")])
                later = days + pd.to_timedelta([self.clock.get(t, pd.Timedelta(0)) for t in text])
                out[col] = (
                    self.stamps.reindex(key).set_axis(out.index).fillna(_as_dates(later, self.ds_dtype))
                )
        return out


def _as_dates(col: pd.Series, dtype: np.dtype | pd.DatetimeTZDtype | None) -> pd.Series:
    """Time-zone-naive dates in ``dtype``: the same wall-clock date in its zone (as validate_frame read them)."""
    if not isinstance(dtype, pd.DatetimeTZDtype):
        return col.astype(dtype)
    naive = col.astype(f"datetime64[{dtype.unit}]")  # a midnight that a DST change skips moves forward
    return naive.dt.tz_localize(dtype.tz, ambiguous=np.zeros(len(col), bool), nonexistent="shift_forward")
