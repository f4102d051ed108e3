"""The price CSVs people download from free sites read as the yfinance layout of the same rows does.

Before: Nasdaq.com's (``Close/Last``, ``$56.14``), Investing.com's (``Price``, ``"1,234.56"``, ``151.30M``)
and a close-only ``Adj Close`` file were each ``lacks column(s) close``; MarketWatch's quoted volumes
(``"12,345,678"``) were "not a number"; Google Sheets' ``12/31/2012 16:00:00`` stamps an "ambiguous date".
Each file here is written from the committed AAPL rows (prices x10, so that some pass 1,000 and carry a
thousands separator; volumes to 10,000 shares, so that ``151.30M`` is exact) and must read to the same
dates and OHLCV, to the cent, as the plain yfinance layout of those rows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.data import read_price_csv
from carrousel.finance.errors import PriceDataError

OHLCV = ["open", "high", "low", "close", "volume"]


@pytest.fixture
def rows(raw_aapl: pd.DataFrame) -> pd.DataFrame:
    """80 AAPL rows (April-July 2007), prices x10 to the cent, volumes to 10,000 shares."""
    df = raw_aapl[OHLCV].iloc[60:140].copy()
    df[["open", "high", "low", "close"]] = (df[["open", "high", "low", "close"]] * 10).round(2)
    df["volume"] = (df["volume"] / 1e4).round() * 1e4
    assert (df["close"] >= 1000).any() and (df["close"] < 1000).any()
    return df


def _plain(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The reference: the yfinance layout (``Date,Open,High,Low,Close,Volume``) of the rows, read."""
    rows.rename(columns=str.title).rename_axis("Date").to_csv(path)
    return read_price_csv(path)


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _nasdaq(df: pd.DataFrame) -> str:
    lines = ["Date,Close/Last,Volume,Open,High,Low"]
    for d, r in df.iloc[::-1].iterrows():  # newest first
        lines.append(f"{d:%m/%d/%Y},${r.close:.2f},{r.volume:.0f},${r.open:.2f},${r.high:.2f},${r.low:.2f}")
    return "\n".join(lines) + "\n"


def _volume(v: float, i: int) -> str:
    return f"{v / 1e6:.2f}M" if i % 2 else f"{v / 1e3:.2f}k"  # both suffixes, both cases


def _investing(df: pd.DataFrame) -> str:
    lines = ['"Date","Price","Open","High","Low","Vol.","Change %"']
    for i, (d, r) in enumerate(df.iloc[::-1].iterrows()):
        cells = [f"{d:%m/%d/%Y}", *(_money(r[c]) for c in ("close", "open", "high", "low"))]
        lines.append(",".join(f'"{c}"' for c in [*cells, _volume(r.volume, i), "-0.10%"]))
    return "\n".join(lines) + "\n"


def _marketwatch(df: pd.DataFrame) -> str:
    lines = ["Date, Open, High, Low, Close, Volume"]
    for d, r in df.iloc[::-1].iterrows():
        prices = ", ".join(f"{r[c]:.2f}" for c in ("open", "high", "low", "close"))
        lines.append(f'{d:%m/%d/%Y}, {prices}, "{r.volume:,.0f}"')  # spaces before the quote too
    return "\n".join(lines) + "\n"


def _stooq(df: pd.DataFrame) -> str:
    lines = ["Date,Open,High,Low,Close,Volume"]
    lines += [f"{d:%Y-%m-%d},{r.open},{r.high},{r.low},{r.close},{r.volume:.0f}" for d, r in df.iterrows()]
    return "\n".join(lines) + "\n"


def _german(df: pd.DataFrame) -> str:
    """A ';' file with decimal commas, prices over 1,000 written with '.' thousands separators."""
    lines = ["Datum;Eröffnung;Hoch;Tief;Schluss;Volumen"]
    for d, r in df.iterrows():
        prices = [_money(r[c]).replace(",", "_").replace(".", ",").replace("_", ".") for c in OHLCV[:4]]
        lines.append(";".join([f"{d:%d.%m.%Y}", *prices, f"{r.volume:.0f}"]))
    return "\n".join(lines) + "\n"


def _stooq_bulk(df: pd.DataFrame) -> str:
    """Stooq's bulk download (``aapl.us.txt``): angle-bracketed names, ``20070427`` dates (before: an
    "ambiguous date" error)."""
    lines = ["<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>"]
    lines += [
        f"AAPL.US,D,{d:%Y%m%d},000000,{r.open},{r.high},{r.low},{r.close},{r.volume:.0f},0"
        for d, r in df.iterrows()
    ]
    return "\n".join(lines) + "\n"


