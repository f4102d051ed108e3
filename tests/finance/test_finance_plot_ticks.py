"""The fan chart's backtest-error panel: its date labels never overlap, however short the backtest.

Before: matplotlib's default date ticks restart each month, so a 30-origin backtest ending in December
printed "2018-11-29" over "2018-12-01" and "2018-12-29" over "2019-01-01" (finance forecast --test-days 30).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.data import PriceHistory
from carrousel.finance.forecast_rows import ForecastRow, TickerForecast
from carrousel.finance.plot import fan_figure

pytest.importorskip("matplotlib")

H = 5
DAYS = pd.bdate_range(end="2018-12-31", periods=300)
CLOSE = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 300)))


def _backtest(n: int) -> BacktestResult:
    first = len(DAYS) - H - n
    origins, steps = np.arange(first, first + n), np.arange(1, H + 1)
    actual = np.log(CLOSE[origins[:, None] + steps] / CLOSE[origins, None])
    net = np.repeat(actual[..., None], 3, axis=2) + np.array([-0.02, 0.0, 0.02])
    rw = np.zeros((n, H, 3)) + np.array([-0.03, 0.0, 0.03])
    return BacktestResult(
        model_name="lstm", quantiles=(0.1, 0.5, 0.9), horizon=H, tickers=np.full(n, "AAA", dtype=object),
        dates=DAYS[origins], base_price=CLOSE[origins], actual=actual,
        forecasts={"lstm": net, "random_walk": rw}, refits=1, window="expanding",
        target_dates=DAYS.to_numpy()[origins[:, None] + steps],
    )  # fmt: skip


def _forecast() -> tuple[PriceHistory, TickerForecast]:
    frame = pd.DataFrame(
        {"open": CLOSE, "high": CLOSE, "low": CLOSE, "close": CLOSE, "volume": 1e6}, index=DAYS
    )
    history = PriceHistory("AAA", frame, "csv", "test prices", (), "0" * 64)
    last = float(CLOSE[-1])
    rows = tuple(
        ForecastRow(str(d.date()), i + 1, last, 0.0, {"p10": last * 0.99, "p50": last, "p90": last * 1.01})
        for i, d in enumerate(pd.bdate_range(DAYS[-1], periods=H + 1)[1:])
    )
    return history, TickerForecast(
        "AAA", "csv", "test prices", str(DAYS[0].date()), str(DAYS[-1].date()), last, rows
    )


def _overlapping(ax: Any, renderer: Any) -> list[tuple[str, str]]:
    lo, hi = ax.get_xlim()
    shown = [
        (label.get_window_extent(renderer), label.get_text())
        for label, at in zip(ax.get_xticklabels(), ax.get_xticks(), strict=True)
        if lo <= at <= hi and label.get_text()
    ]
    return [(a[1], b[1]) for a, b in itertools.pairwise(shown) if a[0].x1 > b[0].x0]


@pytest.mark.parametrize("origins", [20, 30, 60, 250])
def test_no_date_label_overlaps_another(origins: int) -> None:
    import matplotlib.pyplot as plt

    fig = fan_figure(*_forecast(), _backtest(origins))
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        assert [_overlapping(ax, renderer) for ax in fig.axes] == [[], [], []]
    finally:
        plt.close(fig)
