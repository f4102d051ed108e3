"""The chart of ``bio evaluate --plot``: ROC and precision-recall curves of the scored model output and of
the best single PWM, side by side, with AUROC / AUPRC in the legends.

matplotlib comes through :mod:`carrousel.core.plots` (the ``carrousel-bio[plot]`` extra), imported only
when the chart is drawn. :func:`ranking_curves` gives the points drawn, so a test checks them without
reading pixels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.evaluate import Evaluation
from carrousel.core.plots import pyplot, save_png

__all__ = ["PLOT_EXTRA", "PLOT_PURPOSE", "evaluation_figure", "evaluation_png", "ranking_curves"]

PLOT_EXTRA = "carrousel-bio[plot]"
PLOT_PURPOSE = "the ROC and precision-recall chart (bio evaluate --plot)"


def ranking_curves(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """ROC and precision-recall points of ``scores`` (higher: more likely positive), one per distinct
    threshold (tied scores move together), from the strictest threshold down.

    Args:
        scores: ``(N,)`` scores.
        labels: ``(N,)`` 1 for a positive, 0 for a negative (both present).

    Returns:
        ``fpr`` and ``tpr`` (starting at 0, 0 and ending at 1, 1), ``recall`` and ``precision`` (starting at
        recall 0, precision 1).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.flatnonzero(np.r_[np.diff(s) != 0, True])  # the last window of each tied group
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    pos, neg = max(y.sum(), 1.0), max(len(y) - y.sum(), 1.0)
    return {
        "fpr": np.r_[0.0, fp / neg],
        "tpr": np.r_[0.0, tp / pos],
        "recall": np.r_[0.0, tp / pos],
        "precision": np.r_[1.0, tp / (tp + fp)],
    }


def _figures(ev: Evaluation, method: str) -> tuple[float, float]:
    if method.startswith("model"):
        return ev.model_auroc, ev.model_auprc
    return ev.pwm_auroc, ev.pwm_auprc


def evaluation_figure(ev: Evaluation, data: str = "") -> Any:
    """ROC (left) and precision-recall (right) curves of each method in ``ev.scores``.

    Args:
        ev: the evaluation (with its scores and labels).
        data: the evaluated data (the FASTA files), in the title.

    Returns:
        The matplotlib figure: axes ``ROC`` and ``precision-recall``.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4.6))
    for (method, scores), color in zip(ev.scores.items(), ("tab:blue", "tab:orange"), strict=False):
        pts = ranking_curves(scores, ev.labels)
        auroc, auprc = _figures(ev, method)
        roc.plot(pts["fpr"], pts["tpr"], color=color, lw=1.5, label=f"{method}: AUROC {_fmt(auroc)}")
        pr.step(pts["recall"], pts["precision"], where="pre", color=color, lw=1.5,
                label=f"{method}: AUPRC {_fmt(auprc)}")  # fmt: skip
    roc.plot([0, 1], [0, 1], color="gray", lw=0.8, ls="--", label="chance: AUROC 0.5")
    rate = ev.n_pos / max(ev.n_pos + ev.n_neg, 1)
    pr.axhline(rate, color="gray", lw=0.8, ls="--", label=f"chance: AUPRC {rate:.3f}")
    for ax, title, xlabel, ylabel in (
        (roc, "ROC", "false positive rate", "true positive rate"),
        (pr, "precision-recall", "recall", "precision"),
    ):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is roc else "lower left", fontsize=8)
    where = f"{data}: " if data else ""
    fig.suptitle(f"{where}{ev.n_pos} positives vs {ev.n_neg} negatives", fontsize=10)
    fig.tight_layout()
    return fig


def evaluation_png(ev: Evaluation, path: str | Path, data: str = "") -> Path:
    """Draws :func:`evaluation_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`)."""
    return save_png(evaluation_figure(ev, data), path)


def _fmt(x: float) -> str:
    return f"{x:.4f}" if math.isfinite(x) else "n/a"
