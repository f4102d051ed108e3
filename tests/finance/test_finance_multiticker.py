"""Tables of several tickers as people save them read per ticker, never one ticker's prices under another's name.

Before: ``yf.download(["AAPL", "MSFT"]).to_csv()`` (yfinance's 3-line header ``Price,...`` / ``Ticker,...`` /
``Date,,,``) was read with its Ticker row dropped and the first ``Close`` column kept, so ``finance forecast
MSFT --csv`` forecast AAPL's prices labelled MSFT (exit 0); the same frame in memory had its ticker level
dropped. A wide table (``Date, AAPL, MSFT``) was "lacks column(s) close" for ``--csv`` and "lacks unique_id,
ds, y" for ``--data``, as was a long table named as yfinance names it (``Date, Ticker, Close``). Every
table here is built from the committed AAPL and MSFT rows; MSFT's first 30 rows are blank, as
``yf.download`` leaves the dates before a later listing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_history, read_price_csv
from carrousel.finance.errors import FrameError, TickerNotFoundError
from carrousel.finance.frame_check import FrameDtypes, read_frame, validate_frame
from carrousel.finance.price_columns import normalise_columns

FIELDS = {"Adj Close": "adj_close", "Close": "close", "High": "high", "Low": "low", "Open": "open",
          "Volume": "volume"}  # fmt: skip
LATE = 30  # MSFT rows left blank at the start (a later listing)


@pytest.fixture
def rows(stocks_csv: Path) -> dict[str, pd.DataFrame]:
    """Each ticker's rows (date index, lower-case columns), MSFT from its 31st row on."""
    df = read_price_csv(stocks_csv)
    out = {t: df[df["ticker"] == t].drop(columns="ticker") for t in ("AAPL", "MSFT")}
    out["MSFT"] = out["MSFT"].iloc[LATE:]
    return out


