"""Validation and repair of price frames: each problem is a clear error or a logged repair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.errors import PriceDataError, TickerNotFoundError
from carrousel.finance.validation import clean_prices, detect_splits


def _unadjusted(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.drop(columns="adj_close")


def test_adjusts_with_adj_close(raw_aapl: pd.DataFrame) -> None:
    clean, notes = clean_prices(raw_aapl, "AAPL", min_history=100)
    assert notes == []
    np.testing.assert_allclose(clean["close"].to_numpy(), raw_aapl["adj_close"].to_numpy())
    assert (clean["high"] >= clean["low"]).all()


def test_empty_is_ticker_not_found() -> None:
    with pytest.raises(TickerNotFoundError, match="no prices for XYZ"):
        clean_prices(pd.DataFrame(columns=["open", "high", "low", "close", "volume"]), "XYZ")


def test_nans_duplicates_and_order_are_repaired_and_noted(raw_aapl: pd.DataFrame) -> None:
    df = raw_aapl.copy()
    df.iloc[10, df.columns.get_loc("close")] = np.nan  # missing close: row dropped
    df.iloc[20, df.columns.get_loc("open")] = np.nan  # missing open: set to close
    df = pd.concat([df, df.iloc[[30]]])  # duplicated date
    df = df.iloc[::-1]  # reversed order
    clean, notes = clean_prices(df, "AAPL", min_history=100)
    assert clean.index.is_monotonic_increasing and clean.index.is_unique
    assert len(clean) == len(raw_aapl) - 1
    text = " ".join(notes)
    assert "sorted" in text and "duplicated" in text and "missing close" in text and "missing open" in text
    assert not clean.isna().any().any()


def test_non_positive_prices_raise(raw_aapl: pd.DataFrame) -> None:
    df = raw_aapl.copy()
    df.iloc[50, df.columns.get_loc("low")] = 0.0
    with pytest.raises(PriceDataError, match="zero or negative"):
        clean_prices(df, "AAPL", min_history=100)


def test_short_history_raises(raw_aapl: pd.DataFrame) -> None:
    with pytest.raises(PriceDataError, match="only 50 usable trading days"):
        clean_prices(raw_aapl.iloc[:50], "AAPL", min_history=100)


def test_one_usable_day_is_said_in_the_singular(raw_aapl: pd.DataFrame) -> None:
    """Was "has only 1 usable trading days": the noun now agrees with the count."""
    with pytest.raises(PriceDataError, match=r"has only 1 usable trading day, at least 100 are needed"):
        clean_prices(raw_aapl.iloc[:1], "AAPL", min_history=100)


def _with_split(raw: pd.DataFrame, at: int, ratio: float) -> pd.DataFrame:
    """Fakes an unadjusted split: prices before row ``at`` multiplied by ``ratio``."""
    df = _unadjusted(raw).copy()
    cols = ["open", "high", "low", "close"]
    df.iloc[:at, [df.columns.get_loc(c) for c in cols]] *= ratio
    return df


def test_split_jump_is_detected_and_repaired(raw_aapl: pd.DataFrame) -> None:
    base = _unadjusted(raw_aapl)
    split = _with_split(raw_aapl, 400, 3.0)
    assert detect_splits(split["close"], split["open"]) == [(split.index[400], 3.0)]
    assert detect_splits(base["close"], base["open"]) == []  # a real history without splits: none found
    clean, notes = clean_prices(split, "AAPL", min_history=100)
    assert any("3x" in n for n in notes)
    np.testing.assert_allclose(clean["close"].to_numpy(), base["close"].to_numpy(), rtol=1e-12)


def test_split_jump_raises_when_repair_is_off(raw_aapl: pd.DataFrame) -> None:
    with pytest.raises(PriceDataError, match="unadjusted split"):
        clean_prices(_with_split(raw_aapl, 400, 2.0), "AAPL", min_history=100, repair_splits=False)


def test_constant_prices_are_an_error(raw_aapl: pd.DataFrame) -> None:
    flat = raw_aapl.assign(open=10.0, high=10.0, low=10.0, close=10.0, adj_close=10.0)
    with pytest.raises(PriceDataError, match="close never changes"):
        clean_prices(flat, "AAPL", min_history=100)


def test_one_day_spike_is_noted_not_hidden(raw_aapl: pd.DataFrame) -> None:
    bad = raw_aapl.copy()
    day = bad.index[300]
    bad.loc[day, ["open", "high", "low", "close", "adj_close"]] *= 50.0  # a bad tick, back the next day
    clean, notes = clean_prices(bad, "AAPL", min_history=100)
    assert len(clean) == len(raw_aapl)  # kept as given: only the user can tell a bad tick from a real move
    assert any("spike" in n and str(day.date()) in n and "x50" in n for n in notes), notes


@pytest.mark.parametrize(("rule", "kind"), [("W-FRI", "weekly"), ("BME", "monthly")])
def test_weekly_or_monthly_bars_are_refused(raw_aapl: pd.DataFrame, rule: str, kind: str) -> None:
    """Weekly or monthly bars were forecast as if each bar were one day (the next five sessions dated, a
    "5-day" horizon of five weeks); they are one error naming the spacing and the fix."""
    bars = raw_aapl.resample(rule).last().dropna()
    with pytest.raises(PriceDataError, match=f"apart \\(median\\): {kind} bars.*give daily prices"):
        clean_prices(bars, "AAPL", min_history=30)


def test_daily_bars_with_a_long_gap_are_accepted(raw_aapl: pd.DataFrame) -> None:
    gap = raw_aapl[(raw_aapl.index < "2005-01-01") | (raw_aapl.index >= "2006-01-01")]  # a year missing
    clean, _ = clean_prices(gap, "AAPL", min_history=100)
    assert len(clean) == len(gap)


def test_an_empty_adjusted_close_column_is_as_if_absent(raw_aapl: pd.DataFrame) -> None:
    """A blank ``Adj Close`` (a ticker merged into a file of others that have one) made every price NaN and
    the error said the close never changes "at nan"; it is now read as a file without the column."""
    blank = raw_aapl.assign(adj_close=np.nan)
    clean, notes = clean_prices(blank, "AAPL", min_history=100)
    ref, _ = clean_prices(_unadjusted(raw_aapl), "AAPL", min_history=100)
    pd.testing.assert_frame_equal(clean, ref)
    assert any("adjusted close column is empty" in n for n in notes)
