"""MASE over series of different date ranges: a series listed during the test period is scaled by its own
history before its first test origin, so no model's MASE is lost.

Before, every series was scaled by its rows before the backtest's first origin: a listing after it had none,
its scale was NaN, and the pooled MASE of every model (and every per-step MASE) became None without a word
(``finance backtest AAPL FB --source sample --test-days 250 --refit-every 50``, ``[data] min_history = 30``:
MASE n/a on all 12 rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carrousel.finance.backtest import run_backtest
from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.evaluate import score_backtest
from carrousel.finance.features import build_series

CFG = FinanceConfig(
    window=WindowConfig(lookback=10, horizon=2),
    model=ModelConfig(hidden_size=4, members=1),
    train=TrainSettings(epochs=1, patience=1, max_windows=200),
    backtest=BacktestConfig(test_days=120, refit_every=40, auto_baselines=False, ensemble=False),
)


def _frame(start: str, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    return pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=pd.bdate_range(start, periods=rows),
    )


def test_a_series_listed_during_the_test_period_keeps_every_mase() -> None:
    old = _frame("2010-01-04", 400, 0)
    new = _frame(str(old.index[-110].date()), 110, 1)  # listed after the first test origin
    series = [build_series("OLD", old), build_series("NEW", new)]
    bt = run_backtest(series, CFG)
    assert set(bt.tickers) == {"OLD", "NEW"}  # NEW is forecast in the later blocks
    first = {t: bt.dates[bt.tickers == t].min() for t in ("OLD", "NEW")}
    assert first["NEW"] > bt.dates.min()
    for s in series:  # the in-sample one-step naive MAE of the rows before the series' own first origin
        rows = s.close[: int(np.searchsorted(s.dates, first[s.ticker]))]
        assert bt.scales[s.ticker] == np.mean(np.abs(np.diff(rows)))
    board = score_backtest(bt)
    for score in board.scores:
        assert score.mase is not None and np.isfinite(score.mase), score.model
        assert all(step.mase is not None for step in score.per_step), score.model
    rw = board.get("random_walk")
    mid = bt.quantiles.index(0.5)
    truth = bt.base_price[:, None] * np.exp(bt.actual)
    point = bt.base_price[:, None] * np.exp(bt.forecasts["random_walk"][..., mid])
    scale = np.array([bt.scales[str(t)] for t in bt.tickers])[:, None]
    assert rw.mase == np.mean(np.abs(point - truth) / scale)
