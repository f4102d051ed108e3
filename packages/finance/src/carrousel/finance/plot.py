"""Fan chart PNG (matplotlib, Agg backend; ``pip install 'carrousel-finance[plot]'``): history, forecast
quantile bands, a zoom on the fan, and backtest errors at the chosen horizon step.

The figure has up to three panels: the last :data:`HISTORY_DAYS` sessions with the forecast fan; a zoom on
the last ``zoom`` sessions and the fan (with, when a backtest ran, its ``step``-day-ahead bands over those
sessions against the realised prices); and the rolling mean absolute error of the network and the random
walk at that step. The data behind the panels come from :func:`zoom_bands` and :func:`step_errors`, so a
test checks what is drawn without reading pixels.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.plots import pyplot, save_png
from carrousel.finance.backtest import BacktestResult
from carrousel.finance.data import PriceHistory

if TYPE_CHECKING:
    from carrousel.finance.pipeline import TickerForecast

__all__ = [
    "ERROR_WINDOW",
    "HISTORY_DAYS",
    "PLOT_EXTRA",
    "PLOT_PURPOSE",
    "ZOOM_DAYS",
    "draw_fan",
    "fan_chart",
    "fan_figure",
    "step_errors",
    "zoom_bands",
]

logger = logging.getLogger(__name__)

HISTORY_DAYS = 120  # trading days of history drawn before the forecast
ZOOM_DAYS = 30  # trading days of history in the zoom panel
ERROR_WINDOW = 20  # origins in the rolling mean of the error panel (a quarter of them when fewer than 80)
PLOT_EXTRA = "carrousel-finance[plot]"  # the extra that installs matplotlib, named when it is missing
PLOT_PURPOSE = "the fan chart (finance forecast --plot)"  # what needs it, for that error


@check_args
def step_errors(
    bt: BacktestResult, ticker: str, step: int, window: int = ERROR_WINDOW
) -> dict[str, pd.Series]:
    """Rolling mean absolute % price error at ``step`` days ahead of the network and the random walk.

    Args:
        bt: the backtest.
        ticker: whose windows.
        step: days ahead (1..H).
        window: origins per mean; the mean starts once the window is full (no short-window spike).

    Returns:
        Model name -> series indexed by target date (the origin date when target dates are unknown),
        holding ``100 * |exp(y) - exp(q50)|`` averaged over the last ``window`` origins; empty when the
        backtest holds no window of ``ticker``.
    """
    if not 1 <= step <= bt.horizon:
        raise ValueError(f"step {step} is outside 1..{bt.horizon}")
    keep = np.flatnonzero(bt.tickers == ticker)
    if len(keep) == 0:
        return {}
    keep = keep[np.argsort(bt.dates[keep], kind="stable")]
    mid, h = bt.quantiles.index(0.5), step - 1
    when = pd.DatetimeIndex(bt.target_dates[keep, h] if bt.target_dates is not None else bt.dates[keep])
    out = {}
    for name in (bt.model_name, "random_walk"):
        err = 100 * np.abs(np.expm1(bt.actual[keep, h]) - np.expm1(bt.forecasts[name][keep, h, mid]))
        out[name] = pd.Series(err, index=when).rolling(window, min_periods=window).mean().dropna()
    return out


@check_args
def zoom_bands(bt: BacktestResult, ticker: str, step: int, last: int = ZOOM_DAYS) -> pd.DataFrame:
    """The network's backtest quantiles ``step`` days ahead for the last ``last`` target dates, in prices.

    Returns:
        Rows indexed by target date: one column per quantile label (``p10``, ``p50``, ``p90``) and ``y``
        (the realised price); empty when the backtest holds no window of ``ticker``.
    """
    keep = np.flatnonzero(bt.tickers == ticker)
    if len(keep) == 0 or bt.target_dates is None:
        return pd.DataFrame()
    keep = keep[np.argsort(bt.dates[keep], kind="stable")][-last:]
    h, price0 = step - 1, bt.base_price[keep]
    cols = {
        f"p{100 * q:g}": price0 * np.exp(bt.forecasts[bt.model_name][keep, h, j])
        for j, q in enumerate(bt.quantiles)
    }
    cols["y"] = price0 * np.exp(bt.actual[keep, h])
    return pd.DataFrame(cols, index=pd.DatetimeIndex(bt.target_dates[keep, h]))


@check_args
def fan_figure(
    history: PriceHistory,
    forecast: TickerForecast,
    backtest: BacktestResult | None = None,
    step: int | None = None,
    zoom: int = ZOOM_DAYS,
) -> Any:
    """Builds the fan chart figure of one ticker (not written; see :func:`fan_chart`).

    Args:
        history: the ticker's prices.
        forecast: its forecast rows (quantile bands are drawn from the outermost pair inwards).
        backtest: when given, the zoom shows its ``step``-day-ahead bands and a lower panel its errors.
        step: the horizon step of the backtest bands and errors (default: the forecast's horizon).
        zoom: sessions of history in the zoom panel.

    Returns:
        The matplotlib figure: axes overview, zoom and (with a backtest) errors.

    Raises:
        MissingExtraError: when matplotlib is not installed (the message names the extra).
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    horizon = len(forecast.rows)
    step = horizon if step is None else step
    rows = 3 if backtest is not None else 2
    fig, axes = plt.subplots(rows, 1, figsize=(12, 3.2 * rows), squeeze=False)
    close = history.frame["close"]
    dates = pd.DatetimeIndex([close.index[-1], *pd.to_datetime([r.date for r in forecast.rows])])
    labels = list(forecast.rows[0].quantiles)
    fan = {lab: np.array([forecast.last_close, *(r.quantiles[lab] for r in forecast.rows)]) for lab in labels}
    median = np.array([forecast.last_close, *(r.median for r in forecast.rows)])
    sample = " - SAMPLE DATA" if history.source == "sample" else ""
    titles = (
        f"{forecast.ticker}: {horizon}-day forecast from {forecast.last_date}{sample}",
        f"zoom: last {zoom} sessions and the fan",
    )
    for ax, days, title in zip(axes[:2, 0], (HISTORY_DAYS, zoom), titles, strict=True):
        hist = close.iloc[-days:]
        ax.plot(hist.index, hist.to_numpy(), color="black", lw=1.2, label=history.price)
        draw_fan(ax, dates, fan, labels, median)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("price")
        ax.grid(alpha=0.3)
    if backtest is not None:
        bands = zoom_bands(backtest, forecast.ticker, step, zoom)
        if not bands.empty:
            lo, hi = labels[0], labels[-1]
            axes[1, 0].fill_between(bands.index, bands[lo], bands[hi], color="tab:orange", alpha=0.25,
                                    label=f"backtest {lo}-{hi}, {_ahead(step)}")  # fmt: skip
            axes[1, 0].plot(bands.index, bands["y"], "o", color="tab:orange", ms=2.5, label="realised")
        _error_panel(axes[2, 0], backtest, forecast.ticker, step)
    for ax in axes[:2, 0]:
        _legend(ax)
    fig.text(0.01, 0.01, history.label, fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


@check_args
def fan_chart(
    history: PriceHistory,
    forecast: TickerForecast,
    path: str | Path,
    backtest: BacktestResult | None = None,
    step: int | None = None,
    zoom: int = ZOOM_DAYS,
) -> Path:
    """Draws the fan chart of one ticker (see :func:`fan_figure`) and writes it as PNG
    (:func:`carrousel.core.plots.save_png`: atomically, or in place into a special file).

    Returns:
        The written path.

    Raises:
        MissingExtraError: when matplotlib is not installed (the message names the extra).
    """
    out = save_png(fan_figure(history, forecast, backtest, step, zoom), path)
    logger.debug("fan chart written to %s", out)
    return out


def draw_fan(
    ax: Any, dates: pd.DatetimeIndex, fan: dict[str, np.ndarray], labels: list[str], median: np.ndarray
) -> None:
    """Draws a forecast fan on ``ax``: a band per quantile pair (``labels[i]``-``labels[-1 - i]``, the inner
    ones darker) and the median line (label ``median forecast``).

    Args:
        ax: the matplotlib axes.
        dates: ``(n,)`` the x values (the last observed date, then the forecast dates).
        fan: quantile label -> ``(n,)`` prices at ``dates``.
        labels: the quantile labels, lowest first.
        median: ``(n,)`` the median prices.
    """
    n_pairs = len(labels) // 2
    for i in range(n_pairs):
        lo, hi = labels[i], labels[-1 - i]
        alpha = 0.2 + 0.25 * i / max(n_pairs, 1)
        ax.fill_between(dates, fan[lo], fan[hi], color="tab:blue", alpha=alpha, label=f"{lo}-{hi}")
    ax.plot(dates, median, color="tab:blue", lw=1.5, label="median forecast")


def _legend(ax: Any) -> None:
    # beside the panel, never over it: a falling price (or a wide backtest band) fills any inside corner;
    # tight_layout gives every panel of the column the same width, so their dates stay aligned
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)


def _error_panel(ax: Any, bt: BacktestResult, ticker: str, step: int) -> None:
    # a short backtest (20 origins: one full 20-origin mean, an empty panel) gets a shorter mean
    window = max(1, min(ERROR_WINDOW, int((bt.tickers == ticker).sum()) // 4))
    errors = step_errors(bt, ticker, step, window)
    for (name, series), color in zip(errors.items(), ("tab:blue", "tab:gray"), strict=False):
        ax.plot(
            series.index, series.to_numpy(), color=color, lw=1, marker="." if len(series) < 40 else None,
            label=f"{name} ({window}-origin mean)",
        )  # fmt: skip
    # evenly spaced dates: the default restarts its day ticks each month, so a short backtest printed
    # 2018-11-29 over 2018-12-01 (the locator is matplotlib's AutoDateLocator once dates are drawn)
    locator = ax.xaxis.get_major_locator()
    if hasattr(locator, "interval_multiples"):
        locator.interval_multiples = False
    ax.set_ylabel(f"{step}-day-ahead abs. error, %")
    ax.set_title(f"walk-forward backtest errors {_ahead(step)} (by target date)", fontsize=9)
    _legend(ax)
    ax.grid(alpha=0.3)


def _ahead(step: int) -> str:
    """``1 day ahead``, ``5 days ahead``: the step in the zoom's legend and the error panel's title."""
    return f"{step} day{'' if step == 1 else 's'} ahead"
