"""``Forecaster.predict`` (and ``finance predict``, which calls it) on a frame whose dates do not keep the
model's calendar: the forecasts are dated on that calendar's sessions, so a series with a row for every day
(crypto, some FX) has its step 4 of 5 labelled Monday for what the network takes as Saturday. The loaders
behind ``finance forecast|backtest`` warned about it; the DataFrame API said nothing. Now the same check."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import (
    BacktestConfig,
    DataConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
)
from carrousel.finance.frames import Forecaster


def _series(name: str, ds: pd.DatetimeIndex, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(ds))))
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": y})


def _sessions(start: str, n: int) -> pd.DatetimeIndex:
    from carrousel.finance.calendar import get_calendar

    cal = get_calendar("XNYS", 2012)
    return pd.DatetimeIndex(cal.sessions_window(pd.Timestamp(start), n)).tz_localize(None)


@pytest.fixture(scope="module")
def model() -> Forecaster:
    cfg = FinanceConfig(
        data=DataConfig(calendar="XNYS"),  # set: the default "auto" dates each series on its own calendar
        window=WindowConfig(lookback=20, horizon=3),
        model=ModelConfig(hidden_size=8, members=1),
        train=TrainSettings(epochs=1, patience=1, max_windows=100),
        backtest=BacktestConfig(auto_baselines=False),
    )
    ds = _sessions("2010-01-04", 260)
    return Forecaster.fit(pd.concat([_series("A", ds), _series("B", ds, seed=9)], ignore_index=True), cfg)


def _calendar_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "XNYS" in r.getMessage()
    ]


def test_predict_warns_about_a_series_off_the_models_calendar(
    model: Forecaster, caplog: pytest.LogCaptureFixture
) -> None:
    daily = _series("BTC", pd.date_range("2011-01-01", periods=140, freq="D"), seed=1)
    stock = _series("A", _sessions("2011-01-03", 100), seed=2)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        pred = model.predict(pd.concat([stock, daily], ignore_index=True))
    assert set(pred["unique_id"]) == {"A", "BTC"}  # still forecast, on XNYS sessions as before
    lines = _calendar_warnings(caplog)
    assert len(lines) == 1, lines  # before: none
    assert lines[0].startswith("BTC: 43 of 140 rows (31%) fall on days XNYS is closed")
    assert 'DataConfig(calendar=...) for Forecaster.fit): "24/7"' in lines[0]
    assert "train-global's --calendar" in lines[0]


def test_predict_warns_about_a_series_missing_many_sessions(
    model: Forecaster, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = _sessions("2011-01-03", 110)
    sparse = _series("THIN", sessions[np.arange(len(sessions)) % 10 != 5], seed=3)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        model.predict(sparse)
    lines = _calendar_warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith("THIN: 11 of 110 XNYS sessions (10%) have no row"), lines


def test_a_panel_off_the_calendar_names_five_series_and_counts_the_rest(
    model: Forecaster, caplog: pytest.LogCaptureFixture
) -> None:
    days = pd.date_range("2011-01-01", periods=140, freq="D")
    panel = pd.concat([_series(f"C{i}", days, seed=i) for i in range(8)], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        pred = model.predict(panel)
    assert pred["unique_id"].nunique() == 8
    lines = _calendar_warnings(caplog)
    assert len(lines) == 6, lines  # before: one per series, 8 (hundreds for a panel of hundreds)
    assert [line.split(":")[0] for line in lines[:5]] == ["C0", "C1", "C2", "C3", "C4"]
    assert lines[5].startswith("3 more series fall on days XNYS is closed or miss many of its sessions too")
    assert "DataConfig(calendar=...)" in lines[5]
    alone = [r.getMessage() for r in caplog.records if "closes alone" in r.getMessage()]
    assert len(alone) == 6 and alone[5].startswith("3 more series"), alone  # the same pattern


def test_a_series_predict_skips_as_too_short_gets_no_calendar_warning(
    model: Forecaster, caplog: pytest.LogCaptureFixture
) -> None:
    stock = _series("A", _sessions("2011-01-03", 100), seed=2)
    short = _series("NEW", pd.date_range("2011-06-01", periods=15, freq="D"), seed=4)  # 4 weekend rows
    with caplog.at_level(logging.WARNING, logger="carrousel.finance"):
        pred = model.predict(pd.concat([stock, short], ignore_index=True))
    assert set(pred["unique_id"]) == {"A"} and pred.attrs["skipped"][0]["unique_id"] == "NEW"
    assert _calendar_warnings(caplog) == []  # before: 'NEW: 4 of 15 rows (27%) fall on days XNYS is closed'
    assert not [r for r in caplog.records if r.getMessage().startswith("NEW:")]
