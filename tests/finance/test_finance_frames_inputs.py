"""The DataFrame API as a notebook feeds it: dates in the index, upper-case column names, true/false prices, a
close-only frame (the loaders' warning, once per series)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.errors import FrameError
from carrousel.finance.frame_check import read_frame
from carrousel.finance.frames import frame_series, to_frame, validate_frame
from tests.finance.test_finance_frames import _frame

CLOSES_ALONE = "forecasts from the closes alone"  # the close-only CSV's warning (data.warn_absent_inputs)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda df: df.drop(columns="y").set_index("ds"), "lacks column(s) y; it needs unique_id, ds, y (one row per series and "
         "date), it has ds, unique_id"),
        (lambda df: df.assign(Y=df["y"]), "columns 'y' and 'Y' both name y; keep one"),
        # before: True was read as a price of 1.0
        (lambda df: df.assign(y=[True, True, True, True]), "column y holds true/false values, not prices"),
        (lambda df: df.assign(y=pd.Series([True, 20.0, 10.5, 19.5], dtype=object)), "column y holds true/false"),
        (lambda df: df.assign(volume=[True, False, True, True]), "column volume holds true/false values, not volumes"),
        # before: 1 and "1" became one series, a missing id a series of its own
        (lambda df: df.assign(unique_id=pd.Series([1, "1", 1, "1"], dtype=object)),
         "column unique_id holds 1 (int) and '1' (str), two ids that read as one; give each series one id"),
        (lambda df: df.assign(unique_id=["A", None, "A", None]),
         "column unique_id has 2 missing id(s) (first: row 1); give every row the id of its series"),
    ],
)  # fmt: skip
def test_a_frame_shaped_by_pandas_habits_is_one_clear_error(
    change: Callable[[pd.DataFrame], pd.DataFrame], needle: str
) -> None:
    with pytest.raises(FrameError) as caught:
        validate_frame(change(_frame()))
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_upper_case_column_names_are_read_as_read_frame_reads_them() -> None:
    # before: "the frame lacks column(s) unique_id, ds, y" although read_frame lower-cases a file's names
    df = (
        _frame().rename(columns={"unique_id": "Unique_ID", "ds": " DS", "y": "Y"}).assign(Volume=[1, 2, 3, 4])
    )
    out = validate_frame(df)
    pd.testing.assert_frame_equal(out, validate_frame(_frame().assign(volume=[1, 2, 3, 4])))


@pytest.mark.parametrize("form", ["absent", "equal to y"])
def test_a_close_only_frame_gets_the_loaders_warning_once_per_series(
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
    caplog: pytest.LogCaptureFixture,
    form: str,
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    df = to_frame(load_histories(cfg.data)).drop(columns="volume")
    if form == "absent":
        df = df.drop(columns=["open", "high", "low"])
    else:
        df = df.assign(open=df["y"], high=df["y"], low=df["y"])
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(df, cfg)
    lines = [r.getMessage() for r in caplog.records if CLOSES_ALONE in r.getMessage()]
    assert [line.split(":")[0] for line in lines] == ["AAPL", "MSFT"]
    assert all("no open/high/low" in line and "no volume" in line for line in lines)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(to_frame(load_histories(cfg.data)), cfg)  # full OHLCV: no warning
    assert CLOSES_ALONE not in caplog.text


def test_a_close_only_panel_names_five_series_then_counts_the_rest(
    sample_source: Path,
    tiny_config: Callable[..., FinanceConfig],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # before: one four-line warning per series, 500 of them for a 500-series close-only panel
    cfg = tiny_config(("AAPL",))
    one = to_frame(load_histories(cfg.data))[["unique_id", "ds", "y"]]
    panel = pd.concat([one.assign(unique_id=f"S{i}") for i in range(8)], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(panel, cfg)
    lines = [r.getMessage() for r in caplog.records if "closes alone" in r.getMessage()]
    assert [line.split(":")[0] for line in lines[:5]] == ["S0", "S1", "S2", "S3", "S4"]
    assert lines[5:] == [
        "3 more series have no open/high/low or no volume either; they too are forecast from the closes alone"
    ]


def test_a_table_files_empty_spreadsheet_rows_are_skipped(tmp_path: Path) -> None:
    """``finance predict --data`` / ``train-global --data``: a CSV saved from a spreadsheet keeps its empty
    rows (``,,``); they were "column unique_id has 1 missing id(s)". A row with some field still counts."""
    frame = _frame()
    path = tmp_path / "panel.csv"
    lines = frame.to_csv(index=False).splitlines()
    path.write_text("\n".join([*lines[:2], ",,", *lines[2:], ",,", ""]) + "\n")
    got = read_frame(path)
    assert (
        got["y"].tolist() == frame["y"].tolist() and got["unique_id"].tolist() == frame["unique_id"].tolist()
    )
    path.write_text("\n".join([*lines, ",2020-01-06,3.0"]) + "\n")
    with pytest.raises(FrameError, match="missing id"):
        read_frame(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.set_index("ds"),
        lambda df: df.set_index(["unique_id", "ds"]),
        lambda df: df.set_index("unique_id"),
        lambda df: (
            df.assign(ds=pd.to_datetime(df["ds"])).set_index("ds").rename_axis(None)
        ),  # an unnamed index
        lambda df: df.set_index("ds").rename_axis(" DS"),
    ],
)
def test_ids_and_dates_in_the_index_are_read_as_columns(
    change: Callable[[pd.DataFrame], pd.DataFrame],
) -> None:
    # before: "the frame lacks column(s) ds ...: call df.reset_index() first", although long_layout reads a
    # Date/Ticker index of a yfinance-named table
    pd.testing.assert_frame_equal(validate_frame(change(_frame())), validate_frame(_frame()))


def test_prices_written_as_text_are_read_as_the_csv_files_are() -> None:
    # before: "column y has 4 missing, non-numeric or infinite value(s)" (the object column of
    # pd.read_csv(..., dtype=str) or of a scraped table)
    text = _frame().assign(
        y=["1,234.5", "$20.00", "10.5", " 19.5 "],
        volume=pd.Series(["12,345,678", "1.5M", 3, None], dtype=object),
    )
    out = validate_frame(text)
    assert out["y"].tolist() == [1234.5, 20.0, 10.5, 19.5]
    assert out["volume"].tolist()[:3] == [12345678.0, 1500000.0, 3.0] and np.isnan(out["volume"].iloc[3])


def test_a_price_that_is_no_number_is_named_with_its_text() -> None:
    with pytest.raises(
        FrameError,
        match=r"column y has 1 missing, non-numeric or infinite value\(s\) \(first: "
        r"series B on 2010-01-04: 'n\.a\. price'\)",
    ):
        validate_frame(_frame().assign(y=pd.Series([10.0, "n.a. price", 10.5, 19.5], dtype=object)))


def test_stamps_with_utc_offsets_across_a_dst_change_are_read_as_their_local_dates(tmp_path: Path) -> None:
    # before: "column ds holds values that are not dates" (pandas refuses mixed offsets): yfinance's daily
    # stamps are local midnights, -05:00 in winter and -04:00 in summer; Tokyo's +09:00 keeps its own date
    stamps = ["2010-03-12 00:00:00-05:00", "2010-03-15 00:00:00-04:00", "2010-03-16 00:00:00-04:00"]
    df = pd.DataFrame({"unique_id": "A", "ds": stamps, "y": [10.0, 10.5, 11.0]})
    df.to_csv(tmp_path / "panel.csv", index=False)
    want = pd.to_datetime(["2010-03-12", "2010-03-15", "2010-03-16"])
    for frame in (validate_frame(df), read_frame(tmp_path / "panel.csv")):
        assert frame["ds"].tolist() == want.tolist()
    tokyo = df.assign(ds=[s[:19] + "+09:00" for s in stamps[:2]] + ["2010-03-16T00:00:00Z"])
    assert validate_frame(tokyo)["ds"].tolist() == want.tolist()


def test_rows_out_of_date_order_are_sorted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # before: "series A's dates are not in increasing order ...; sort the frame", although --csv sorts a
    # file's rows with a warning; the series keep the order they first appear in
    shuffled = _frame().iloc[[3, 2, 1, 0]]
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        out = validate_frame(shuffled)
    want = validate_frame(_frame().iloc[[1, 3, 0, 2]])  # B first, as in the shuffled frame
    pd.testing.assert_frame_equal(out, want)
    assert "2 series' rows were not in date order (first: B): sorted by date" in caplog.text


@pytest.mark.parametrize("col", ["open", "high", "low", "volume"])
def test_text_that_is_no_number_in_an_optional_column_is_named(col: str, tmp_path: Path) -> None:
    # before: the cell became NaN without a word (an unknown input), while the same cell in y is an error
    cells = pd.Series([10.0, "n.a. price", 10.5, 19.5], dtype=object)
    with pytest.raises(FrameError) as err:
        validate_frame(_frame().assign(**{col: cells}))
    assert str(err.value) == (
        f"column {col} has 1 non-numeric or infinite value(s) (first: series B on 2010-01-04: 'n.a. price'); "
        "give numbers, or leave a cell empty where it is unknown"
    )
    path = tmp_path / "panel.csv"  # the same cell in a CSV table (read_frame: pd.read_csv, then the checks)
    _frame().assign(**{col: cells}).to_csv(path, index=False)
    with pytest.raises(FrameError, match=rf"column {col} has 1 non-numeric .*'n\.a\. price'"):
        read_frame(path)


def test_missing_cells_of_an_optional_column_stay_unknown() -> None:
    # blank, N/A, #N/A, null and (in a volume) '-' are missing-value marks, as the price files' reader takes
    # them: NaN (an unknown input), no error; text numbers are still read
    marks = pd.Series(["", " N/A ", "#N/A", "1,234.5"], dtype=object)
    out = validate_frame(
        _frame().assign(open=marks, volume=pd.Series(["-", "null", None, "2K"], dtype=object))
    )
    assert out["open"].isna().tolist() == [True, True, True, False] and out["open"].iloc[3] == 1234.5
    assert out["volume"].isna().tolist() == [True, True, True, False] and out["volume"].iloc[3] == 2000.0
    with pytest.raises(FrameError, match=r"column open has 1 non-numeric .*: '-'"):
        validate_frame(_frame().assign(open=pd.Series(["-", 20.0, 10.5, 19.5], dtype=object)))


def test_a_frame_of_unadjusted_prices_warns_of_the_split_jump(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig], caplog: pytest.LogCaptureFixture
) -> None:
    # before: a frame's y falling to half overnight (Close instead of Adj Close across a 2:1 split) was read
    # without a word as a 50% fall, in the network's training targets and the backtest's scores, while the
    # price files' loader repairs such a jump and says so
    cfg = tiny_config(("AAPL", "MSFT"))
    df = to_frame(load_histories(cfg.data))
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(df, cfg)  # adjusted prices: no such warning
    assert "unadjusted split" not in caplog.text
    raw = df.copy()
    before = (raw["unique_id"] == "AAPL") & (raw["ds"] < "2009-06-01")
    raw.loc[before, ["y", "open", "high", "low"]] *= 2.0  # as if AAPL split 2:1 on 2009-06-01, unadjusted
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        frame_series(raw, cfg)
    lines = [r.getMessage() for r in caplog.records if "unadjusted split" in r.getMessage()]
    assert lines == [
        "AAPL: y falls to 1/2 overnight on 2009-06-01, as at an unadjusted split; the network and the scores "
        "read it as a real move: give the adjusted close as y (or rescale the rows before it)"
    ]