def _yf_frame(rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``yf.download(["AAPL", "MSFT"], auto_adjust=False)``: columns (Price, Ticker), dates aligned (NaN)."""
    dates = pd.DatetimeIndex(sorted(set().union(*(r.index for r in rows.values()))), name="Date")
    cols = {(k, t): r[v].reindex(dates) for k, v in FIELDS.items() for t, r in rows.items()}
    df = pd.DataFrame(cols, index=dates)
    df.columns = pd.MultiIndex.from_tuples(list(cols), names=["Price", "Ticker"])
    return df


def _csv(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path)
    return path


def test_a_multi_ticker_yfinance_csv_reads_each_ticker_as_its_own_file(
    tmp_path: Path, rows: dict[str, pd.DataFrame]
) -> None:
    both = _csv(_yf_frame(rows), tmp_path / "both.csv")
    assert (
        both.read_text().splitlines()[1]
        == "Ticker,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT,AAPL,MSFT"
    )
    for ticker, own in rows.items():
        single = _csv(_yf_frame({ticker: own}), tmp_path / f"{ticker}.csv")  # the 3-line header, one ticker
        want = load_history(ticker, DataConfig(source="csv", csv_path=str(single), min_history=100))
        got = load_history(ticker, DataConfig(source="csv", csv_path=str(both), min_history=100))
        pd.testing.assert_frame_equal(got.frame, want.frame)
        assert len(got.frame) == len(own)  # MSFT's blank rows before its listing are not rows
    with pytest.raises(TickerNotFoundError, match=r"IBM is not in .*both\.csv; it holds AAPL, MSFT"):
        load_history("IBM", DataConfig(source="csv", csv_path=str(both), min_history=100))


def test_the_multi_ticker_frame_in_memory_is_read_per_ticker(rows: dict[str, pd.DataFrame]) -> None:
    multi = _yf_frame(rows)
    long = normalise_columns(multi)  # the price tables' reader
    frames = {t: normalise_columns(_yf_frame({t: r})) for t, r in rows.items()}
    for ticker, frame in frames.items():
        pd.testing.assert_frame_equal(long[long["ticker"] == ticker].drop(columns="ticker"), frame)
    got = validate_frame(multi)  # the DataFrame API's (Forecaster.fit, predict, cross_validation)
    factor = pd.concat([r["adj_close"] / r["close"] for r in rows.values()]).to_numpy()
    nixtla = pd.concat([r.assign(unique_id=t) for t, r in rows.items()]).rename_axis("ds").reset_index()
    want = validate_frame(
        nixtla.assign(
            y=nixtla["adj_close"],
            open=nixtla["open"] * factor,
            high=nixtla["high"] * factor,
            low=nixtla["low"] * factor,
            volume=nixtla["volume"] / factor,  # adjusted as the price loaders adjust
        )
    )
    pd.testing.assert_frame_equal(got, want)
    assert validate_frame(multi.swaplevel(axis=1)).equals(got)  # group_by="ticker": (Ticker, Price)
    back = FrameDtypes.of(multi)  # predict and cross_validation give the ids and dates back this way
    assert back.ids == {"AAPL": "AAPL", "MSFT": "MSFT"} and back.ds_dtype == multi.index.dtype


def _wide(rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``yf.download([...])["Adj Close"]`` saved: Date, AAPL, MSFT (MSFT blank before its listing)."""
    return pd.DataFrame({t: r["adj_close"] for t, r in rows.items()}).rename_axis("Date")


def test_forecast_csv_reads_one_ticker_of_a_wide_table(tmp_path: Path, rows: dict[str, pd.DataFrame]) -> None:
    wide = _csv(_wide(rows), tmp_path / "wide.csv")
    assert wide.read_text().splitlines()[1].endswith(",")  # MSFT's blank cell
    got = load_history("MSFT", DataConfig(source="csv", csv_path=str(wide), min_history=100))
    np.testing.assert_allclose(
        got.frame["close"].to_numpy(), rows["MSFT"]["adj_close"].to_numpy(), rtol=1e-12
    )
    assert got.frame.index.equals(rows["MSFT"].index)
    assert (got.frame["open"] == got.frame["close"]).all()  # close-only prices
    with pytest.raises(TickerNotFoundError, match=r"IBM is not in .*wide\.csv; it holds AAPL, MSFT \(a wide"):
        load_history("IBM", DataConfig(source="csv", csv_path=str(wide), min_history=100))
    named = tmp_path / "last.csv"  # one ticker's close under a name not read as one: a wide table too
    named.write_text("Date,Last\n2024-01-02,1.5\n2024-01-03,1.6\n")
    with pytest.raises(
        TickerNotFoundError, match=r"it holds LAST \(a wide table: .*name one ticker's close Close\)"
    ):
        load_history("AAPL", DataConfig(source="csv", csv_path=str(named)))


def _nixtla(rows: dict[str, pd.DataFrame], path: Path) -> pd.DataFrame:
    """The documented layout of the adjusted closes, read."""
    long = pd.concat(
        [pd.DataFrame({"unique_id": t, "ds": r.index, "y": r["adj_close"]}) for t, r in rows.items()]
    )
    long.to_csv(path, index=False)
    return read_frame(path)


def test_read_frame_reads_every_column_of_a_wide_table(tmp_path: Path, rows: dict[str, pd.DataFrame]) -> None:
    want = _nixtla(rows, tmp_path / "nixtla.csv")
    got = read_frame(_csv(_wide(rows), tmp_path / "wide.csv"))
    pd.testing.assert_frame_equal(got, want)
    assert (got["unique_id"] == "MSFT").sum() == len(rows["MSFT"])  # the blank prefix dropped, no error


def test_a_wide_table_with_spreadsheet_gaps_reads_as_with_blanks(
    tmp_path: Path, rows: dict[str, pd.DataFrame]
) -> None:
    """Excel and Google Sheets write a missing price as #N/A (before: the table was not read as wide)."""
    wide = tmp_path / "na.csv"
    _wide(rows).to_csv(wide, na_rep="#N/A")
    assert "#N/A" in wide.read_text().splitlines()[1]
    pd.testing.assert_frame_equal(read_frame(wide), read_frame(_csv(_wide(rows), tmp_path / "blank.csv")))
    got = load_history("MSFT", DataConfig(source="csv", csv_path=str(wide), min_history=100))
    np.testing.assert_allclose(
        got.frame["close"].to_numpy(), rows["MSFT"]["adj_close"].to_numpy(), rtol=1e-12
    )


def test_a_wide_table_whose_date_column_is_ds_reads_as_the_pivot_it_came_from(
    tmp_path: Path, rows: dict[str, pd.DataFrame]
) -> None:
    """``long.pivot(index="ds", columns="unique_id", values="y")`` saved (header ``ds,AAPL,MSFT``) or with its
    index as a column: read as the wide table it is, as the pivot itself was (before: "the frame lacks
    column(s) unique_id, y"). A table with ``ds`` and a column that is no price is still that error."""
    want = _nixtla(rows, tmp_path / "nixtla.csv")
    pivot = want.pivot(index="ds", columns="unique_id", values="y")
    pd.testing.assert_frame_equal(validate_frame(pivot), want)
    pd.testing.assert_frame_equal(validate_frame(pivot.reset_index()), want)
    pd.testing.assert_frame_equal(read_frame(_csv(pivot, tmp_path / "pivot.csv")), want)
    with pytest.raises(FrameError, match="lacks column"):
        validate_frame(pivot.reset_index().assign(AAPL="x"))


@pytest.mark.parametrize(
    "names",
    [
        {"Date": "ds", "Ticker": "unique_id", "Adj Close": "y"},  # yfinance's long table (stack)
        {"Date": "ds", "Symbol": "unique_id", "Close": "y"},  # Stooq's / a screener's
        {"DATE": "ds", "ticker": "unique_id", "Price": "y"},  # Investing.com's close, any case
    ],
)
def test_read_frame_reads_a_long_table_named_as_yfinance_names_it(
    tmp_path: Path, rows: dict[str, pd.DataFrame], names: dict[str, str]
) -> None:
    want = _nixtla(rows, tmp_path / "nixtla.csv")
    long = want.assign(Volume=1.0).rename(columns={v: k for k, v in names.items()})  # Volume: read too
    long.to_csv(tmp_path / "long.csv", index=False)
    pd.testing.assert_frame_equal(read_frame(tmp_path / "long.csv"), want.assign(volume=1.0))


def test_read_frame_reads_the_multi_ticker_yfinance_csv(
    tmp_path: Path, rows: dict[str, pd.DataFrame]
) -> None:
    multi = _yf_frame(rows)
    pd.testing.assert_frame_equal(read_frame(_csv(multi, tmp_path / "both.csv")), validate_frame(multi))


def test_cli_train_global_on_a_wide_table(tmp_path: Path, rows: dict[str, pd.DataFrame]) -> None:
    wide = _csv(_wide({t: r.iloc[-300:] for t, r in rows.items()}), tmp_path / "wide.csv")
    args = ["train-global", "--data", str(wide), "--model-dir", str(tmp_path / "m"), "--members", "1",
            "--epochs", "1", "--hidden", "4", "--lookback", "10", "--horizon", "2", "--holdout-days", "40",
            "--json"]  # fmt: skip
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["series"] == 2 and set(doc["holdout"]) == {"AAPL", "MSFT"}


def test_load_histories_reads_a_long_csv_once_for_all_its_tickers(
    stocks_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long table of many series (a global model's ``train-global --data``, scored by ``finance export``) is
    parsed once, not once per ticker and once more for its Ticker column; each ticker's history is the one
    read alone."""
    from carrousel.finance import data

    cfg = DataConfig(tickers=("AAPL", "MSFT"), source="csv", csv_path=str(stocks_csv))
    alone = [load_history(t, cfg).sha256 for t in cfg.tickers]
    reads: list[str] = []
    real = data.read_price_csv
    monkeypatch.setattr(data, "read_price_csv", lambda p: (reads.append(str(p)), real(p))[1])
    assert [h.sha256 for h in data.load_histories(cfg)] == alone
    assert reads == [str(stocks_csv)]