def _kaggle(df: pd.DataFrame) -> str:
    """Kaggle's "Huge Stock Market Dataset" (``aapl.us.txt``, Stooq's daily files with ``OpenInt``)."""
    lines = ["Date,Open,High,Low,Close,Volume,OpenInt"]
    lines += [f"{d:%Y-%m-%d},{r.open},{r.high},{r.low},{r.close},{r.volume:.0f},0" for d, r in df.iterrows()]
    return "\n".join(lines) + "\n"


def _alpha_vantage(df: pd.DataFrame) -> str:
    """Alpha Vantage's ``TIME_SERIES_DAILY`` CSV: ``timestamp``, newest first."""
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [
        f"{d:%Y-%m-%d},{r.open},{r.high},{r.low},{r.close},{r.volume:.0f}"
        for d, r in df.iloc[::-1].iterrows()
    ]
    return "\n".join(lines) + "\n"


def _tiingo(df: pd.DataFrame) -> str:
    """Tiingo's daily prices CSV: UTC stamps, close first, adjusted columns beside the raw ones."""
    lines = ["date,close,high,low,open,volume,adjClose,adjHigh,adjLow,adjOpen,adjVolume,divCash,splitFactor"]
    for d, r in df.iterrows():
        raw = f"{r.close},{r.high},{r.low},{r.open},{r.volume:.0f}"
        lines.append(f"{d:%Y-%m-%d}T00:00:00.000Z,{raw},{raw},0.0,1.0")
    return "\n".join(lines) + "\n"


