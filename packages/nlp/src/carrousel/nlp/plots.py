"""PNG charts: the confusion matrix and the attention over one text (``nlp sentiment evaluate``), and the
attention of a translation (``nlp translate run --plot``).

matplotlib is optional (``carrousel-nlp[plot]``); it is imported only here, when a chart is drawn, and
the Agg backend is used so no display is needed. Each ``*_figure`` function builds the matplotlib figure
(so a test reads its texts, not its pixels); each ``*_png`` draws it and writes it atomically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.plots import pyplot, save_png, wrap_to
from carrousel.core.text import percent

__all__ = [
    "ALIGNMENT_PURPOSE",
    "EVALUATE_PURPOSE",
    "alignment_figure",
    "alignment_png",
    "attention_figure",
    "attention_png",
    "confusion_figure",
    "confusion_png",
]

_EXTRA = "carrousel-nlp[plot]"  # public as evaluate_plot.PLOT_EXTRA
ALIGNMENT_PURPOSE = "the attention chart (nlp translate run --plot)"  # what needs it, for that error
EVALUATE_PURPOSE = "the charts of nlp sentiment evaluate --out (confusion.png, attention.png)"
_PER_ROW = 16  # token cells per row of the attention chart
_CELL_CHARS = 11  # characters that fit in one 0.9-inch cell at 8 points; longer tokens end in "…"
_WORD_START = "▁"  # SentencePiece's mark of a piece that starts a word (Metaspace)
_JOINED = "·"  # drawn before a piece that continues the word before it (no space in the text)
_SPECIAL = re.compile(r"\[[A-Z]+\]")  # [EOS], [UNK]: drawn as they are


def _pyplot(purpose: str = EVALUATE_PURPOSE) -> Any:
    return pyplot(_EXTRA, purpose)


def _shown(token: str, chars: int = _CELL_CHARS) -> str:
    """A token as drawn: blank ones as ``␣``, long ones cut to ``chars`` characters ending in ``…``."""
    tok = token.strip() or "␣"
    return tok if len(tok) <= chars else tok[: chars - 1] + "…"


def _readable(pieces: Sequence[str]) -> list[str]:
    """Subword pieces as a reader sees them: a word-start piece without its ``▁`` (``▁read`` -> ``read``), a
    piece that continues a word after ``·`` (``▁un``, ``believ`` -> ``un``, ``·believ``), a lone ``▁`` as
    ``␣``; pieces without any ``▁`` (another tokenizer) and specials such as ``[EOS]`` stay as they are."""
    if not any(p.startswith(_WORD_START) for p in pieces):
        return list(pieces)

    def one(piece: str) -> str:
        if _SPECIAL.fullmatch(piece):
            return piece
        if piece.startswith(_WORD_START):
            return piece.removeprefix(_WORD_START) or "␣"
        return _JOINED + piece

    return [one(p) for p in pieces]


def _cut_note(tokens: Sequence[str]) -> str:
    """The full text of every token cut to fit its cell, once each in order: ``cut to fit: antidisest… =
    antidisestablishmentarianism`` (empty when none is cut)."""
    full = dict.fromkeys(t.strip() for t in tokens if _shown(t) != (t.strip() or "␣"))
    return "cut to fit: " + "; ".join(f"{_shown(t)} = {t}" for t in full) if full else ""


def _dropped_note(dropped: Mapping[str, int] | None) -> str:
    """``; 2 dropped: labelled 3`` (``; 5 dropped: labelled 5 (2), 6 (3)``), or ``""`` when none was."""
    counts = {k: n for k, n in (dropped or {}).items() if n > 0}
    if not counts:
        return ""
    shown = [k if k and k == k.strip() and "," not in k else repr(k) for k in counts]
    if len(counts) == 1:
        return f"; {sum(counts.values())} dropped: labelled {shown[0]}"
    each = ", ".join(f"{k} ({n})" for k, n in zip(shown, counts.values(), strict=True))
    return f"; {sum(counts.values())} dropped: labelled {each}"


def confusion_figure(
    matrix: Sequence[Sequence[int]],
    labels: Sequence[str],
    data: str = "",
    dropped: Mapping[str, int] | None = None,
) -> Any:
    """A confusion matrix (rows: true label, columns: predicted): each cell shows its count and its share
    of the true class (the row percentage, ``count (pct%)``) and is shaded by that share, with a colour
    bar, so a rare class's row reads as clearly as a common one's.

    Args:
        matrix: ``(classes, classes)`` counts.
        labels: class names, in the matrix's order.
        data: the evaluated data's name, shown in the title.
        dropped: rows of the data left out of the matrix, per data label (a two-class model's neutral
            rows, a ``--label-map``'s ``-``), named in the title beside the kept count.
    """
    plt = _pyplot()
    m = np.asarray(matrix, dtype=float).reshape(len(labels), len(labels))
    n = len(labels)
    rows = m.sum(axis=1, keepdims=True)
    pct = np.divide(100.0 * m, rows, out=np.zeros_like(m), where=rows > 0)
    width = 1.2 * n + 3.3  # the colour bar's 0.8 inch beside the cells
    fig, ax = plt.subplots(figsize=(width, 1.2 * n + 2))
    image = ax.imshow(pct, cmap="Blues", vmin=0.0, vmax=100.0)
    if n > 4:  # slanted names end under their column
        ax.set_xticks(range(n), labels, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    where = f": {data}" if data else ""
    ax.set_title(
        wrap_to(f"confusion matrix{where} ({int(m.sum())} texts{_dropped_note(dropped)})", width, 10),
        fontsize=10,
    )
    size = 9 if n <= 6 else 7
    for i in range(n):
        for j in range(n):
            text = f"{int(m[i, j])} ({percent(float(m[i, j] / rows[i, 0]))})" if rows[i, 0] else "0"
            ax.text(j, i, text, ha="center", va="center", fontsize=size,
                    color="white" if pct[i, j] > 60 else "black")  # fmt: skip
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("% of the true class (row)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def confusion_png(
    matrix: Sequence[Sequence[int]],
    labels: Sequence[str],
    path: str | Path,
    data: str = "",
    dropped: Mapping[str, int] | None = None,
) -> Path:
    """Draws :func:`confusion_figure` and writes it as PNG."""
    return save_png(confusion_figure(matrix, labels, data, dropped), path)


def attention_figure(tokens: Sequence[str], weights: Sequence[float], title: str) -> Any:
    """One text's tokens as rows of cells shaded by their attention weight, with the colour scale.

    A token longer than its cell is drawn cut (ending in ``…``) and written in full in a note under the
    cells (``cut to fit: antidisest… = antidisestablishmentarianism``).
    """
    plt = _pyplot()
    w = np.asarray(weights, dtype=float)
    n = max(len(tokens), 1)
    cols = min(_PER_ROW, n)  # a short text gets cells as wide as a long one's
    rows = (n + cols - 1) // cols
    width = cols * 0.9 + 1.6
    note = wrap_to(_cut_note(tokens), width, 7)
    lines = note.count("\n") + 1 if note else 0
    height = rows * 0.6 + 1.0 + 0.16 * lines
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")  # cells ~0.9 in wide
    grid = np.full((rows, cols), np.nan)
    grid.flat[: len(w)] = w
    top = float(w.max()) if w.size else 1.0
    image = ax.imshow(grid, cmap="Reds", vmin=0.0, vmax=top, aspect="auto")
    for k, tok in enumerate(tokens):
        dark = k < len(w) and w[k] > 0.6 * top
        ax.text(k % cols, k // cols, _shown(tok), ha="center", va="center", fontsize=8,
                color="white" if dark else "black")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(note, fontsize=7, loc="left")
    ax.set_title(wrap_to(title, width, 9), fontsize=9)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    bar.set_label("attention weight", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def attention_png(tokens: Sequence[str], weights: Sequence[float], title: str, path: str | Path) -> Path:
    """Draws :func:`attention_figure` and writes it as PNG."""
    return save_png(attention_figure(tokens, weights, title), path)


def alignment_figure(
    source: Sequence[str], target: Sequence[str], weights: Sequence[Sequence[float]], title: str = ""
) -> Any:
    """A translation's attention: one row per target token, one column per source token, with the scale.

    Subword pieces are labelled as words read: ``▁`` (a word's start) removed, a piece that continues the
    word before it marked with a leading ``·`` (``un``, ``·believ``, ``·able``).
    """
    plt = _pyplot(ALIGNMENT_PURPOSE)
    w = np.asarray(weights, dtype=float).reshape(len(target), len(source))
    width = max(0.45 * len(source) + 2.5, 5.0)
    fig, ax = plt.subplots(figsize=(width, 0.4 * len(target) + 2.0))
    # no target token (the decoder ended at once): one blank row says so, where no row looked like a fault
    shown = w if len(target) else np.zeros((1, len(source)))
    image = ax.imshow(shown, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), [_shown(t) for t in _readable(source)], rotation=90, fontsize=8)
    ax.set_yticks(range(len(target)), [_shown(t) for t in _readable(target)], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    if not len(target):
        ax.text(
            0.5, 0.5, "no target token: nothing attended", ha="center", va="center", transform=ax.transAxes
        )
    if title:
        ax.set_title(wrap_to(title, width, 9), fontsize=9)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("attention weight", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig


def alignment_png(
    source: Sequence[str],
    target: Sequence[str],
    weights: Sequence[Sequence[float]],
    path: str | Path,
    title: str = "",
) -> Path:
    """Draws :func:`alignment_figure` and writes it as PNG."""
    return save_png(alignment_figure(source, target, weights, title), path)
