"""Intraday bars read as daily bars (carrousel.finance.intraday): before, an hourly download kept each day's
last row as the whole day (its open, high, low and volume those of the last hour) under a warning about
duplicated dates."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.data import read_price_csv
from carrousel.finance.price_columns import normalise_columns

_HOURS = ("09:30:00", "10:30:00", "11:30:00", "12:30:00", "13:30:00", "14:30:00", "15:30:00")
_DAYS = ("2024-01-02", "2024-01-03", "2024-01-04")


def _hourly() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for day in _DAYS:
        for hour in _HOURS:
            close = 100 + rng.normal()
            rows.append(
                {
                    "Datetime": f"{day} {hour}-05:00",  # yfinance's interval="1h" stamps
                    "Open": close - 0.1,
                    "High": close + rng.uniform(0.1, 1),
                    "Low": close - rng.uniform(0.2, 1),
                    "Close": close,
                    "Volume": float(rng.integers(1_000, 9_000)),
                }
            )
    return pd.DataFrame(rows)


def _expected(bars: pd.DataFrame) -> pd.DataFrame:
    day = bars["Datetime"].str[:10]
    return pd.DataFrame(
        {
            "open": bars.groupby(day)["Open"].first(),
            "high": bars.groupby(day)["High"].max(),
            "low": bars.groupby(day)["Low"].min(),
            "close": bars.groupby(day)["Close"].last(),
            "volume": bars.groupby(day)["Volume"].sum(),
        }
    )


def test_hourly_bars_become_the_days_bars(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bars = _hourly()
    bars.to_csv(tmp_path / "hourly.csv", index=False)
    bars.iloc[::-1].to_csv(tmp_path / "newest_first.csv", index=False)
    want = _expected(bars)
    for name in ("hourly.csv", "newest_first.csv"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="carrousel"):
            got = read_price_csv(tmp_path / name)
        assert [str(d.date()) for d in got.index] == list(_DAYS)
        for col in want.columns:
            np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-12, err_msg=col)
        assert "holds intraday bars (up to 7 a day): read as daily bars" in caplog.text


def test_intraday_bars_of_several_tickers_are_aggregated_per_ticker() -> None:
    bars = _hourly()
    other = bars.assign(
        Close=bars["Close"] * 2, Open=bars["Open"] * 2, High=bars["High"] * 2, Low=bars["Low"] * 2
    )
    table = pd.concat([bars.assign(Ticker="AAA"), other.assign(Ticker="BBB")], ignore_index=True)
    got = normalise_columns(table)
    assert sorted(got["ticker"].unique()) == ["AAA", "BBB"] and len(got) == 2 * len(_DAYS)
    want = _expected(bars)
    for ticker, scale in (("AAA", 1.0), ("BBB", 2.0)):
        rows = got[got["ticker"] == ticker]
        np.testing.assert_allclose(rows["close"].to_numpy(), scale * want["close"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(rows["high"].to_numpy(), scale * want["high"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(rows["volume"].to_numpy(), want["volume"].to_numpy(), rtol=1e-12)


def test_daily_bars_and_duplicated_days_are_left_as_they_were(caplog: pytest.LogCaptureFixture) -> None:
    daily = pd.DataFrame({"Date": list(_DAYS), "Close": [1.0, 2.0, 3.0]})
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert normalise_columns(daily)["close"].tolist() == [1.0, 2.0, 3.0]
        twice = pd.DataFrame({"Date": ["2024-01-02", "2024-01-02", "2024-01-03"], "Close": [1.0, 5.0, 3.0]})
        assert normalise_columns(twice)["close"].tolist() == [1.0, 5.0, 3.0]  # a defect the validation names
    assert "intraday" not in caplog.text
