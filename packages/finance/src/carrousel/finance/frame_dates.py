"""The ``ds`` column of a caller's frame read as trading days (:func:`frame_days`).

* Timestamps, text dates and ``datetime.date`` objects are read by pandas; text stamps whose UTC offsets
  differ (``-05:00`` and ``-04:00`` across a DST change, which pandas refuses) as their wall-clock times;
  day-first text (``31.12.2012``, ``31/12/12``) when its fields show it, as the price files' reader does;
  numeric text whose day/month order no row settles (``05/01/24``, ``03/02/24``) is its "ambiguous date",
  unless some value is no date at all (``zz``): that value is named first, the real problem; a missing one
  (None, NaN, ``''``, blanks) is "missing date(s)", with the first one's row.
* A time zone is dropped, keeping the wall-clock date in that zone.
* A time of day is dropped, as the price files' reader drops it (a daily bar stamped ``16:00``, or a New
  York midnight held in UTC, ``05:00``); several rows of a series on one day at different times (intraday
  bars) are a :class:`~carrousel.finance.errors.FrameError`, as duplicate dates are (on the command line
  the line names ``finance forecast|backtest --csv``, which reads both: :func:`csv_way`).
* Numbers are no dates: pandas reads them as nanoseconds since 1970 (``0, 1, 2`` and ``20100104`` all fall
  on 1 January 1970). ``20100104``-style integers (CRSP, Stooq) are read as the dates they spell, and so
  are whole floats (``20100104.0``: such a CSV column with a blank cell, which pandas reads as floats); any
  other number is a FrameError.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from carrousel.core.option_names import naming_flags
from carrousel.finance.calendar import field_order, numeric_dates
from carrousel.finance.errors import FrameError

__all__ = ["csv_way", "duplicate_dates", "frame_days"]

_OFFSET = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:[+-]\d{2}:?\d{2}|Z)$"  # a time's UTC offset (or Z)
_ISO = r"\d{4}-\d{2}-\d{2}"  # YYYY-MM-DD: no day/month order to settle (ISO beside others: not dates)
_NOT_DATES = "column ds holds values that are not dates; use e.g. 2010-01-04"


def _blanks_missing(ds: pd.Series) -> pd.Series:
    """``ds`` with blank text (``' '``) as missing, as ``''`` is: a missing date, not "not dates". A column
    of dates or numbers holds no text: returned as it is, not looked at value by value (a Python call per row
    took 0.9 s a million parsed dates, whose conversion takes milliseconds)."""
    if pd.api.types.is_datetime64_any_dtype(ds.dtype) or pd.api.types.is_numeric_dtype(ds.dtype):
        return ds
    if ds.dtype != object and pd.api.types.is_string_dtype(ds.dtype):  # text alone (a CSV's column)
        blank = ds.str.strip().eq("").fillna(False).astype(bool)
    else:  # text among other values (object), or categories
        blank = ds.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    if not blank.any():
        return ds
    ds = ds.copy()
    ds[blank] = None
    return ds


def frame_days(ds: pd.Series, ids: pd.Series) -> pd.Series:
    """The dates of ``ds`` as time-zone-naive midnights (see the module).

    Args:
        ds: ``(n,)`` the caller's dates, in the rows' order.
        ids: ``(n,)`` the series of each row (text), for the intraday check's message.

    Returns:
        ``(n,)`` ``datetime64`` midnights, the same index as ``ds``.

    Raises:
        FrameError: a value that is no date, a missing date, numbers that are no ``YYYYMMDD`` dates, or
            intraday rows.
    """
    ds = _blanks_missing(ds)
    if _numbers(ds):
        days = _number_dates(ds)
    else:
        try:
            days = _dates(ds)
        except FrameError:  # an ambiguous date: its own line
            raise
        except (ValueError, TypeError):
            raise FrameError(_NOT_DATES) from None
    if days.isna().any():
        first = int(np.flatnonzero(days.isna())[0])  # a row's position, as unique_id's "missing id(s)" says
        raise FrameError(
            f"column ds has {int(days.isna().sum())} missing date(s) (first: row {first}); drop those rows"
        )
    days = days.dt.tz_localize(None) if days.dt.tz is not None else days
    midnight = days.dt.normalize()
    if midnight.equals(days):
        return days
    times = pd.DataFrame({"id": ids.to_numpy(), "day": midnight.to_numpy(), "at": days.to_numpy()})
    many = times.groupby(["id", "day"], sort=False)["at"].nunique()
    if (many > 1).any():
        (uid, day), n = many[many > 1].index[0], int(many[many > 1].iloc[0])
        raise FrameError(
            f"series {uid} has {n} rows on {pd.Timestamp(day).date()} at different times of day (intraday "
            "bars); give one row per series and trading day (daily bars: the day's last price as y)"
            + csv_way("combines a day's bars into one daily bar")
        )
    return midnight


def csv_way(what: str) -> str:
    """The clause a ``--data`` refusal ends with on the command line: ``finance forecast|backtest --csv``
    reads the same file, and ``what`` it does with the rows refused (``""`` from Python)."""
    return f", or read the file with finance forecast|backtest --csv, which {what}" if naming_flags() else ""


def duplicate_dates(uid: object, when: object) -> str:
    """The refusal of series ``uid`` with a date twice (``when``: the earliest), naming :func:`csv_way`."""
    return f"series {uid} has duplicate dates (first {when}); keep one row per series and date" + csv_way(
        "keeps each date's last row, with a warning"
    )


def _numbers(ds: pd.Series) -> bool:
    """Whether ``ds`` holds numbers (a numeric column, or numbers in an object column), not dates."""
    if pd.api.types.is_bool_dtype(ds) or pd.api.types.is_datetime64_any_dtype(ds):
        return False
    if pd.api.types.is_numeric_dtype(ds):
        return True
    number = (int, float, np.integer, np.floating)
    return ds.dtype == object and bool(
        ds.map(lambda v: isinstance(v, number) and not isinstance(v, bool | np.bool_)).any()
    )


def _number_dates(ds: pd.Series) -> pd.Series:
    """``20100104``-style integers (or whole floats, ``20100104.0``) as the dates they spell, a missing one
    as NaT; FrameError for any other number."""
    values = pd.to_numeric(ds, errors="coerce")
    whole = values.notna() & np.isfinite(values) & (values == np.floor(values))
    text = values.where(whole, 0).astype(np.int64).astype(str)
    days = pd.to_datetime(text, format="%Y%m%d", errors="coerce").where(whole)
    missing = ds.isna()  # a blank cell: "missing date(s)", not "holds numbers (first: nan)"
    ok = (missing | (whole & days.notna() & text.str.fullmatch(r"(19|20)\d{6}"))).to_numpy()
    if ok.all():
        return days
    first = ds.iloc[int(np.flatnonzero(~ok)[0])]
    shown = repr(first) if isinstance(first, str) else str(first)
    raise FrameError(
        f"column ds holds numbers (first: {shown}), not dates: the forecasts are dated on an exchange "
        "calendar's sessions; give dates (2010-01-04, or 20100104-style integers)"
    )


def _dates(col: pd.Series) -> pd.Series:
    """``col`` as timestamps; stamps whose UTC offsets differ as their wall-clock times, each offset dropped
    as a time zone is dropped.

    Raises:
        FrameError: numeric dates whose day/month order no row settles.
        ValueError, TypeError: a value that is no date.
    """
    text_col = col.dtype == object or pd.api.types.is_string_dtype(col)
    if text_col and field_order(text := col.astype(str).str.strip()) == "day":
        return _day_first(text)  # first: pandas read 05/01/24 month-first beside 31/01/24 day-first
    if text_col and not text.str.match(_ISO).any():  # 05/01/24, 03/02/24: was read month-first without a word
        _refuse_no_dates(col, text)  # 'zz' beside 1/2/2024: that value, not "ambiguous date '1/2/2024'"
        numeric_dates(text, FrameError)  # "ambiguous date", as the price files' reader says
    with warnings.catch_warnings():  # "could not infer format": mixed formats are parsed one by one
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.to_datetime(col)
        except (ValueError, TypeError):
            if not text_col:
                raise
            local = text.str.replace(_OFFSET, r"\1", regex=True)
            if local.equals(text):  # no offset to drop (day-first text was read above): no dates
                raise
            return pd.to_datetime(local, format="mixed")


def _refuse_no_dates(col: pd.Series, text: pd.Series) -> None:
    """FrameError naming the first value of ``col`` (``text``: as text) that is no date read month-first
    or day-first (a missing one is left to "missing date(s)")."""
    read = [pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=d).notna() for d in (False, True)]
    bad = (~read[0] & ~read[1] & col.notna() & (text != "")).to_numpy()  # '' too is a missing date
    if bad.any():
        raise FrameError(_NOT_DATES.replace(";", f" (first: {text.iloc[int(bad.argmax())]!r});", 1))


def _day_first(text: pd.Series) -> pd.Series:
    """Day-first text dates (``31.12.2012``, ``31/12/2012``), as the price files' reader takes them: every
    value ``D/M/Y`` with some first field above 12 and no second one (the reader's
    :func:`~carrousel.finance.calendar.field_order` says ``"day"``, checked by the caller; ValueError: a
    value that is no such date)."""
    days = pd.to_datetime(text, format="mixed", dayfirst=True, errors="coerce")
    if days.isna().any():
        raise ValueError("not dates")
    return days
