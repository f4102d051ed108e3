"""How a training run went: its per-epoch history as a table (``history.csv``) and a learning curve
(``training.png``), written into a train command's output folder.

The history is the trainer's (:attr:`carrousel.core.train.FitResult.history`: one dict per epoch with
``epoch``, ``train_loss``, ``val_*``, ``lr``...), so nothing is recomputed: no extra forward pass. A
non-finite figure (a diverged or skipped epoch) is an empty cell in the table and a gap in the chart. The
chart is optional: :func:`can_plot`, called before training, says whether matplotlib is installed and warns
once (naming the extra) when it is not; the table is written either way.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_write_text
from carrousel.core.cli_values import to_jsonable
from carrousel.core.errors import ConfigError
from carrousel.core.plots import can_draw, pyplot, save_png, wrap_to

__all__ = [
    "CURVE_FILE",
    "HISTORY_FILE",
    "REPORT_FILE",
    "Fitted",
    "can_plot",
    "curve_metric",
    "finite_history",
    "finite_json",
    "history_csv",
    "history_writer",
    "learning_curve",
    "member_rows",
    "write_history",
    "write_report",
]

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.csv"  # the per-epoch table in a train command's output folder
CURVE_FILE = "training.png"  # the learning curve beside it
REPORT_FILE = "report.json"  # what a command printed (its --json document), beside its output
_WIDE = 30.0  # a loss whose largest value is this many times its smallest is drawn on a log axis
_WIDTH = 8.0  # inches
Row = Mapping[str, float]
_SPELLED = {"chrf": "chrF"}  # figures whose usual spelling is not all capitals


class Fitted(Protocol):
    """What :func:`history_writer` reads of a training result: core's
    :class:`~carrousel.core.train.FitResult`, or a domain's result that carries the same three figures."""

    @property
    def history(self) -> Sequence[Row]: ...  # one dict per epoch

    @property
    def monitor(self) -> str | None: ...  # the figure monitored (drawn beside the loss)

    @property
    def best_epoch(self) -> int | None: ...  # the epoch (from 1) of its best value


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return (
        int(value)
        if key in ("epoch", "member") and isinstance(value, float) and value.is_integer()
        else value
    )


@check_args
def finite_history(history: Sequence[Row], digits: int | None = None) -> list[dict[str, float | None]]:
    """The history as it may reach a JSON output (a result, a bundle's provenance): a non-finite figure (an
    epoch whose every step was skipped has no loss or norm) becomes None, a count (``epoch``, ``member``:
    the trainer logs floats) the integer :func:`history_csv` writes (1, not 1.0), and with ``digits`` every other
    float is rounded to that many significant digits (``digits=6``: 0.123456789 -> 0.123457, a learning
    rate of 1.23456789e-08 -> 1.23457e-08, which rounding to decimal places made 0.0).

    Raises:
        ConfigError: ``digits`` not a whole number >= 1.
    """
    if digits is not None and digits < 1:
        raise ConfigError(f"digits must be >= 1 (significant digits), got {digits}")

    def cell(key: str, value: float) -> float | None:
        value = _cell(key, value)  # a count (epoch, member) as the integer history.csv writes
        return float(f"{value:.{digits}g}") if digits is not None and isinstance(value, float) else value

    return [{k: cell(k, v) for k, v in row.items()} for row in history]


def history_csv(history: Sequence[Row]) -> str:
    """The history as CSV text: one row per epoch, one column per key (in first-seen order); a non-finite
    figure is an empty cell (as :class:`~carrousel.core.train.HistoryLogger` writes it)."""
    keys: list[str] = []
    for row in history:
        keys.extend(k for k in row if k not in keys)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(k, v) for k, v in row.items()} for row in history)
    return buf.getvalue()


def can_plot(extra: str) -> bool:
    """Whether the learning curve can be drawn (matplotlib installed); asked before training, so a run
    without it says so at once (one warning naming ``extra``) and still writes :data:`HISTORY_FILE`."""
    return can_draw(extra, f"{CURVE_FILE} is skipped ({HISTORY_FILE} is still written)")


