"""The verdict's Holm family holds each distinct test once: baselines whose point forecasts are equal (the
random walk and zero return, drift and EWMA) give identical DM tests, which must not be counted twice."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.evaluate import score_backtest
from carrousel.finance.scoring import holm
from tests.finance.test_finance_interval_tests import Z, one_series_backtest


def _twins(n: int = 300, horizon: int = 2, seed: int = 0) -> BacktestResult:
    """A network whose median knows a little of the outcome; random_walk/zero_return share the zero median,
    drift/ewma a drift median, each pair with other spreads (their intervals differ, their medians do not)."""
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, 0.01, (n, horizon))
    ks = np.sqrt(np.arange(1, horizon + 1))[None, :, None]
    wide, narrow = 0.012 * ks * Z, 0.008 * ks * Z
    net = (0.007 * y + rng.normal(0.0, 0.001, (n, horizon)))[..., None] + narrow
    drift = np.full((n, horizon, 1), 0.0005)
    forecasts = {
        "lstm": net,
        "random_walk": np.broadcast_to(wide, net.shape).copy(),
        "zero_return": np.broadcast_to(narrow, net.shape).copy(),
        "drift": drift + wide,
        "ewma": drift + narrow,
    }
    return one_series_backtest(y, forecasts)


def test_twin_baselines_are_one_test_in_the_verdicts_holm_family() -> None:
    board = score_backtest(_twins())
    comps = {c.baseline: c for c in board.comparisons}
    assert set(comps) == {"random_walk", "zero_return", "drift", "ewma"}  # every baseline still reported
    assert comps["random_walk"].p == comps["zero_return"].p and comps["drift"].p == comps["ewma"].p
    p_rw, p_drift = comps["random_walk"].p, comps["drift"].p
    want = holm([p_rw, p_drift])  # two distinct tests, not four
    assert (
        comps["random_walk"].p_holm == comps["zero_return"].p_holm == pytest.approx(want[0], rel=1e-12, abs=0)
    )
    assert comps["drift"].p_holm == comps["ewma"].p_holm == pytest.approx(want[1], rel=1e-12, abs=0)
    # counted twice, the family of four would have lifted both above 0.05 and said "no"
    assert max(want) < 0.05 < min(holm([p_rw, p_rw, p_drift, p_drift]))
    assert board.verdict.startswith("lstm beats random walk: yes (p=")
    rows = {c["baseline"]: c for c in board.to_dict()["comparisons"]}  # type: ignore[union-attr]
    assert rows["zero_return"]["p_holm"] == rows["random_walk"]["p_holm"]
    assert f"p={comps['random_walk'].p_holm:.3g} Holm-adjusted" in board.verdict
    # the intervals' family: the twins' quantiles differ, so their pinball tests stay four distinct ones
    pins = {c.baseline: c for c in board.interval_comparisons}
    assert [pins[k].p_holm for k in comps] == pytest.approx(holm([pins[k].p for k in comps]), rel=1e-12)


def test_holm_distinct_is_holm_over_the_first_of_each_identical_sample() -> None:
    from carrousel.finance.scoring import holm_distinct  # imported here: the test above runs on main too

    a, b, c = np.array([1.0, 2.0]), np.array([1.0, 3.0]), np.array([0.5, 2.0])
    ps = [0.01, 0.04, 0.01, 0.03]
    assert holm_distinct(ps, [a, b, a.copy(), c]) == pytest.approx([0.03, 0.06, 0.03, 0.06])
    assert holm_distinct(ps, [a, b, c, a + 1]) == pytest.approx(holm(ps))  # none alike: plain Holm
    assert holm_distinct([], []) == []
    with pytest.raises(ValueError, match="one sample per test"):
        holm_distinct([0.1], [])
