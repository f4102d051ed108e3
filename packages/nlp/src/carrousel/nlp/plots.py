"""PNG charts: the confusion matrix and the attention over one text (``nlp sentiment evaluate``), and the
attention of a translation (``nlp translate run --plot``).

matplotlib is optional (``carrousel-nlp[plot]``); it is imported only here, when a chart is drawn, and
the Agg backend is used so no display is needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.atomic import atomic_write_bytes
from carrousel.core.optional import require

__all__ = ["alignment_png", "attention_png", "confusion_png"]

_EXTRA = "carrousel-nlp[plot]"


def _pyplot() -> Any:
    require(
        "matplotlib", _EXTRA, "PNG charts (nlp sentiment evaluate, nlp translate run --plot)"
    )  # one-line error when missing
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: str | Path) -> Path:
    """Draws a confusion matrix (rows: true label, columns: predicted) with counts in the cells."""
    plt = _pyplot()
    m = np.asarray(matrix, dtype=float)
    n = len(labels)
    fig, ax = plt.subplots(figsize=(1.2 * n + 2.5, 1.2 * n + 2))
    try:
        ax.imshow(m, cmap="Blues")
        ax.set_xticks(range(n), labels, rotation=45 if n > 4 else 0)
        ax.set_yticks(range(n), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"confusion matrix ({int(m.sum())} texts)")
        top = m.max() if m.size else 0.0
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    f"{int(m[i, j])}",
                    ha="center",
                    va="center",
                    color="white" if m[i, j] > 0.6 * top else "black",
                )
        _save(fig, Path(path))
    finally:
        plt.close(fig)
    return Path(path)


def attention_png(tokens: Sequence[str], weights: Sequence[float], title: str, path: str | Path) -> Path:
    """Draws one text's tokens as a row of cells shaded by their attention weight."""
    plt = _pyplot()
    w = np.asarray(weights, dtype=float)
    n = max(len(tokens), 1)
    per_row = 16
    rows = (n + per_row - 1) // per_row
    fig, ax = plt.subplots(figsize=(min(per_row, n) * 0.9 + 1, rows * 0.6 + 0.8))
    try:
        grid = np.full((rows, per_row), np.nan)
        grid.flat[: len(w)] = w
        ax.imshow(grid, cmap="Reds", vmin=0.0, vmax=float(w.max()) if w.size else 1.0, aspect="auto")
        for k, tok in enumerate(tokens):
            dark = k < len(w) and w[k] > 0.6 * w.max()
            color = "white" if dark else "black"
            ax.text(
                k % per_row,
                k // per_row,
                tok.strip() or "␣",
                ha="center",
                va="center",
                fontsize=8,
                color=color,
            )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        _save(fig, Path(path))
    finally:
        plt.close(fig)
    return Path(path)


def alignment_png(
    source: Sequence[str], target: Sequence[str], weights: Sequence[Sequence[float]], path: str | Path
) -> Path:
    """Draws a translation's attention: one row per target token, one column per source token."""
    plt = _pyplot()
    w = np.asarray(weights, dtype=float).reshape(len(target), len(source))
    fig, ax = plt.subplots(figsize=(0.45 * len(source) + 2, 0.4 * len(target) + 1.5))
    try:
        ax.imshow(w, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(source)), [t.strip() or "␣" for t in source], rotation=90, fontsize=8)
        ax.set_yticks(range(len(target)), [t.strip() or "␣" for t in target], fontsize=8)
        ax.set_xlabel("source")
        ax.set_ylabel("translation")
        _save(fig, Path(path))
    finally:
        plt.close(fig)
    return Path(path)
