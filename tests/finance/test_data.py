"""Price sources: CSV variants, the sample, and Yahoo through recorded yfinance responses (no network)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import carrousel.finance.data as data_mod
from carrousel.core.errors import MissingExtraError
from carrousel.core.option_names import flags_named
from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_histories, load_history, read_price_csv
from carrousel.finance.errors import PriceDataError, TickerNotFoundError, YahooUnreachableError
from carrousel.finance.price_columns import normalise_columns


def _yf_frame(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """A frame in the exact layout of ``yf.download(..., auto_adjust=False, multi_level_index=True)``."""
    cols = {"Adj Close": "adj_close", "Close": "close", "High": "high", "Low": "low", "Open": "open",
            "Volume": "volume"}  # fmt: skip
    df = pd.DataFrame(
        {k: raw[v].to_numpy() for k, v in cols.items()}, index=pd.DatetimeIndex(raw.index, name="Date")
    )
    df.columns = pd.MultiIndex.from_tuples([(c, ticker) for c in df.columns], names=["Price", "Ticker"])
    return df


def test_csv_variants_give_the_same_prices(tmp_path: Path, raw_aapl: pd.DataFrame) -> None:
    ref = load_history(
        "AAPL", DataConfig(source="csv", csv_path=str(_write_yf_csv(tmp_path, raw_aapl)), min_history=100)
    )
    variants = {
        "lower.csv": raw_aapl.rename_axis("date").reset_index(),  # lower case, adj_close
        "spaces.csv": raw_aapl.rename(columns={"adj_close": "Adj Close", "close": "CLOSE"})
        .rename_axis("Date")
        .reset_index()
        .assign(Dividends=0.0, Extra="x"),  # any case, extra columns ignored
    }
    for name, frame in variants.items():
        frame.to_csv(tmp_path / name, index=False)
        hist = load_history("AAPL", DataConfig(source="csv", csv_path=str(tmp_path / name), min_history=100))
        np.testing.assert_allclose(hist.frame.to_numpy(), ref.frame.to_numpy(), rtol=1e-9)
        assert hist.source == "csv" and name in hist.label
    # without an adjusted column the prices are used as they are (no split in this slice)
    raw_aapl.drop(columns="adj_close").rename_axis("Date").to_csv(tmp_path / "noadj.csv")
    hist = load_history(
        "AAPL", DataConfig(source="csv", csv_path=str(tmp_path / "noadj.csv"), min_history=100)
    )
    np.testing.assert_allclose(hist.frame["close"].to_numpy(), raw_aapl["close"].to_numpy())


def _write_yf_csv(folder: Path, raw: pd.DataFrame) -> Path:
    """``yf.download(...).to_csv()``: the three-line multi-index header yfinance users save."""
    path = folder / "yf.csv"
    _yf_frame(raw, "AAPL").to_csv(path)
    return path


def test_yfinance_csv_header_is_read(tmp_path: Path, raw_aapl: pd.DataFrame) -> None:
    path = _write_yf_csv(tmp_path, raw_aapl)
    assert path.read_text().splitlines()[1].startswith("Ticker")
    df = read_price_csv(path)
    assert len(df) == len(raw_aapl)
    np.testing.assert_allclose(df["adj_close"].to_numpy(), raw_aapl["adj_close"].to_numpy())


def test_csv_errors_are_clear(tmp_path: Path, stocks_csv: Path) -> None:
    with pytest.raises(PriceDataError, match="not found"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(tmp_path / "missing.csv")))
    (tmp_path / "bad.csv").write_text("when,price\n2020-01-01,1\n")
    with pytest.raises(PriceDataError, match="lacks column"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(tmp_path / "bad.csv")))
    with pytest.raises(TickerNotFoundError, match="ZZZZ is not in"):
        load_history("ZZZZ", DataConfig(source="csv", csv_path=str(stocks_csv)))


def test_csv_edge_cases(tmp_path: Path, raw_aapl: pd.DataFrame) -> None:
    one = tmp_path / "aapl.csv"
    raw_aapl.rename_axis("Date").to_csv(one)
    # one stock's file asked for two symbols would silently serve the same prices twice
    with pytest.raises(PriceDataError, match="no Ticker column"):
        load_histories(DataConfig(tickers=("AAPL", "MSFT"), source="csv", csv_path=str(one), min_history=100))
    (tmp_path / "head.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    with pytest.raises(PriceDataError, match="no price rows"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(tmp_path / "head.csv")))
    semi = tmp_path / "semi.csv"
    raw_aapl.rename_axis("Date").to_csv(semi, sep=";")
    np.testing.assert_allclose(read_price_csv(semi)["close"].to_numpy(), raw_aapl["close"].to_numpy())
    bad = raw_aapl.rename_axis("Date").reset_index().astype({"Date": str})
    bad.loc[10, "Date"] = "garbage"
    bad.to_csv(tmp_path / "date.csv", index=False)
    with pytest.raises(PriceDataError, match="unreadable date 'garbage' in data row 11"):
        read_price_csv(tmp_path / "date.csv")


def test_sample_source_is_labelled(sample_source: Path) -> None:
    hists = load_histories(DataConfig(tickers=("aapl", "MSFT"), source="sample", min_history=100))
    assert [h.ticker for h in hists] == ["AAPL", "MSFT"]
    assert all(h.source == "sample" and "SAMPLE DATA" in h.label for h in hists)
    assert hists[0].start == pd.Timestamp("2007-01-03") and hists[0].end == pd.Timestamp("2010-12-31")
    with pytest.raises(TickerNotFoundError, match="GOOGL is not in the sample"):
        load_history("GOOGL", DataConfig(source="sample"))


def test_start_end_filter(sample_source: Path) -> None:
    h = load_history(
        "MSFT", DataConfig(source="sample", start="2009-01-01", end="2009-12-31", min_history=100)
    )
    assert h.start.year == 2009 and h.end.year == 2009 and len(h.frame) == 252


class _FakeYahoo:
    """Replays a recorded history through ``yfinance.download``; records each call's arguments."""

    def __init__(self, raw: pd.DataFrame, ticker: str = "AAPL") -> None:
        self.full = _yf_frame(raw, ticker)
        self.calls: list[dict[str, Any]] = []
        self.until: pd.Timestamp | None = None  # pretend "today" is this date

    def __call__(self, tickers: str, **kwargs: Any) -> pd.DataFrame:
        self.calls.append({"ticker": tickers, **kwargs})
        if tickers != "AAPL":
            return self.full.iloc[:0]
        df = self.full
        if kwargs.get("start"):
            df = df[df.index >= pd.Timestamp(kwargs["start"])]
        if self.until is not None:
            df = df[df.index <= self.until]
        return df


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch, raw_aapl: pd.DataFrame) -> _FakeYahoo:
    import yfinance

    fake = _FakeYahoo(raw_aapl)
    monkeypatch.setattr(yfinance, "download", fake)
    monkeypatch.setattr(data_mod, "yahoo_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(data_mod, "_is_fresh", lambda last, calendar: False)
    return fake


def test_yahoo_download_and_incremental_cache(
    tmp_path: Path, fake_yahoo: _FakeYahoo, raw_aapl: pd.DataFrame
) -> None:
    cfg = DataConfig(source="auto", cache_dir=str(tmp_path), min_history=100)
    fake_yahoo.until = pd.Timestamp("2010-06-30")
    first = load_history("AAPL", cfg)
    assert first.source == "yahoo" and first.end == pd.Timestamp("2010-06-30")
    assert fake_yahoo.calls[-1]["period"] == "max" and fake_yahoo.calls[-1]["auto_adjust"] is False
    assert (tmp_path / "AAPL.csv").exists() and (tmp_path / "AAPL.json").exists()
    fake_yahoo.until = None
    second = load_history("AAPL", cfg)
    assert fake_yahoo.calls[-1]["start"] == "2010-06-20"  # only the tail is downloaded again
    assert second.end == pd.Timestamp("2010-12-31") and len(second.frame) == len(raw_aapl)
    full = load_history(
        "AAPL", DataConfig(source="csv", csv_path=str(tmp_path / "AAPL.csv"), min_history=100)
    )
    np.testing.assert_allclose(full.frame.to_numpy(), second.frame.to_numpy())


def test_fresh_cache_is_used_without_download(
    tmp_path: Path, fake_yahoo: _FakeYahoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = DataConfig(source="auto", cache_dir=str(tmp_path), min_history=100)
    load_history("AAPL", cfg)
    n = len(fake_yahoo.calls)
    monkeypatch.setattr(data_mod, "_is_fresh", lambda last, calendar: True)
    hist = load_history("AAPL", cfg)
    assert len(fake_yahoo.calls) == n and hist.source == "cache"
    load_history("AAPL", DataConfig(source="yahoo", cache_dir=str(tmp_path), min_history=100))
    assert len(fake_yahoo.calls) == n + 1  # --source yahoo always asks Yahoo


def test_unknown_ticker_on_yahoo(tmp_path: Path, fake_yahoo: _FakeYahoo) -> None:
    with pytest.raises(TickerNotFoundError, match="no prices for NOPE"):
        load_history("NOPE", DataConfig(source="yahoo", cache_dir=str(tmp_path)))


def test_unreachable_yahoo_says_how_to_proceed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    def offline(*args: Any, **kwargs: Any) -> pd.DataFrame:
        raise ConnectionError("Failed to resolve 'query2.finance.yahoo.com'")

    monkeypatch.setattr(yfinance, "download", offline)
    monkeypatch.setattr(data_mod, "yahoo_reachable", lambda timeout=3.0: False)
    with pytest.raises(YahooUnreachableError) as info:
        load_history("AAPL", DataConfig(source="auto", cache_dir=str(tmp_path)))
    msg = str(info.value)
    assert "unreachable" in msg and "\n" not in msg
    # a Python caller reads its own names (on main: --source sample, --source csv --csv PATH, the CLI's)
    assert "use source='sample' for the bundled" in msg, msg
    assert "or source='csv', csv_path='PATH' for your own file" in msg, msg
    assert "--" not in msg, msg
    with flags_named(), pytest.raises(YahooUnreachableError) as info:  # a command's body
        load_history("AAPL", DataConfig(source="auto", cache_dir=str(tmp_path)))
    msg = str(info.value)
    assert "use --source sample for the bundled" in msg and "--source csv --csv PATH for your" in msg, msg
    stale = tmp_path / "AAPL.csv"  # a cache left by an earlier run: named as each caller gives a file
    stale.touch()
    cfg = DataConfig(source="yahoo", cache_dir=str(tmp_path))
    assert f"(a stale cache exists: source='csv', csv_path='{stale}')" in data_mod._unreachable_message(
        "AAPL", cfg
    )
    with flags_named():
        assert f"(a stale cache exists: --source csv --csv {stale})" in data_mod._unreachable_message(
            "AAPL", cfg
        )


def test_yahoo_without_yfinance_names_source_as_the_caller_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The missing extra's purpose read 'live Yahoo data (--source yahoo)' from Python too (on main); now
    source='yahoo' from Python, --source yahoo in a command."""
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import yfinance now fails as if not installed
    cfg = DataConfig(source="yahoo", cache_dir=str(tmp_path))
    with pytest.raises(MissingExtraError) as python:
        load_history("AAPL", cfg)
    assert str(python.value).startswith("live Yahoo data (source='yahoo') needs the yfinance"), python.value
    assert "pip install 'carrousel-finance[yahoo]'" in str(python.value) and "--" not in str(python.value)
    with flags_named(), pytest.raises(MissingExtraError) as command:
        load_history("AAPL", cfg)
    assert str(command.value).startswith("live Yahoo data (--source yahoo) needs the yfinance"), command.value


def test_dates_keep_the_exchange_day_with_time_zones() -> None:
    idx = pd.date_range("2024-01-04", periods=3, freq="B", tz="Asia/Tokyo", name="Date")
    df = normalise_columns(pd.DataFrame({"Close": [1.0, 2.0, 3.0]}, index=idx))
    assert [str(d.date()) for d in df.index] == ["2024-01-04", "2024-01-05", "2024-01-08"]
    text = pd.DataFrame({"Date": ["2024-03-08 00:00:00-05:00", "2024-03-11 00:00:00-04:00"], "Close": [1, 2]})
    assert [str(d.date()) for d in normalise_columns(text).index] == ["2024-03-08", "2024-03-11"]


@pytest.mark.parametrize("layout", ["%m/%d/%Y", "%d.%m.%Y", "%d/%m/%y"])
def test_numeric_dates_settled_by_the_column_are_read(
    tmp_path: Path, raw_aapl: pd.DataFrame, layout: str
) -> None:
    """Spreadsheet dates (``1/4/1999``, as arch's S&P 500 file and US Excel write them) were refused as
    ambiguous at the first row with both fields <= 12, though later rows (``12/28/2018``) settle the order;
    now the column decides, and a column that never settles it is still an error."""
    frame = raw_aapl.rename_axis("Date").reset_index()
    path = tmp_path / "dates.csv"
    frame.assign(Date=frame["Date"].dt.strftime(layout)).to_csv(path, index=False)
    got = read_price_csv(path)
    assert got.index.equals(pd.DatetimeIndex(raw_aapl.index))
    first = frame.head(8).assign(
        Date=frame["Date"].head(8).dt.strftime(layout)
    )  # 2000-03-01..: never settled
    first.to_csv(path, index=False)
    with pytest.raises(PriceDataError, match="ambiguous date"):
        read_price_csv(path)


def test_fred_dot_is_a_missing_value(tmp_path: Path, raw_aapl: pd.DataFrame) -> None:
    """FRED's CSVs (fredgraph.csv: DATE, DCOILWTICO) mark a missing value with '.'; it was "'.' is not a
    number". It is a missing close now (the row dropped with a note); other text is still an error."""
    frame = raw_aapl.rename_axis("Date").reset_index()[["Date", "close"]].astype({"close": str})
    frame.loc[5, "close"] = "."
    path = tmp_path / "fred.csv"
    frame.to_csv(path, index=False)
    got = read_price_csv(path)
    assert (
        len(got) == len(frame)
        and np.isnan(got["close"].iloc[5])
        and got["close"].notna().sum() == len(frame) - 1
    )
    frame.loc[5, "close"] = ".5x"
    frame.to_csv(path, index=False)
    with pytest.raises(PriceDataError, match=r"'\.5x' is not a number"):
        read_price_csv(path)


def test_unknown_ticker_names_twenty_and_counts_the_rest(tmp_path: Path) -> None:
    # before: a CSV of 22 symbols was said to hold T00 ... T19, as if those were all
    rows = [f"2024-01-0{d},T{i:02d},1,1,1,1,1" for i in range(22) for d in (2, 3)]
    (tmp_path / "many.csv").write_text("\n".join(["Date,Ticker,Open,High,Low,Close,Volume", *rows]) + "\n")
    with pytest.raises(TickerNotFoundError, match=r"; it holds T00, T01, .*, T19 and 2 more$"):
        load_history("ZZZZ", DataConfig(source="csv", csv_path=str(tmp_path / "many.csv")))


def test_spreadsheet_rows_with_every_field_empty_are_not_prices(
    tmp_path: Path, raw_aapl: pd.DataFrame
) -> None:
    """A spreadsheet saved as CSV keeps the empty rows it once had (``,,,,,,``), at the end or between the
    data; they were "unreadable date nan in data row N; use YYYY-MM-DD dates". They are skipped as blank
    lines are; a row with a date and no price is still dropped with its note, a price without a date still
    an error."""
    path = tmp_path / "excel.csv"
    frame = raw_aapl.rename_axis("Date").reset_index()
    text = frame.to_csv(index=False)
    lines = text.splitlines()
    empty = "," * (len(frame.columns) - 1)
    path.write_text("\n".join([*lines[:50], empty, *lines[50:], empty, empty, ""]) + "\n")
    got = read_price_csv(path)
    assert got.index.equals(pd.DatetimeIndex(raw_aapl.index))
    np.testing.assert_allclose(got["close"].to_numpy(), raw_aapl["close"].to_numpy())
    path.write_text("\n".join([*lines, "," + lines[-1].split(",", 1)[1]]) + "\n")  # a price, no date
    with pytest.raises(
        PriceDataError, match=f"missing date in data row {len(lines)};"
    ):  # was unreadable 'nan'
        read_price_csv(path)


def test_a_series_traded_on_days_the_calendar_is_closed_is_warned_with_the_fix(
    tmp_path: Path, raw_aapl: pd.DataFrame, stocks_csv: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A series with a row for every day (crypto, some FX) was forecast on XNYS sessions with one info line:
    its step 4 of 5 labelled Monday for what the network learned as Saturday. Now a warning names the share
    of rows on closed days and the calendar to set; a series on the calendar gets none."""
    frame = raw_aapl.rename_axis("Date").reset_index().head(400)
    frame["Date"] = pd.date_range("2015-01-01", periods=len(frame), freq="D")
    path = tmp_path / "btc.csv"
    frame.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):  # XNYS set (auto: 24/7, no warning)
        load_history("BTC", DataConfig(source="csv", csv_path=str(path), calendar="XNYS"))
    lines = [r.getMessage() for r in caplog.records if "closed" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0], lines  # before: no warning (an info line)
    assert lines[0].startswith("BTC: 125 of 400 rows (31%) fall on days XNYS is closed")
    # from Python the setting as the caller set it (on main: --calendar and a --config file, the CLI's)
    assert 'set its calendar with data.calendar: "24/7"' in lines[0] and "--" not in lines[0], lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"), flags_named():  # a command's body
        load_history("BTC", DataConfig(source="csv", csv_path=str(path), calendar="XNYS"))
    lines = [r.getMessage() for r in caplog.records if "closed" in r.getMessage()]
    assert 'set its calendar with --calendar (or [data] calendar in a --config TOML file): "24/7"' in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        auto = load_history("BTC", DataConfig(source="csv", csv_path=str(path)))
    assert not [r for r in caplog.records if "closed" in r.getMessage()]
    assert not [n for n in auto.notes if "closed" in n]
    done = load_history("BTC", DataConfig(source="csv", csv_path=str(path), calendar="24/7"))
    assert not [n for n in done.notes if "closed" in n]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(stocks_csv)))
    assert not [r for r in caplog.records if "closed" in r.getMessage()]


def test_a_series_missing_many_sessions_is_warned_with_the_count(
    tmp_path: Path, raw_aapl: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    """A series missing every tenth XNYS session (a thinly traded stock, a bad export) was reported in an
    info line only, though its returns then span two days one time in ten. Now one warning names how many
    sessions are missing out of how many; a series missing a handful (under 5%) keeps the info line."""
    frame = raw_aapl.rename_axis("Date").reset_index()
    sparse, few = tmp_path / "sparse.csv", tmp_path / "few.csv"
    frame[frame.index % 10 != 5].to_csv(sparse, index=False)
    frame.drop(index=[100, 200, 300]).to_csv(few, index=False)
    with caplog.at_level(logging.INFO, logger="carrousel.finance"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(sparse)))
    warned = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "session" in r.getMessage()
    ]
    assert len(warned) == 1 and "\n" not in warned[0], warned  # before: none (the info line alone)
    assert warned[0].startswith("AAPL: 101 of 1008 XNYS sessions (10%) have no row (longest gap 1)")
    assert 'another calendar, set its calendar with data.calendar: "24/7"' in warned[0], warned[0]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="carrousel.finance"):
        done = load_history("AAPL", DataConfig(source="csv", csv_path=str(few)))
    assert not [r for r in caplog.records if r.levelno == logging.WARNING and "session" in r.getMessage()]
    assert [n for n in done.notes if n.startswith("3 XNYS session(s) missing (longest gap 1)")]
