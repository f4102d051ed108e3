"""The ``ds`` of a caller's frame: numbers (read by pandas as nanoseconds since 1970) and times of day (daily
bars stamped 16:00, midnights held in UTC), as a notebook or a saved table gives them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.errors import FrameError, PriceDataError
from carrousel.finance.frame_check import read_frame
from carrousel.finance.frames import Forecaster, cross_validation, to_frame, validate_frame
from carrousel.finance.pipeline import forecast
from tests.finance.test_finance_frames import _frame

DAYS = pd.to_datetime(["2010-01-04", "2010-01-04", "2010-01-05", "2010-01-05"]).tolist()


@pytest.mark.parametrize(
    "ds", [[0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0], [1262563200, 1262563200, 1262649600, 1262649600]]
)
def test_numbers_in_ds_are_one_clear_error(ds: list[float]) -> None:
    # before: read as nanoseconds since 1970, every row on 1970-01-01 and the forecasts dated 1970-01-02...
    with pytest.raises(FrameError) as caught:
        validate_frame(_frame().assign(ds=ds))
    message = str(caught.value)
    assert message.startswith(f"column ds holds numbers (first: {ds[0]}), not dates") and "\n" not in message
    assert "give dates (2010-01-04, or 20100104-style integers)" in message


def test_yyyymmdd_integers_are_the_dates_they_spell(tmp_path: Path) -> None:
    # before: 20100104 read as 20,100,104 ns after 1970-01-01 (CRSP and Stooq write dates so)
    numbers = _frame().assign(ds=[20100104, 20100104, 20100105, 20100105])
    assert validate_frame(numbers)["ds"].tolist() == DAYS
    numbers.to_csv(tmp_path / "panel.csv", index=False)  # pd.read_csv reads the column as int64
    assert read_frame(tmp_path / "panel.csv")["ds"].tolist() == DAYS
    with pytest.raises(FrameError, match=r"first: 20101399\), not dates"):
        validate_frame(numbers.assign(ds=[20100104, 20100104, 20101399, 20100105]))


@pytest.mark.parametrize(
    "stamps",
    [
        ["2010-01-04 16:00:00"] * 2 + ["2010-01-05 16:00:00"] * 2,  # a daily bar stamped at the close
        ["2010-01-04 05:00:00+00:00"] * 2 + ["2010-01-05 05:00:00+00:00"] * 2,  # New York midnights in UTC
    ],
)
def test_a_time_of_day_is_dropped_as_the_price_files_drop_it(stamps: list[str]) -> None:
    # before: kept, and the forecast's calendar stopped with exchange_calendars' "Parameter `start` parsed as
    # '2010-01-04 16:00:00' although a Date must have a time component of 00:00" (a ValueError, no FrameError)
    assert validate_frame(_frame().assign(ds=stamps))["ds"].tolist() == DAYS
    assert validate_frame(_frame().assign(ds=pd.to_datetime(stamps)))["ds"].tolist() == DAYS


def test_intraday_rows_are_one_clear_error() -> None:
    bars = pd.DataFrame(
        {
            "unique_id": "A",
            "ds": ["2010-01-04 09:30", "2010-01-04 10:30", "2010-01-05 09:30"],
            "y": [1.0, 2, 3],
        }
    )
    with pytest.raises(FrameError) as caught:
        validate_frame(bars)
    assert str(caught.value) == (
        "series A has 2 rows on 2010-01-04 at different times of day (intraday bars); give one row per series "
        "and trading day (daily bars: the day's last price as y)"
    )


def test_predict_from_utc_stamps_and_yyyymmdd_integers_forecasts_the_same_sessions(
    sample_source: Path, tmp_path: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    forecast(replace(cfg, backtest=replace(cfg.backtest, enabled=False)), model_dir=tmp_path / "m")
    df = to_frame(load_histories(cfg.data))
    model = Forecaster.from_pretrained(tmp_path / "m")
    want = model.predict(df)
    assert want["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2011-01-03", "2011-01-04", "2011-01-05"]
    utc = df.assign(
        ds=(df["ds"] + pd.Timedelta(hours=16)).dt.tz_localize("America/New_York").dt.tz_convert("UTC")
    )
    got = model.predict(utc)  # 21:00 UTC: the New York close; before: a ValueError from exchange_calendars
    assert got["ds"].tolist() == (want["ds"] + pd.Timedelta(hours=21)).dt.tz_localize("UTC").tolist()
    np.testing.assert_array_equal(got["p50"], want["p50"])
    numbers = df.assign(ds=df["ds"].dt.strftime("%Y%m%d").astype(int))
    got = model.predict(numbers)  # before: dated 1970-01-02; the dates given back as the frame holds them
    assert got["ds"].tolist() == [20110103, 20110104, 20110105] and got["ds"].dtype == np.int64
    np.testing.assert_array_equal(got["p50"], want["p50"])


def test_cross_validation_gives_the_frames_own_stamps_back_so_it_merges_on_ds(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    # the README's df.merge(cv, on=["unique_id", "ds"]): with the time of day dropped and not given back, a
    # frame stamped 16:00 (or New York midnights held in UTC) would merge with no row at all, and integer
    # dates given back as timestamps would not merge
    cfg = tiny_config(("AAPL",))
    df = to_frame(load_histories(cfg.data))
    want = cross_validation(df, cfg)
    for stamped in (
        df.assign(ds=df["ds"] + pd.Timedelta(hours=16)),
        df.assign(ds=df["ds"].dt.tz_localize("America/New_York").dt.tz_convert("UTC")),
        df.assign(ds=df["ds"].dt.strftime("%Y%m%d").astype(int)),  # 20100104-style integers
    ):
        cv = cross_validation(stamped, cfg)
        merged = stamped.merge(cv, on=["unique_id", "ds"], suffixes=("", "_cv"))
        assert len(merged) == len(cv) == len(want)
        np.testing.assert_allclose(merged["y"], merged["y_cv"], rtol=1e-12)  # each ds the row of its price
        assert cv["cutoff"].isin(stamped["ds"]).all()
        np.testing.assert_array_equal(cv["p50"], want["p50"])


@pytest.mark.parametrize("form", ["%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y %H:%M"])
def test_day_first_text_dates_are_read_as_the_price_files_read_them(form: str) -> None:
    # before: "column ds holds values that are not dates" for a German or British spreadsheet's dates, which
    # `--csv` reads (pandas guessed month-first from the first value and failed at the 13th)
    days = pd.bdate_range("2010-01-11", periods=10)
    df = pd.DataFrame({"unique_id": "A", "ds": days.strftime(form), "y": np.linspace(10, 11, 10)})
    assert validate_frame(df)["ds"].tolist() == days.tolist()
    mixed = df.assign(ds=[days[0].strftime("%Y-%m-%d"), *df["ds"][1:]])  # ISO beside day-first: no guess
    with pytest.raises(FrameError, match="column ds holds values that are not dates"):
        validate_frame(mixed)


def test_yyyymmdd_whole_floats_are_read_and_given_back_as_the_integers_are(tmp_path: Path) -> None:
    """``20100104.0``: a CSV's YYYYMMDD column with a blank cell, read by pandas as floats. Its dates were
    read, but given back as timestamps (a cross-validation's ds no longer merged with the frame's), and a
    blank date said "holds numbers (first: nan)" where a blank text date says "missing date(s)"."""
    from carrousel.finance.frame_check import FrameDtypes

    floats = _frame().assign(ds=[20100104.0, 20100104.0, 20100105.0, 20100105.0])
    out = validate_frame(floats)
    assert out["ds"].tolist() == DAYS
    back = FrameDtypes.of(floats).restore(out.copy())
    assert back["ds"].tolist() == floats["ds"].tolist() and back["ds"].dtype == np.float64  # before: stamps
    (tmp_path / "panel.csv").write_text("unique_id,ds,y\nA,20100104,10\n,,\nA,20100105,10.5\n")
    assert read_frame(tmp_path / "panel.csv")["ds"].tolist() == DAYS[1:3]  # the empty row dropped
    with pytest.raises(
        FrameError, match=r"^column ds has 1 missing date\(s\) \(first: row 1\); drop those rows$"
    ):
        validate_frame(floats.assign(ds=[20100104.0, np.nan, 20100105.0, 20100105.0]))


@pytest.mark.parametrize("form", ["%d/%m/%y", "%d.%m.%y"])
def test_day_first_dates_with_two_digit_years_are_read_day_first_throughout(form: str) -> None:
    """pandas parses two-digit-year text one value at a time: 05/01/24 month-first (1 May) beside
    31/01/24 day-first, a column of mixed readings without a word. Every value is now read day-first when
    the fields show it (some first field above 12), as the price files' reader reads them."""
    days = pd.bdate_range("2024-01-22", periods=10)  # 22/01/24 ... 02/02/24: first fields above 12 and not
    df = pd.DataFrame({"unique_id": "A", "ds": days.strftime(form), "y": np.linspace(10, 11, 10)})
    assert validate_frame(df)["ds"].tolist() == days.tolist()


