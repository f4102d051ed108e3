"""A wide table whose cells mark missing days as text (FRED's '.') is read as one.

Before: pandas 3 reads such a column as its ``str`` dtype, not ``object``, so the missing-value marks were
never turned into gaps; the table was not wide, and ``finance forecast VIXCLS --csv fred.csv`` said "price
table lacks column(s) close", though a FRED download is a date and one close column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.data import read_price_csv


def test_a_wide_table_with_fred_gaps_is_read(tmp_path: Path) -> None:
    dates = pd.bdate_range("2014-01-02", periods=6).strftime("%Y-%m-%d")
    values = ["13.76", "13.55", ".", "12.92", "12.14", "12.28"]
    path = tmp_path / "fred.csv"
    path.write_text("DATE,VIXCLS\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values, strict=True)))
    table = read_price_csv(path)
    assert set(table["ticker"]) == {"VIXCLS"}
    close = table["close"].to_numpy(np.float64)
    assert np.isnan(close[2]) and close[0] == pytest.approx(13.76) and close[-1] == pytest.approx(12.28)
