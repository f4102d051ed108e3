"""Fan chart PNG (matplotlib, Agg backend; ``pip install 'carrousel-finance[plot]'``): history, forecast
quantile bands and backtest errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carrousel.core.io import atomic_path
from carrousel.core.optional import require
from carrousel.finance.backtest import BacktestResult
from carrousel.finance.data import PriceHistory

if TYPE_CHECKING:
    from carrousel.finance.pipeline import TickerForecast

__all__ = ["fan_chart"]

logger = logging.getLogger(__name__)

_HISTORY_DAYS = 120  # trading days of history drawn before the forecast


def fan_chart(
    history: PriceHistory,
    forecast: TickerForecast,
    path: str | Path,
    backtest: BacktestResult | None = None,
) -> Path:
    """Draws a fan chart of one ticker and writes it atomically as PNG.

    Args:
        history: the ticker's prices.
        forecast: its forecast rows (quantile bands are drawn from the outermost pair inwards).
        path: output ``.png`` file.
        backtest: when given, a lower panel shows the rolling absolute % error of the network against
            the random walk over the backtest windows (next-day horizon).

    Returns:
        The written path.

    Raises:
        MissingExtraError: when matplotlib is not installed (the message names the extra).
    """
    matplotlib = require("matplotlib", "carrousel-finance[plot]", "the fan chart (--plot, --out)")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot", "carrousel-finance[plot]", "the fan chart (--plot, --out)")

    rows = 2 if backtest is not None else 1
    fig, axes = plt.subplots(rows, 1, figsize=(10, 6 if rows == 2 else 4.5), squeeze=False)
    ax = axes[0, 0]
    hist = history.frame["close"].iloc[-_HISTORY_DAYS:]
    ax.plot(hist.index, hist.to_numpy(), color="black", lw=1.2, label="adjusted close")
    dates = pd.DatetimeIndex([hist.index[-1], *pd.to_datetime([r.date for r in forecast.rows])])
    labels = list(forecast.rows[0].quantiles)
    series = {
        lab: np.array([forecast.last_close, *(r.quantiles[lab] for r in forecast.rows)]) for lab in labels
    }
    n_pairs = len(labels) // 2
    for i in range(n_pairs):
        lo, hi = labels[i], labels[-1 - i]
        alpha = 0.2 + 0.25 * i / max(n_pairs, 1)
        ax.fill_between(dates, series[lo], series[hi], color="tab:blue", alpha=alpha, label=f"{lo}-{hi}")
    median = np.array([forecast.last_close, *(r.median for r in forecast.rows)])
    ax.plot(dates, median, color="tab:blue", lw=1.5, label="median forecast")
    sample = " - SAMPLE DATA" if history.source == "sample" else ""
    ax.set_title(f"{forecast.ticker}: {len(forecast.rows)}-day forecast from {forecast.last_date}{sample}")
    ax.set_ylabel("price")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    if backtest is not None:
        _error_panel(axes[1, 0], backtest, forecast.ticker)
    fig.text(0.01, 0.01, history.label, fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    logger.debug("fan chart written to %s", out)
    return out


def _error_panel(ax: object, bt: BacktestResult, ticker: str) -> None:
    keep = bt.tickers == ticker
    if not keep.any():
        return
    mid = bt.quantiles.index(0.5)
    dates = bt.dates[keep]
    actual = bt.actual[keep, 0]
    for name, color in ((bt.model_name, "tab:blue"), ("random_walk", "tab:gray")):
        err = 100 * np.abs(np.expm1(actual) - np.expm1(bt.forecasts[name][keep, 0, mid]))
        smooth = pd.Series(err, index=dates).rolling(20, min_periods=1).mean()
        ax.plot(smooth.index, smooth.to_numpy(), color=color, lw=1, label=f"{name} (20-day mean)")  # type: ignore[attr-defined]
    ax.set_ylabel("next-day abs. error, %")  # type: ignore[attr-defined]
    ax.set_title("walk-forward backtest errors", fontsize=9)  # type: ignore[attr-defined]
    ax.legend(loc="upper left", fontsize=8)  # type: ignore[attr-defined]
    ax.grid(alpha=0.3)  # type: ignore[attr-defined]