@pytest.mark.parametrize("form", ["%d/%m/%y", "%m/%d/%Y", "%d.%m.%Y"])
def test_numeric_dates_no_row_settles_are_refused_as_the_price_files_refuse_them(
    tmp_path: Path, form: str
) -> None:
    """Every first and second field at most 12 (02/01/24 ... 12/01/24): the price files' reader says
    "ambiguous date"; the frames' read them month-first without a word (2 January read as 1 February). Both
    say the same line now, through the one shared reader (calendar.numeric_dates)."""
    from carrousel.finance.data import read_price_csv

    days = pd.bdate_range("2024-01-02", "2024-01-12")
    df = pd.DataFrame({"unique_id": "A", "ds": days.strftime(form), "y": np.linspace(10, 11, len(days))})
    with pytest.raises(FrameError) as caught:
        validate_frame(df)
    path = tmp_path / "prices.csv"
    df.rename(columns={"ds": "Date", "y": "Close"})[["Date", "Close"]].to_csv(path, index=False)
    with pytest.raises(PriceDataError) as price_file:
        read_price_csv(path)
    first = days[0].strftime(form)
    line = (
        f"ambiguous date {first!r} in data row 1 (day-first or month-first?); write every date as YYYY-MM-DD"
    )
    assert str(caught.value) == line and str(price_file.value) == f"{path}: {line}"
    more = pd.bdate_range("2024-01-02", "2024-01-15")  # the 15th: a field above 12 settles the order
    settled = df.reindex(range(len(more))).assign(unique_id="A", ds=more.strftime(form), y=1.0)
    assert validate_frame(settled)["ds"].tolist() == more.tolist()


