"""The chart of ``finance predict --plot``: small multiples of the forecast series.

A grid of at most :data:`GRID_SERIES` panels, the first series of the forecasts in the table's order: each
the last :data:`GRID_HISTORY_DAYS` sessions of the series and its forecast fan (the median and the band of
each quantile pair, drawn by :func:`carrousel.finance.plot.draw_fan`, from the last observed price), the
series id as the panel's title, the dates formatted alike on every panel. :func:`grid_panels` gives the
data drawn, so a test checks the chart without reading pixels.

matplotlib comes through :mod:`carrousel.core.plots` (the ``carrousel-finance[plot]`` extra), imported only
when the chart is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.plots import pyplot, save_png, wrap_to
from carrousel.finance.plot import PLOT_EXTRA, draw_fan

__all__ = [
    "GRID_HISTORY_DAYS",
    "GRID_SERIES",
    "PLOT_EXTRA",
    "PLOT_PURPOSE",
    "GridPanel",
    "grid_panels",
    "predict_figure",
    "predict_png",
]

GRID_SERIES = 12  # panels at most: the first series of the table
GRID_HISTORY_DAYS = 60  # sessions of history drawn before each forecast
PLOT_PURPOSE = "the forecast grid (finance predict --plot)"
_COLUMNS = 4  # panels per row at most


@dataclass(frozen=True, eq=False)
class GridPanel:
    """One series' panel.

    Attributes:
        series: the series id, as text (the panel's title).
        history: the last observed prices, indexed by date.
        dates: ``(n,)`` the forecast dates.
        fan: quantile label (``p10``, ``p50``, ``p90``) -> ``(n,)`` forecast prices at ``dates``.
    """

    series: str
    history: pd.Series
    dates: pd.DatetimeIndex
    fan: dict[str, np.ndarray]


def _quantile_labels(pred: pd.DataFrame) -> list[str]:
    """The forecast's quantile columns (``p10``, ``p50``, ``p90``), lowest first; not the ``*_aci`` ones."""
    labels = [c for c in pred.columns if c.startswith("p") and not c.endswith("_aci")]
    return sorted(labels, key=lambda c: float(c[1:]))


@check_args
def grid_panels(
    frame: pd.DataFrame, pred: pd.DataFrame, limit: int = GRID_SERIES, days: int = GRID_HISTORY_DAYS
) -> list[GridPanel]:
    """The panels of the chart: the first ``limit`` series of ``pred``, in its order (the table's).

    Args:
        frame: the table forecast (``unique_id, ds, y``, as :func:`~carrousel.finance.frame_check.read_frame`
            gives it).
        pred: its forecasts (:meth:`Forecaster.predict <carrousel.finance.frames.Forecaster.predict>`).
        limit: series at most.
        days: sessions of history per panel.
    """
    ids = list(dict.fromkeys(pred["unique_id"].astype(str)))[:limit]
    labels = _quantile_labels(pred)
    uid, fid = pred["unique_id"].astype(str), frame["unique_id"].astype(str)
    panels = []
    for name in ids:
        rows = pred[(uid == name).to_numpy()]
        hist = frame[(fid == name).to_numpy()].sort_values("ds", kind="stable").tail(days)
        history = pd.Series(hist["y"].to_numpy(dtype=float), index=pd.DatetimeIndex(hist["ds"]))
        fan = {lab: rows[lab].to_numpy(dtype=float) for lab in labels}
        panels.append(GridPanel(name, history, pd.DatetimeIndex(rows["ds"]), fan))
    return panels


@check_args
def predict_figure(
    frame: pd.DataFrame,
    pred: pd.DataFrame,
    source: str = "",
    limit: int = GRID_SERIES,
    days: int = GRID_HISTORY_DAYS,
) -> Any:
    """The grid of the first ``limit`` series' history and forecast fan (see :func:`grid_panels`).

    Args:
        frame: the table forecast.
        pred: its forecasts.
        source: where the data and the model come from, written small under the grid.
        limit: series at most.
        days: sessions of history per panel.

    Returns:
        The matplotlib figure: one axes per series drawn (titled with its id), in the table's order.

    Raises:
        MissingExtraError: matplotlib is not installed (the message names the extra).
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    panels = grid_panels(frame, pred, limit, days)
    total = pred["unique_id"].astype(str).nunique()
    labels = _quantile_labels(pred)
    cols = min(_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / cols)
    width, height = max(6.4, 3.3 * cols + 0.4), 2.5 * rows + 1.3
    with plt.rc_context({"date.converter": "concise"}):  # dates as "Nov", "Dec", "2011" on every panel
        fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
        for ax, panel in zip(axes.flat, panels, strict=False):
            _panel(ax, panel, labels)
    for ax in axes[:, 0]:
        ax.set_ylabel("price", fontsize=8)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    steps = len(panels[0].dates)
    first = f" (the first {len(panels)} of the table)" if len(panels) < total else ""
    title = (
        f"{steps}-session forecasts after the last {days} sessions: {len(panels)} of {total} series{first}"
    )
    title = wrap_to(title, width, 11)
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    top = (0.12 + 0.2 * (title.count("\n") + 1)) / height  # the title's lines, then a row for the legend
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 1 - top), ncol=len(names),
               fontsize=8, frameon=False)  # fmt: skip
    if source:
        fig.text(0.01, 0.01, wrap_to(source, width, 7), fontsize=7, color="gray", va="bottom")
    fig.tight_layout(rect=(0, 0.25 / height, 1, 1 - top - 0.12 / height))
    return fig


def _panel(ax: Any, panel: GridPanel, labels: list[str]) -> None:
    """One series: its history and its forecast fan, from the last observed price."""
    last_date, last = panel.history.index[-1], float(panel.history.iloc[-1])
    dates = pd.DatetimeIndex([last_date, *panel.dates])
    fan = {lab: np.concatenate([[last], values]) for lab, values in panel.fan.items()}
    median = "p50" if "p50" in labels else labels[len(labels) // 2]  # models hold 0.5
    ax.plot(panel.history.index, panel.history.to_numpy(), color="black", lw=1.0, label="history")
    draw_fan(ax, dates, fan, labels, fan[median])
    ax.set_title(wrap_to(panel.series, 3.2, 9), fontsize=9)
    ax.tick_params(labelsize=7)
    ax.xaxis.get_offset_text().set_fontsize(7)  # the year under the last date tick
    ax.grid(alpha=0.3)


@check_args
def predict_png(
    frame: pd.DataFrame,
    pred: pd.DataFrame,
    path: str | Path,
    source: str = "",
    limit: int = GRID_SERIES,
    days: int = GRID_HISTORY_DAYS,
) -> Path:
    """Draws :func:`predict_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`: atomically,
    or in place into a special file such as ``/dev/stdout``).

    Returns:
        The written path.
    """
    return save_png(predict_figure(frame, pred, source, limit, days), path)
