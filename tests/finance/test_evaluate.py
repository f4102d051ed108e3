"""Scoring: random walk's relative MAE of 1.0, Diebold-Mariano, binomial test, conformal coverage, verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.backtest import BacktestResult, run_backtest
from carrousel.finance.config import FinanceConfig
from carrousel.finance.conformal import adaptive_conformal, apply_offsets, conformal_offsets
from carrousel.finance.data import load_histories
from carrousel.finance.errors import PriceDataError
from carrousel.finance.evaluate import binomial_p, diebold_mariano, score_backtest
from carrousel.finance.features import build_series


def test_backtest_scores_every_model_and_random_walk_rel_mae_is_one(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]
    bt = run_backtest(series, cfg)
    assert bt.refits == 2
    assert set(bt.forecasts) == {
        "lstm",
        "random_walk",
        "drift",
        "zero_return",
        "ewma",
        "garch",
        "arima",
        "ensemble",
        "lstm_aci",
    }
    n = len(bt.actual)
    assert n == 2 * 40 and all(f.shape == (n, 3, 3) for f in bt.forecasts.values())
    assert not np.isnan(bt.actual).any()
    board = score_backtest(bt)
    assert board.get("random_walk").rel_mae == 1.0  # exactly: its own MAE over itself on the same windows
    assert board.get("zero_return").rel_mae == 1.0  # same point forecast as the random walk
    assert board.get("random_walk").directional_accuracy is None
    lstm = board.get("lstm")
    assert 0.5 < lstm.rel_mae < 2.0 and 0.0 <= lstm.coverage <= 1.0 and lstm.dm_p is not None
    assert "beats random walk: " in board.verdict and "(p=" in board.verdict
    assert board.scores[0].model == "lstm" and board.windows == n


def test_diebold_mariano_directions() -> None:
    rng = np.random.default_rng(0)
    ref = np.abs(rng.normal(size=400))
    assert diebold_mariano(ref, ref, 1) == (0.0, 1.0)
    stat, p = diebold_mariano(ref * 0.7, ref, 5)
    assert stat < 0 and p < 0.001
    stat, p = diebold_mariano(ref * 1.3, ref, 5)
    assert stat > 0 and p > 0.999
    _, p_noise = diebold_mariano(ref + rng.normal(0, 0.01, 400), ref, 1)
    assert 0.01 < p_noise < 0.99


def test_binomial_p_matches_the_exact_tail() -> None:
    assert binomial_p(60, 100) == pytest.approx(0.028443966820490392, rel=1e-9)
    assert binomial_p(0, 0) == 1.0


def test_conformal_offsets_restore_nominal_coverage() -> None:
    rng = np.random.default_rng(0)
    qs = (0.1, 0.5, 0.9)
    narrow = np.array([-0.5, 0.0, 0.5])  # a model far too confident for N(0, 1) outcomes
    calib_y = rng.normal(size=(4000, 2))
    pred = np.broadcast_to(narrow, (4000, 2, 3))
    off = conformal_offsets(pred, calib_y, qs)
    assert off[:, 1].tolist() == [0.0, 0.0]  # the median is left alone
    test_y = rng.normal(size=(4000, 2))
    cal = apply_offsets(pred, off)
    before = np.mean((test_y >= pred[..., 0]) & (test_y <= pred[..., 2]))
    after = np.mean((test_y >= cal[..., 0]) & (test_y <= cal[..., 2]))
    assert before < 0.45 and abs(after - 0.8) < 0.03


def test_short_history_shrinks_the_backtest(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",), start="2010-01-01")
    cfg = replace(cfg, backtest=replace(cfg.backtest, test_days=None, refit_every=100))  # the default
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]
    origins = len(series[0].close) - series[0].first_valid - (cfg.window.lookback - 1) - cfg.window.horizon
    bt = run_backtest(series, cfg)
    assert len(bt.actual) == origins - 150 < cfg.backtest.origins
    explicit = replace(cfg, backtest=replace(cfg.backtest, test_days=200))  # a number given must fit
    with pytest.raises(PriceDataError, match=f"give test_days={origins - 150} or fewer"):
        run_backtest(series, explicit)
    assert score_backtest(bt).get("random_walk").rel_mae == 1.0


def test_scoreboard_mase_steps_and_comparisons_by_hand(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL",))
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]
    bt = run_backtest(series, cfg)
    board = score_backtest(bt)
    s = series[0]
    first = int(np.searchsorted(s.dates, bt.dates.min()))
    scale = np.abs(np.diff(s.close[:first])).mean()
    rw = board.get("random_walk")
    truth = bt.base_price[:, None] * np.exp(bt.actual)
    assert rw.mase == pytest.approx(np.abs(bt.base_price[:, None] - truth).mean() / scale, rel=1e-9)
    assert [p.step for p in rw.per_step] == [1, 2, 3]
    assert rw.per_step[0].mae == pytest.approx(np.abs(bt.base_price - truth[:, 0]).mean(), rel=1e-9)
    assert np.mean([p.mae for p in rw.per_step]) == pytest.approx(rw.mae, rel=1e-9)
    for m in board.scores:  # every step holds the same number of windows: the steps average to the pooled
        assert np.mean([p.winkler for p in m.per_step]) == pytest.approx(m.winkler, rel=1e-9)
        assert np.mean([p.crps for p in m.per_step]) == pytest.approx(m.crps, rel=1e-9)
        assert m.per_step[0].directional_accuracy == m.directional_accuracy  # step 1: the next-day calls
    drift = board.get("drift")
    calls = np.sign(bt.forecasts["drift"][:, 2, bt.quantiles.index(0.5)]) == np.sign(bt.actual[:, 2])
    assert drift.per_step[2].directional_accuracy == pytest.approx(calls.mean())  # the move to step 3
    assert rw.per_step[2].directional_accuracy is None  # the random walk never calls a direction
    assert board.up_rate == pytest.approx(np.mean(bt.actual[:, 0] > 0))
    names = [c.baseline for c in board.comparisons]
    assert "lstm" not in names and "ensemble" not in names and "random_walk" in names
    best = min(board.comparisons, key=lambda c: c.loss)
    assert board.best_baseline == best.baseline and f"best baseline {best.baseline}: " in board.verdict
    assert all(c.p_holm >= c.p for c in board.comparisons) and board.verdict.count("\n") == 0
    assert rw.winkler > 0 and rw.crps > 0


def test_adaptive_conformal_tracks_a_volatility_regime_and_uses_no_future_outcome() -> None:
    rng = np.random.default_rng(1)
    qs = (0.1, 0.5, 0.9)
    n = 3000
    sigma = np.where(np.arange(n) < n // 2, 1.0, 3.0)  # volatility triples half-way
    y = rng.normal(size=(n, 2)) * sigma[:, None]
    pred = np.broadcast_to(np.array([-1.2816, 0.0, 1.2816]), (n, 2, 3)).copy()  # right for sigma 1 only
    static = np.mean((y[n // 2 :] >= pred[n // 2 :, :, 0]) & (y[n // 2 :] <= pred[n // 2 :, :, 2]))
    out = adaptive_conformal(pred, y, qs, 0.05)
    late = slice(n // 2 + 300, n)
    adaptive = np.mean((y[late] >= out[late, :, 0]) & (y[late] <= out[late, :, 2]))
    assert static < 0.45 and abs(adaptive - 0.8) < 0.04
    np.testing.assert_array_equal(out[..., 1], pred[..., 1])  # the median is untouched
    np.testing.assert_array_equal(adaptive_conformal(pred, y, qs, 0.0), pred)
    changed = y.copy()
    changed[-5:] += 100.0  # outcomes of the last origins: unknown at those origins
    again = adaptive_conformal(pred, changed, qs, 0.05)
    np.testing.assert_array_equal(again[: n - 4], out[: n - 4])


def test_rel_mae_over_several_tickers_counts_each_series_once() -> None:
    """Before: rel_mae was a ratio of pooled PRICE errors, ruled by the highest-priced ticker: here 0.91
    ("better than the random walk") while the network is 0.9x on a 1000-dollar ticker and 2x on a 10-dollar
    one. Now the mean of each series' ratio (as train-global's held-out summary averages them): 1.45."""
    rng = np.random.default_rng(0)
    n = 60
    tickers = np.array(["HI"] * n + ["LO"] * n, dtype=object)
    price0 = np.array([1000.0] * n + [10.0] * n)
    y = rng.normal(0, 0.01, (2 * n, 1))
    k = np.where(tickers == "HI", 0.9, 2.0)[:, None]  # the network's error as a multiple of the random walk's
    median = np.log1p(
        (1 - k) * np.expm1(y)
    )  # price error k * p0 * |e^y - 1|; the random walk's: p0 * |e^y - 1|
    spread = np.array([-0.02, 0.0, 0.02])
    bt = BacktestResult(
        model_name="lstm", quantiles=(0.1, 0.5, 0.9), horizon=1, tickers=tickers,
        dates=pd.DatetimeIndex(list(pd.bdate_range("2020-01-01", periods=n)) * 2), base_price=price0, actual=y,
        forecasts={"lstm": median[..., None] + spread, "random_walk": np.zeros((2 * n, 1, 1)) + spread},
        refits=1, window="expanding",
    )  # fmt: skip
    board = score_backtest(bt)
    lstm, rw = board.get("lstm"), board.get("random_walk")
    assert lstm.rel_mae == pytest.approx((0.9 + 2.0) / 2, rel=1e-9) and rw.rel_mae == 1.0
    assert lstm.mae / rw.mae == pytest.approx(0.91, abs=0.01)  # the pooled price ratio, still in the JSON
    assert "rel. MAE 1.450" in board.verdict