@pytest.mark.parametrize("form", ["%Y/%m/%d", "%Y.%m.%d", "%Y/%m/%d %H:%M"])
def test_year_first_dates_are_no_day_month_puzzle_for_either_reader(tmp_path: Path, form: str) -> None:
    """``2010/01/04`` is year-month-day: the price files' reader called it an "ambiguous date" (pandas'
    day-first reading gave 1 April); the frames' read it, and still do through the shared reader."""
    from carrousel.finance.data import read_price_csv

    days = pd.bdate_range("2010-01-04", "2010-01-12")
    df = pd.DataFrame({"unique_id": "A", "ds": days.strftime(form), "y": np.linspace(10, 11, len(days))})
    assert validate_frame(df)["ds"].tolist() == days.tolist()
    path = tmp_path / "prices.csv"
    df.rename(columns={"ds": "Date", "y": "Close"})[["Date", "Close"]].to_csv(path, index=False)
    assert read_price_csv(path).index.tolist() == days.tolist()  # before: "ambiguous date '2010/01/04'"


@pytest.mark.parametrize(
    ("ds", "kind"),
    [
        ([20100104, 20100104, 20100105, 20100105], int),
        ([20100104.0, 20100104.0, 20100105.0, 20100105.0], float),
        ([np.int64(20100104), 20100104, 20100105, 20100105], int),
    ],
)
def test_yyyymmdd_numbers_in_an_object_column_are_given_back_as_numbers(ds: list[float], kind: type) -> None:
    """An object column of 20100104-style numbers (pd.Series(..., dtype=object), a frame built row by row)
    was read as the dates it spells but given back as timestamps, where an int64 or float64 column gets its
    numbers back: a cross-validation's ds no longer merged with the frame's. Now the numbers, in an object
    column, as the caller's."""
    from carrousel.finance.frame_check import FrameDtypes

    held = _frame().assign(ds=pd.Series(ds, dtype=object))
    out = validate_frame(held)
    assert out["ds"].tolist() == DAYS
    back = FrameDtypes.of(held).restore(out.copy())
    assert back["ds"].dtype == object and back["ds"].tolist() == held["ds"].tolist()  # before: stamps
    assert {type(v) for v in back["ds"]} == {kind}
    assert len(held.merge(back, on=["unique_id", "ds"])) == len(held)


