"""Messages of short or out-of-range price files name what works (session 48 leftovers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_history
from carrousel.finance.errors import PriceDataError


def _csv(path: Path, rows: int, start: str = "2020-01-02") -> Path:
    dates = pd.bdate_range(start, periods=rows)
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, rows)))
    frame = pd.DataFrame(
        {
            "Date": dates.strftime("%Y-%m-%d"),
            "Open": close,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Volume": 1000,
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_no_prices_between_the_dates_names_the_files_own_range(tmp_path: Path) -> None:
    path = _csv(tmp_path / "x.csv", 40)
    cfg = DataConfig(source="csv", csv_path=str(path), start="2021-01-01", end="2021-05-01", min_history=30)
    with pytest.raises(PriceDataError, match="no X prices between 2021-01-01 and 2021-05-01") as caught:
        load_history("X", cfg)
    assert "2020-01-02 to 2020-02-26" in str(caught.value)
