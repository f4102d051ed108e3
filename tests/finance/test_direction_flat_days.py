"""The direction test's bar on outcomes with unchanged prices: "always down" is right on the down days only.

A flat next day (``log(C[t+1]/C[t]) == 0``; MSFT's adjusted close has 45 in the sample) is neither call's hit,
so the majority caller's accuracy is ``max(#up, #down) / n``. Before, the bar was ``max(up, 1 - up)``,
counting the flat days as "down" hits: on the sample's AAPL+MSFT backtest (500 next days: 229 up, 269 down,
2 flat) the bar was 0.542 instead of 0.538, and the network's direction p 0.887 instead of 0.849.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.evaluate import score_backtest
from carrousel.finance.scoring import direction_p


def test_direction_p_bar_is_the_down_share_when_given() -> None:
    # 100 outcomes: 40 up, 50 down, 10 flat; "always down" is right 50 times, not 60
    expected = stats.binomtest(56, 100, 0.5, alternative="greater").pvalue
    assert direction_p(56, 100, 0.4, 0.5) == pytest.approx(expected, rel=1e-12)
    assert direction_p(56, 100, 0.4) == direction_p(56, 100, 0.4, 0.6)  # no flat day: as before


def test_scoreboard_direction_p_leaves_flat_days_out_of_the_majority_bar() -> None:
    rng = np.random.default_rng(3)
    n, horizon, qs = 200, 2, (0.1, 0.5, 0.9)
    # 40% up, 50% down, 10% flat
    step1 = np.concatenate([np.full(80, 0.01), np.full(100, -0.01), np.zeros(20)])
    rng.shuffle(step1)
    actual = np.stack([step1, step1 + rng.normal(0, 0.01, n)], axis=1)
    spread = np.array([-0.02, 0.0, 0.02])
    right = rng.random(n) < 0.6  # the model calls the next day's sign right on about 60% of the moving days
    call = np.where(right, np.sign(step1), -np.sign(step1))
    call[call == 0] = 1.0  # a call on a flat day is never right
    model = (0.005 * call)[:, None, None] + np.zeros((n, horizon, 1)) + spread
    flat = np.zeros((n, horizon, 3)) + spread
    drift = flat + 0.001
    bt = BacktestResult(
        model_name="lstm",
        quantiles=qs,
        horizon=horizon,
        tickers=np.full(n, "X", dtype=object),
        dates=pd.bdate_range("2012-01-02", periods=n),
        base_price=np.full(n, 100.0),
        actual=actual,
        forecasts={"lstm": model, "random_walk": flat, "drift": drift},
        refits=1,
        window="expanding",
    )
    score = score_backtest(bt).get("lstm")
    hits = int(np.sum(np.sign(model[:, 0, 1]) == np.sign(step1)))
    assert score.directional_accuracy == hits / n
    # the majority caller ("always down") is right on the 100 down days: a bar of 0.5, not 0.6
    expected = stats.binomtest(hits, n, 0.5, alternative="greater").pvalue
    assert score.direction_p == pytest.approx(expected, rel=1e-12)