LAYOUTS: dict[str, Callable[[pd.DataFrame], str]] = {
    "nasdaq": _nasdaq,
    "investing": _investing,
    "marketwatch": _marketwatch,
    "stooq": _stooq,
    "german": _german,
    "stooq_bulk": _stooq_bulk,
    "kaggle": _kaggle,
    "alpha_vantage": _alpha_vantage,
    "tiingo": _tiingo,
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_download_reads_as_the_yfinance_layout(tmp_path: Path, rows: pd.DataFrame, layout: str) -> None:
    ref = _plain(rows, tmp_path / "plain.csv")
    path = tmp_path / f"{layout}.csv"
    path.write_text(LAYOUTS[layout](rows), encoding="utf-8")
    got = read_price_csv(path)
    assert got.index.equals(ref.index)  # newest-first files are put in date order
    np.testing.assert_allclose(got[OHLCV].to_numpy(), ref[OHLCV].to_numpy(), rtol=0, atol=1e-6)


def test_a_close_only_adj_close_file_is_read_with_a_warning(
    tmp_path: Path, rows: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    ref = _plain(rows[["close"]], tmp_path / "plain.csv")
    adj = tmp_path / "adj.csv"
    rows[["close"]].rename(columns={"close": "Adj Close"}).rename_axis("Date").to_csv(adj)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = read_price_csv(adj)
    pd.testing.assert_frame_equal(got[OHLCV], ref[OHLCV])
    said = [r.getMessage() for r in caplog.records if "Adj Close" in r.getMessage()]
    assert said == [f"{adj} has no Close column: its Adj Close is read as the close (already adjusted)"]


def test_google_sheets_stamps_with_a_time_of_day(tmp_path: Path, rows: pd.DataFrame) -> None:
    ref = _plain(rows[["close"]], tmp_path / "plain.csv")
    sheets = tmp_path / "sheets.csv"
    stamps = [f"{d:%m/%d/%Y} 16:00:00,{c}" for d, c in rows["close"].items()]
    sheets.write_text("\n".join(["Date,Close", *stamps]) + "\n")
    pd.testing.assert_frame_equal(read_price_csv(sheets)[OHLCV], ref[OHLCV])


def test_price_is_the_close_only_without_a_close_column(tmp_path: Path) -> None:
    both = tmp_path / "both.csv"
    both.write_text("Date,Price,Close\n2024-01-02,1.5,2.5\n2024-01-03,1.6,2.6\n")
    assert read_price_csv(both)["close"].tolist() == [2.5, 2.6]
    adj = tmp_path / "adj.csv"  # yfinance's Close and Adj Close: the adjusted column is kept as it was
    adj.write_text("Date,Close,Adj Close\n2024-01-02,2.0,1.0\n2024-01-03,2.2,1.1\n")
    assert read_price_csv(adj)[["close", "adj_close"]].to_numpy().tolist() == [[2.0, 1.0], [2.2, 1.1]]


def test_written_numbers_and_their_separators(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        '2024-01-02,€1.5,"$1,234.50",£1.25,1.75 ¥,"12,345,678"\n'
        '2024-01-03,-$1.5,"1,234",$2,2,1.5B\n'
        "2024-01-04,1,1,1,1,-\n"
    )
    got = read_price_csv(path)
    assert got["open"].tolist() == [1.5, -1.5, 1.0] and got["high"].tolist() == [1234.5, 1234.0, 1.0]
    assert got["low"].tolist() == [1.25, 2.0, 1.0] and got["close"].tolist() == [1.75, 2.0, 1.0]
    assert got["volume"].tolist()[:2] == [12_345_678.0, 1.5e9] and np.isnan(got["volume"].iloc[2])
    # the same '1,234' in a ';' file with decimal commas is a decimal, as such files always read
    semi = tmp_path / "semi.csv"
    semi.write_text('Date;Close;Volume\n2024-01-02;"1,234";5\n2024-01-03;2,5;"1.234,5"\n')
    got = read_price_csv(semi)
    assert got["close"].tolist() == [1.234, 2.5] and got["volume"].tolist() == [5.0, 1234.5]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            "2024-01-03,1,1,1,1,44,225,700",
            r"line 3 has 8 fields, the header 6; a thousands separator or a stray",
        ),
        ("2024-01-03,1,1,1,abc,5", r"column close, data row 2: 'abc' is not a number"),
        ("2024-01-03,1,1,1,$abc,5", r"column close, data row 2: '\$abc' is not a number"),
        (
            "2024-01-03,1,1,1,-,5",
            r"column close, data row 2: '-' is not a number",
        ),  # '-' means none in volume only
        (
            "2024-01-03,1,1,1,1.5M,5",
            r"column close, data row 2: '1.5M' is not a number",
        ),  # K/M/B: volume only
        ('2024-01-03,1,1,1,"12,34",5', r"column close, data row 2: '12,34' is not a number"),  # not 3 digits
    ],
)
def test_values_still_not_numbers_are_one_line_errors(tmp_path: Path, cells: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,1,5\n{cells}\n")
    with pytest.raises(PriceDataError, match=message) as err:
        read_price_csv(path)
    assert "\n" not in str(err.value)


def test_forecast_reads_a_nasdaq_download(
    tmp_path: Path, raw_aapl: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nasdaq.csv"
    path.write_text(_nasdaq(raw_aapl.round(2)))
    args = ["forecast", "AAPL", "--csv", str(path), "--epochs", "1", "--hidden", "4", "--lookback", "10",
            "--horizon", "2", "--members", "1", "--no-backtest", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["data"][0]["first_date"] == "2007-01-03" and doc["data"][0]["last_date"] == "2010-12-31"
    assert doc["data"][0]["rows"] == len(raw_aapl)


def test_a_ticker_is_found_by_its_stem_when_one_ticker_has_it(tmp_path: Path, rows: pd.DataFrame) -> None:
    """Stooq names AAPL ``AAPL.US``: ``finance forecast AAPL --csv aapl.us.txt`` was 'AAPL is not in ...'."""
    from carrousel.finance.config import DataConfig
    from carrousel.finance.data import load_history
    from carrousel.finance.errors import TickerNotFoundError

    path = tmp_path / "aapl.us.txt"
    path.write_text(_stooq_bulk(rows))
    got = load_history("AAPL", DataConfig(source="csv", csv_path=str(path), min_history=50))
    assert got.ticker == "AAPL" and len(got.frame) == len(rows)
    two = tmp_path / "two.txt"  # AAPL.US and AAPL.DE: which one is not guessed
    two.write_text(_stooq_bulk(rows) + _stooq_bulk(rows).split("\n", 1)[1].replace("AAPL.US", "AAPL.DE"))
    with pytest.raises(TickerNotFoundError, match=r"AAPL is not in .*AAPL\.DE.*AAPL\.US"):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(two), min_history=50))


def test_yyyymmdd_dates_read_as_floats_for_a_blank_row_are_the_dates_they_spell(tmp_path: Path) -> None:
    """A spreadsheet's empty row (``,,,,,``) makes pandas read a ``20240102``-style date column as floats
    (``20240102.0``); the row is dropped, the floats stayed: "unreadable date '20240102.0' in data row 1"."""
    path = tmp_path / "px.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n20240102,1,2,0.5,1.5,100\n,,,,,\n20240103,1,2,0.5,1.6,100\n"
        "20240104,1,2,0.5,1.7,100\n"
    )
    df = read_price_csv(path)
    assert [d.strftime("%Y-%m-%d") for d in df.index] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert df["close"].tolist() == [1.5, 1.6, 1.7]
