"""``finance predict --data prices.csv`` with one series' prices (Date, Close, no ticker): the error says
what to add, and adding it works. Before: "the frame lacks column(s) unique_id, ds, y; ... it has Date,
Close", which reads as 'rename your columns' and named no fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.errors import FrameError
from carrousel.finance.frame_check import read_frame


def _prices(rows: int = 10) -> pd.DataFrame:
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, rows)))
    return pd.DataFrame(
        {"Date": pd.bdate_range("2018-01-02", periods=rows).strftime("%Y-%m-%d"), "Close": close}
    )


def test_one_series_without_a_ticker_is_told_to_add_one(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    _prices().to_csv(path, index=False)
    with pytest.raises(FrameError, match=r"one series without a ticker: add a Ticker column") as err:
        read_frame(path)
    assert "\n" not in str(err.value)
    _prices().assign(Ticker="XYZ").to_csv(path, index=False)  # the fix named works
    frame = read_frame(path)
    assert set(frame["unique_id"]) == {"XYZ"} and len(frame) == 10


def test_a_table_of_other_columns_gets_no_ticker_hint(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_text("foo,bar\n1,2\n3,4\n")
    with pytest.raises(FrameError) as err:
        read_frame(path)
    assert "Ticker" not in str(err.value)
