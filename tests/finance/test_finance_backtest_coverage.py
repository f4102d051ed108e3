"""A backtest over series of different date ranges (an old stock beside a recent listing): a series that gets
no backtest forecast is named (one warning line, ``cross_validation(...).attrs["skipped"]``), never dropped
from the scores in silence, and a backtest where no series gets one is a one-line ``PriceDataError``."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.errors import PriceDataError
from carrousel.finance.frames import cross_validation

CFG = FinanceConfig(
    window=WindowConfig(lookback=20, horizon=3),
    model=ModelConfig(hidden_size=8, members=1),
    train=TrainSettings(epochs=1, patience=1, max_windows=200),
    backtest=BacktestConfig(test_days=60, refit_every=60, auto_baselines=False),
)


def _series(name: str, start: str, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range(start, periods=rows)
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))})


def test_a_recent_listing_without_backtest_forecasts_is_named_not_dropped_in_silence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = _series("OLD", "2010-01-04", 300, 0)
    # listed 40 sessions ago: no refit trains on it
    new = _series("NEW", str(old["ds"].iloc[-40].date()), 40, 1)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        cv = cross_validation(pd.concat([old, new], ignore_index=True), CFG)
    assert cv["unique_id"].unique().tolist() == ["OLD"]
    # before: NEW vanished from the scores with no word (attrs had no "skipped", no warning)
    assert cv.attrs["skipped"] == [{"unique_id": "NEW", "reason": "no backtest forecast", "rows": 40}]
    lines = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert lines[0].startswith("1 of 2 series left out of the backtest") and "NEW (40 rows from" in lines[0]


def test_a_backtest_where_no_series_gets_a_forecast_is_one_clear_error() -> None:
    old = _series("OLD", "2010-01-04", 300, 0)  # ends before the test period
    new = _series("NEW", "2012-01-02", 90, 1)  # the test period, too short to train on before any refit
    with pytest.raises(PriceDataError) as err:  # before: ValueError "need at least one array to concatenate"
        cross_validation(pd.concat([old, new], ignore_index=True), CFG)
    message = str(err.value)
    assert "\n" not in message and "no series has a backtest forecast" in message
    assert "NEW" in message and "OLD" in message