@pytest.mark.parametrize("ds", [["1/2/2024", "zz"], ["zz", "1/2/2024"], ["1/13/2024", "zz"]])
def test_a_value_that_is_no_date_is_named_not_a_neighbours_ambiguity(ds: list[str]) -> None:
    """``["1/2/2024", "zz"]`` said "ambiguous date '1/2/2024' ... write every date as YYYY-MM-DD": a fix for
    the wrong value (a lone 1/2/2024 is ambiguous, but 'zz' is the problem). Now 'zz' is named, as the
    column whose month-first order a row settles (1/13/2024) already said it is no date."""
    df = pd.DataFrame({"unique_id": "A", "ds": ds, "y": [10.0, 10.5]})
    with pytest.raises(FrameError) as caught:
        validate_frame(df)
    assert str(caught.value) == "column ds holds values that are not dates (first: 'zz'); use e.g. 2010-01-04"


@pytest.mark.parametrize(
    ("dates", "line"),
    [
        (["1/2/2024", "zz"], "unreadable date 'zz' in data row 2; use YYYY-MM-DD dates"),
        (["1/2/2024", "zz", "1/13/2024"], "unreadable date 'zz' in data row 2; use YYYY-MM-DD dates"),
        (["1/2/2024", "", "1/3/2024"], "missing date in data row 2; fill in the date or delete the row"),
        (["1/2/2024", "", "1/13/2024"], "missing date in data row 2; fill in the date or delete the row"),
        (
            ["2024-01-02", "", "2024-01-03", ""],  # was "unreadable date 'nan'"
            "missing date in data row 2 (and 1 more, through data row 4); fill in the date or delete the row",
        ),
    ],
)
def test_the_price_files_reader_names_a_bad_or_blank_date_not_a_neighbours_ambiguity(
    tmp_path: Path, dates: list[str], line: str
) -> None:
    """The price files' reader said "ambiguous date '1/2/2024'" beside 'zz' or a blank cell (which the shared
    calendar.numeric_dates saw as the text 'nan', no date, so no row settled the order): a fix for the
    wrong value. Now it names the value that is no date, or the row that has none."""
    from carrousel.finance.data import read_price_csv

    path = tmp_path / "prices.csv"
    path.write_text("Date,Close\n" + "".join(f"{d},{10 + i}\n" for i, d in enumerate(dates)))
    with pytest.raises(PriceDataError) as caught:
        read_price_csv(path)
    assert str(caught.value) == f"{path}: {line}"


@pytest.mark.parametrize("blank", [None, np.nan, "", "  ", "\t"])
def test_a_missing_ds_is_named_not_a_neighbours_ambiguity(blank: object) -> None:
    """``ds`` ``["1/2/2024", None]`` said "ambiguous date '1/2/2024'" (None read as the text 'None', so no
    row settled the order); an empty text said it was no date. Now both are missing dates, with the row.
    Fails on main for ``"  "`` and a tab: a whitespace-only cell said "holds values that are not dates"."""
    df = pd.DataFrame({"unique_id": "A", "ds": ["1/2/2024", blank], "y": [10.0, 10.5]})
    with pytest.raises(FrameError) as caught:
        validate_frame(df)
    assert str(caught.value) == "column ds has 1 missing date(s) (first: row 1); drop those rows"


def test_a_whitespace_only_ds_in_an_iso_table_is_a_missing_date() -> None:
    """Fails on main ("column ds holds values that are not dates"): a blank cell of spaces is a missing
    date, as an empty one is."""
    df = pd.DataFrame({"unique_id": "A", "ds": ["2024-01-02", "   ", "2024-01-04"], "y": [10.0, 10.5, 11.0]})
    with pytest.raises(FrameError) as caught:
        validate_frame(df)
    assert str(caught.value) == "column ds has 1 missing date(s) (first: row 1); drop those rows"
