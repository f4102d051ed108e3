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

from carrousel.finance.plot import fan_figure
from tests.finance.fan_inputs import backtest, history_and_forecast

pytest.importorskip("matplotlib")

DAYS = pd.bdate_range(end="2018-12-31", periods=300)
CLOSE = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 300)))


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

    fig = fan_figure(*history_and_forecast(DAYS, CLOSE), backtest(DAYS, CLOSE, origins))
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        assert [_overlapping(ax, renderer) for ax in fig.axes] == [[], [], []]
    finally:
        plt.close(fig)
