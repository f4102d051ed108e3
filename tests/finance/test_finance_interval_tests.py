"""The intervals' Diebold-Mariano tests: pinball loss per window, a t-test reference at horizon 1, the line."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.evaluate import ALPHA, pinball_rows, score_backtest
from carrousel.finance.members import with_members
from carrousel.finance.scoring import holm

QS = (0.1, 0.5, 0.9)
Z = stats.norm.ppf(QS)


def _backtest(horizon: int, n: int = 400, seed: int = 0) -> BacktestResult:
    """Outcomes with clustered volatility; the network knows each day's volatility, the random walk a constant
    one, zero_return a noisy version of the network's, ``ensemble`` and ``lstm_aci`` copies of it."""
    rng = np.random.default_rng(seed)
    vol = 0.01 * np.exp(np.cumsum(rng.normal(0, 0.15, n)) * 0.3)
    y = rng.normal(size=(n, horizon)) * vol[:, None] * np.sqrt(np.arange(1, horizon + 1))
    spread = vol[:, None, None] * np.sqrt(np.arange(1, horizon + 1))[None, :, None]
    net = spread * Z
    flat = np.broadcast_to(vol.mean() * np.sqrt(np.arange(1, horizon + 1))[None, :, None] * Z, net.shape)
    noisy = net * np.exp(rng.normal(0, 0.3, (n, 1, 1)))
    forecasts = {"lstm": net, "random_walk": flat.copy(), "zero_return": noisy, "ensemble": net.copy()}
    forecasts["lstm_aci"] = net * 1.01
    return one_series_backtest(y, forecasts)


def one_series_backtest(actual: np.ndarray, forecasts: dict[str, np.ndarray]) -> BacktestResult:
    """The backtest of one series ``X`` (price 100, business days from 2015-01-01, one refit) whose log
    returns are ``actual`` (origins x horizon) and ``forecasts`` the :data:`QS` quantiles of ``lstm`` and
    its baselines (origins x horizon x 3)."""
    n, horizon = actual.shape
    return BacktestResult(
        model_name="lstm",
        quantiles=QS,
        horizon=horizon,
        tickers=np.array(["X"] * n),
        dates=pd.bdate_range("2015-01-01", periods=n),
        base_price=np.full(n, 100.0),
        actual=actual,
        forecasts=forecasts,
        refits=1,
        window="expanding",
    )


def test_pinball_rows_average_to_the_scoreboard_pinball() -> None:
    bt = _backtest(3)
    board = score_backtest(bt)
    for name, f in bt.forecasts.items():
        assert pinball_rows(f, bt.actual, QS).mean() == pytest.approx(board.get(name).pinball, rel=1e-6)
    one = pinball_rows(np.array([[[-1.0, 0.0, 1.0]]]), np.array([[0.02]]), QS)  # errors 102, 2, -98 percent
    assert one.tolist() == pytest.approx([(0.1 * 102 + 0.5 * 2 + 0.1 * 98) / 3])


def test_horizon_one_interval_test_is_the_one_sided_t_test_of_the_differences() -> None:
    bt = _backtest(1)
    board = score_backtest(bt)
    comps = {c.baseline: c for c in board.interval_comparisons}
    assert set(comps) == {"random_walk", "zero_return"}  # never the ensemble or the ACI row (they hold it)
    loss = {k: pinball_rows(f, bt.actual, QS) for k, f in bt.forecasts.items()}
    raw = []
    for name in ("random_walk", "zero_return"):
        d = loss["lstm"] - loss[name]
        ref = stats.ttest_1samp(d, 0.0, alternative="less")  # DM with HLN at h = 1 is exactly this t-test
        assert comps[name].dm_stat == pytest.approx(ref.statistic, rel=1e-9)
        assert comps[name].p == pytest.approx(ref.pvalue, rel=1e-9)
        assert comps[name].loss == pytest.approx(loss[name].mean(), rel=1e-12)
        raw.append(ref.pvalue)
    assert [comps[k].p_holm for k in ("random_walk", "zero_return")] == pytest.approx(holm(raw), rel=1e-9)


def test_interval_line_names_the_best_baseline_and_says_yes_only_when_significant() -> None:
    bt = _backtest(3)
    board = score_backtest(bt)
    best = min(board.interval_comparisons, key=lambda c: c.loss)
    assert board.best_interval_baseline == best.baseline
    assert best.p_holm < ALPHA  # the network knows the volatility: clearly better than both
    assert board.interval_verdict.startswith(
        f"lstm intervals beat best baseline {best.baseline}: yes (pinball "
    )
    assert "\n" not in board.interval_verdict and board.verdict.count("\n") == 0
    # the same forecast as a baseline: no difference, no "yes"
    same = score_backtest(replace(bt, forecasts={**bt.forecasts, "zero_return": bt.forecasts["lstm"]}))
    twin = next(c for c in same.interval_comparisons if c.baseline == "zero_return")
    assert twin.p == 1.0 and same.best_interval_baseline == "zero_return"
    assert ": no (pinball" in same.interval_verdict
    assert same.to_dict()["interval_verdict"] == same.interval_verdict


def test_a_yes_of_the_intervals_stands_only_when_most_members_reach_it_alone() -> None:
    bt = _backtest(3)
    net, flat = bt.forecasts["lstm"], bt.forecasts["random_walk"]
    alike = replace(bt, members=np.stack([net, net * 1.001]), member_seeds=(0, 1))
    assert ": yes (pinball" in with_members(alike, score_backtest(alike)).interval_verdict
    lucky = replace(bt, members=np.stack([flat, flat * 1.001, net]), member_seeds=(0, 1, 2))
    board = with_members(lucky, score_backtest(lucky))
    assert ": no (ensemble alone: 1/3 members) (pinball" in board.interval_verdict