def curve_metric(history: Sequence[Row], monitor: str | None = None) -> str | None:
    """The validation figure drawn beside the loss: ``monitor`` when it is a logged ``val_*`` figure other
    than the loss, else the first such figure the history holds (None: none). A figure equal to the
    validation loss in every epoch (a forecaster's pinball loss) is that loss again, and is not drawn twice."""
    keys = [k for row in history for k in row]
    loss = _series(history, "val_loss")
    named = [
        k
        for k in dict.fromkeys(keys)
        if k.startswith("val_") and k != "val_loss" and not _same(_series(history, k), loss)
    ]
    if monitor in named:
        return monitor
    return named[0] if named else None


def _same(a: tuple[list[float], list[float]], b: tuple[list[float], list[float]]) -> bool:
    return a[0] == b[0] and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a[1], b[1], strict=True)
    )


def _series(history: Sequence[Row], key: str) -> tuple[list[float], list[float]]:
    """Epochs and values of ``key`` (non-finite values as NaN: a gap), over the rows that log it."""
    xs, ys = [], []
    for i, row in enumerate(history):
        if key in row:
            xs.append(float(row.get("epoch", i + 1)))
            value = float(row[key])
            ys.append(value if math.isfinite(value) else math.nan)
    return xs, ys


def _wide(values: list[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) > _WIDE * min(finite)


def _label(key: str) -> str:
    name = key.removeprefix("val_").replace("_", " ")
    if name in _SPELLED:
        return _SPELLED[name]
    return name.upper() if len(name) <= 5 and name.isalpha() and name not in ("loss", "f1") else name


def _draw(
    ax: Any,
    history: Sequence[Row],
    keys: Sequence[tuple[str, str]],
    ylabel: str,
    score: bool = False,
    linear: bool = False,
) -> None:
    """Draws ``keys`` on ``ax``; a log axis for a wide range, except for a ``score`` within [0, 1] (AUROC,
    accuracy, CER) and where ``linear``, which stay linear."""
    drawn: list[float] = []
    for key, label in keys:
        xs, ys = _series(history, key)
        if xs:
            ax.plot(xs, ys, marker="o" if len(xs) <= 40 else None, markersize=3, label=label)
            drawn.extend(ys)
    if not linear and _wide(drawn) and not (score and max(v for v in drawn if math.isfinite(v)) <= 1):
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


@check_args
def learning_curve(
    history: Sequence[Row],
    path: str | Path,
    title: str,
    monitor: str | None = None,
    best_epoch: int | None = None,
    kept: bool = True,
    scores: Sequence[str] = (),
) -> Path:
    """Draws the learning curve of ``history`` and writes it as PNG through :func:`save_png`.

    Panels, top to bottom, sharing the epoch axis: train and validation loss (log axis when they span more
    than a factor 30); the ``scores`` the history holds, together on a linear axis, or else the monitored
    validation figure (:func:`curve_metric`), when the history holds one; the learning rate, when it
    changes. ``best_epoch`` is marked on every panel.

    Args:
        history: one dict per epoch (``epoch`` from 1, ``train_loss``, ``val_loss``, ``val_*``, ``lr``...).
        path: the PNG file.
        title: what was trained, on what (the command's data and model).
        monitor: the figure the run monitored (early stopping, the kept weights).
        best_epoch: the epoch (from 1) to mark, or None.
        kept: the marked epoch's weights are the ones saved (else it is only the best score).
        scores: validation figures on one scale drawn together, linear (BLEU and chrF, 0-100), in place
            of :func:`curve_metric`'s one; those the history lacks are left out.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    plt = pyplot(purpose=f"the learning curve ({CURVE_FILE})")
    drawn = [k for k in scores if _series(history, k)[0]]
    metric = " / ".join(drawn) if drawn else curve_metric(history, monitor)
    rates = [v for v in _series(history, "lr")[1] if math.isfinite(v)]
    changes = bool(rates) and max(rates) > min(rates) * (1 + 1e-9)
    panels = ["loss", *(["metric"] if metric else []), *(["lr"] if changes else [])]
    heights = [3.0 if p != "lr" else 1.6 for p in panels]
    fig, axes = plt.subplots(
        len(panels), 1, sharex=True, figsize=(_WIDTH, sum(heights) + 0.9),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    axes = [row[0] for row in axes]
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
        if panel == "loss":
            _draw(ax, history, [("train_loss", "train loss"), ("val_loss", "validation loss")], "loss")
        elif panel == "metric" and drawn:
            keys = [(k, f"validation {_label(k)}") for k in drawn]
            _draw(ax, history, keys, " / ".join(map(_label, drawn)), linear=True)
        elif panel == "metric" and metric is not None:
            _draw(ax, history, [(metric, f"validation {_label(metric)}")], _label(metric), score=True)
        else:
            _draw(ax, history, [("lr", "learning rate")], "learning rate")
        if best_epoch is not None:
            what = "kept weights" if kept else "best"  # named once, in the top panel's legend
            label = f"{what} (epoch {best_epoch})" if i == 0 else None
            ax.axvline(best_epoch, color="0.4", linestyle=":", label=label)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)  # off the data
    axes[-1].set_xlabel("epoch")
    axes[-1].xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_title(wrap_to(title, _WIDTH, 10), fontsize=10)
    fig.align_ylabels(axes)
    return save_png(fig, path)


@check_args
def write_history(
    folder: str | Path,
    history: Sequence[Row],
    title: str,
    plot: bool,
    monitor: str | None = None,
    best_epoch: int | None = None,
    kept: bool = True,
    table: Sequence[Row] | None = None,
    scores: Sequence[str] = (),
) -> None:
    """Writes :data:`HISTORY_FILE` and, when ``plot``, :data:`CURVE_FILE` into ``folder`` (a command's
    output folder while it is being written, e.g. from :meth:`carrousel.core.bundle.Bundle.save`'s
    ``also``); the arguments are :func:`learning_curve`'s, ``plot`` the answer of :func:`can_plot`, and
    ``table`` the rows of the CSV when they are more than the chart's (every member of an ensemble:
    :func:`member_rows`; default ``history``)."""
    root = Path(folder)
    atomic_write_text(root / HISTORY_FILE, history_csv(history if table is None else table))
    if plot and history:
        learning_curve(history, root / CURVE_FILE, title, monitor, best_epoch, kept, scores)


def member_rows(histories: Sequence[Sequence[Row]]) -> list[dict[str, float]]:
    """The histories of an ensemble's members as one table: each row led by its ``member`` (from 1); a
    lone history is returned as it is."""
    if len(histories) == 1:
        return [dict(row) for row in histories[0]]
    return [{"member": float(i), **row} for i, rows in enumerate(histories, 1) for row in rows]


@check_args
def history_writer(result: Fitted, title: str, plot: bool, kept: bool = True) -> Callable[[Path], None]:
    """:func:`write_history` of a trainer's ``result`` (its history, monitored figure and best epoch: core's
    FitResult or a domain's result with those three) as the ``also`` of
    :meth:`carrousel.core.bundle.Bundle.save`: the files are written with the bundle."""
    return partial(
        write_history, history=result.history, title=title, plot=plot, monitor=result.monitor,
        best_epoch=result.best_epoch, kept=kept,
    )  # fmt: skip


def write_report(folder: str | Path, doc: Mapping[str, Any], name: str = REPORT_FILE) -> Path:
    """Writes ``doc`` (a command's ``--json`` document: every figure it prints) as strict, indented JSON
    into ``folder``, the command's output folder while it is being written (the ``also`` of
    :meth:`carrousel.core.bundle.Bundle.save`, the ``measure`` step of
    :func:`carrousel.core.export.export_measured`): the report is kept with the output, or neither is. A
    non-finite figure (a diverged epoch, a score without data) is written as ``null``, never ``NaN``; the
    rest as ``--json`` prints it (:func:`carrousel.core.cli_values.to_jsonable`: a path holding bytes that
    are not UTF-8 as valid text, not the lone surrogates strict JSON readers refuse).

    Raises:
        ConfigError: ``doc`` holds a value without a JSON form (nothing written).
    """
    text = json.dumps(to_jsonable(finite_json(doc)), indent=2, allow_nan=False)
    path = Path(folder) / name
    atomic_write_text(path, text + "\n")
    return path


def finite_json(value: Any) -> Any:
    """``value`` with NumPy scalars as Python numbers and non-finite floats as None, recursively (mappings'
    keys as strings, tuples as lists): a figure JSON can hold, ``null`` for NaN (:func:`write_report`; nlp's
    training record, :func:`carrousel.nlp.train_record.run_figures`)."""
    if isinstance(value, Mapping):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()  # a NumPy (or torch) scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
