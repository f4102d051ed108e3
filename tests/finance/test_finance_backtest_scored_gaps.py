"""A backtest says where its scores fall short of what they seem to cover.

Before, both were silent: OLD misses 10 sessions inside the test period (3% of its sessions, under the 5%
that warns, so an info line alone) and a forecast's step is a row offset, so step 1 across the gap was scored
as a one-day forecast; NEW, listed part-way through the test period, was forecast only by the blocks whose
refit trained on it (40 of the 60 test origins) with no word.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.frames import cross_validation

CFG = FinanceConfig(
    window=WindowConfig(lookback=20, horizon=3),
    model=ModelConfig(hidden_size=8, members=1),
    train=TrainSettings(epochs=1, patience=1, max_windows=200),
    backtest=BacktestConfig(test_days=60, refit_every=20, auto_baselines=False),
)


def _series(name: str, ds: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, len(ds))))
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": y})


def _backtest(caplog: pytest.LogCaptureFixture) -> tuple[pd.DataFrame, list[str]]:
    days = pd.bdate_range("2010-01-04", periods=300)
    old = _series("OLD", days.delete(range(260, 270)), 0)  # 10 sessions without a row in the test period
    new = _series("NEW", days[-100:], 1)  # listed 100 sessions before the end
    with caplog.at_level(logging.WARNING, logger="carrousel.finance.backtest_checks"):
        cv = cross_validation(pd.concat([old, new], ignore_index=True), CFG)
    lines = [r.getMessage() for r in caplog.records if r.name == "carrousel.finance.backtest_checks"]
    return cv, lines


def test_a_gap_inside_the_scored_period_is_named_with_its_dates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, lines = _backtest(caplog)
    said = [line for line in lines if "without a row inside its scored period" in line]
    assert said == [
        "OLD: 10 24/5 sessions without a row inside its scored period (2011-01-03 to 2011-01-14); 3 of 50 "
        "scored forecasts span a gap, each scored at the step of its row (step 1 can span 11 sessions); fill "
        "the missing days, or start the test after the gap"
    ]


def test_a_series_listed_part_way_through_the_test_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cv, lines = _backtest(caplog)
    assert cv[cv["unique_id"] == "NEW"]["cutoff"].nunique() == 40
    said = [line for line in lines if "test origins" in line]
    assert len(said) == 1 and said[0].startswith(
        "NEW: forecast at 40 of the 60 test origins, from 2010-12-29"
    )
    assert "refit_every" in said[0]
