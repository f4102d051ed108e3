"""The long table of the DataFrame API read by ``--csv``, and a ``;`` file with decimal commas by ``--data``.

Before: ``finance forecast AAPL --csv panel.csv`` on the ``unique_id, ds, y`` table that ``finance predict
--data`` and ``train-global --data`` read stopped with "price table lacks column(s) date, close; expected
Date, Open, High, Low, Close, Volume"; and ``finance predict --data`` on a ``;``-separated file with decimal
commas (a European spreadsheet's export, which ``--csv`` reads) read one column named
``unique_id;ds;y;...`` and said "the frame lacks column(s) unique_id, ds, y".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_histories, read_price_csv
from carrousel.finance.errors import FrameError, TickerNotFoundError
from carrousel.finance.frames import read_frame


@pytest.fixture
def panel(stocks_csv: Path) -> pd.DataFrame:
    """AAPL and MSFT as a ``unique_id, ds, y, open, high, low, volume`` table (adjusted, as a frame holds)."""
    frame = read_frame(stocks_csv)
    return frame[["unique_id", "ds", "y", "open", "high", "low", "volume"]]


def test_csv_reads_the_frames_long_table_per_ticker(tmp_path: Path, panel: pd.DataFrame) -> None:
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    (msft,) = load_histories(DataConfig(tickers=("MSFT",), source="csv", csv_path=str(path)))
    want = panel[panel["unique_id"] == "MSFT"]
    assert list(msft.frame.index) == list(want["ds"])
    assert msft.frame["close"].to_numpy() == pytest.approx(want["y"].to_numpy())
    assert msft.frame["volume"].to_numpy() == pytest.approx(want["volume"].to_numpy())
    with pytest.raises(TickerNotFoundError, match=r"ZZZ is not in .*; it holds AAPL, MSFT"):
        load_histories(DataConfig(tickers=("ZZZ",), source="csv", csv_path=str(path)))


def test_a_ds_y_file_and_its_parquet_read_as_one_series(tmp_path: Path, panel: pd.DataFrame) -> None:
    one = panel[panel["unique_id"] == "AAPL"][["ds", "y"]]
    one.to_csv(tmp_path / "aapl.csv", index=False)
    df = read_price_csv(tmp_path / "aapl.csv")
    assert df["close"].to_numpy() == pytest.approx(one["y"].to_numpy())
    pytest.importorskip("pyarrow")
    panel.set_index(["unique_id", "ds"]).to_parquet(tmp_path / "panel.parquet")
    both = read_price_csv(tmp_path / "panel.parquet")
    assert sorted(both["ticker"].unique()) == ["AAPL", "MSFT"]


def test_a_semicolon_file_with_decimal_commas_is_a_frame(tmp_path: Path, panel: pd.DataFrame) -> None:
    plain, european = tmp_path / "plain.csv", tmp_path / "european.csv"
    panel.to_csv(plain, index=False)
    assert (panel["y"] * 100 >= 1000).any()  # written 1.234,5600: a thousands dot before the decimal comma
    y = [f"{v:,.4f}".translate(str.maketrans(",.", ".,")) for v in panel["y"] * 100]
    ds = panel["ds"].dt.strftime("%d.%m.%Y")  # dotted day-first dates: no numbers (03.01.2007 is no 3012007)
    panel.assign(y=y, ds=ds).to_csv(european, index=False, sep=";", decimal=",", float_format="%.4f")
    got, want = read_frame(european), read_frame(plain)
    assert list(got.columns) == list(want.columns)
    assert got["y"].to_numpy() == pytest.approx(want["y"].to_numpy() * 100, rel=1e-6)
    assert got["volume"].to_numpy() == pytest.approx(want["volume"].to_numpy())
    assert list(got["ds"]) == list(want["ds"])


def test_a_cell_of_a_semicolon_file_that_is_no_number_is_named(tmp_path: Path) -> None:
    path = tmp_path / "european.csv"
    path.write_text("unique_id;ds;y\n7203;2007-01-03;86,29\n7203;2007-01-04;8x,1\n")
    with pytest.raises(FrameError, match=r"column y has 1 .* \(first: series 7203 on 2007-01-04: '8x,1'\)"):
        read_frame(path)


def test_csv_reads_a_pivot_of_the_frame_with_its_ds_column(tmp_path: Path, panel: pd.DataFrame) -> None:
    # df.pivot(index="ds", columns="unique_id", values="y") saved: --data read it, --csv said "lacks date"
    panel.pivot(index="ds", columns="unique_id", values="y").reset_index().to_csv(
        tmp_path / "w.csv", index=False
    )
    (msft,) = load_histories(DataConfig(tickers=("MSFT",), source="csv", csv_path=str(tmp_path / "w.csv")))
    assert msft.frame["close"].to_numpy() == pytest.approx(
        panel[panel["unique_id"] == "MSFT"]["y"].to_numpy()
    )


def test_a_wide_semicolon_file_with_decimal_commas_is_a_frame(tmp_path: Path, panel: pd.DataFrame) -> None:
    # Date;AAPL;MSFT with 83,8: one column before, then text columns that were no wide table
    wide = panel.pivot(index="ds", columns="unique_id", values="y").rename_axis("Date").reset_index()
    wide.to_csv(tmp_path / "w.csv", index=False, sep=";", decimal=",")
    got = read_frame(tmp_path / "w.csv")
    assert sorted(got["unique_id"].unique()) == ["AAPL", "MSFT"]
    assert got["y"].to_numpy() == pytest.approx(panel.sort_values(["unique_id", "ds"])["y"].to_numpy())


def test_a_table_without_a_ticker_is_named_with_its_own_column_names(tmp_path: Path) -> None:
    # before: "it has Date, open, high, low, Close, volume" for a file headed Date,Open,High,Low,Close,Volume
    (tmp_path / "one.csv").write_text("Date,Open,High,Low,Close,Volume\n2010-01-04,1,2,0.5,1.5,100\n")
    with pytest.raises(
        FrameError, match=r"it has Date, Open, High, Low, Close, Volume; one series without a"
    ):
        read_frame(tmp_path / "one.csv")
