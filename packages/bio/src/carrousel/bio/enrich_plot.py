"""The chart of ``bio enrich --plot``: the table's top motifs as horizontal bars of -log10 p (the measure the
table ranks by), labelled by motif name and ID, significant ones (BH q <= 0.05) coloured, the BH cut-off
marked as a dashed line, titled with the targets and the background.

matplotlib comes through :mod:`carrousel.core.plots` (the ``carrousel-bio[plot]`` extra), imported only
when the chart is drawn. :func:`enrichment_bars` gives the bars drawn, so a test checks them without
reading pixels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from carrousel.bio.enrich import EnrichResult
from carrousel.core.args import check_args
from carrousel.core.plots import pyplot, save_png

__all__ = [
    "MAX_BARS",
    "PLOT_EXTRA",
    "PLOT_PURPOSE",
    "Q_THRESHOLD",
    "bh_cutoff",
    "enrichment_bars",
    "enrichment_figure",
    "enrichment_png",
]

PLOT_EXTRA = "carrousel-bio[plot]"
PLOT_PURPOSE = "the enrichment bar chart (bio enrich --plot)"
MAX_BARS = 40  # bars drawn at most, whatever --top (a chart of 879 bars reads as nothing)
Q_THRESHOLD = 0.05  # the significance marked: Benjamini-Hochberg q-value


@check_args
def enrichment_bars(res: EnrichResult, top: int) -> list[dict[str, Any]]:
    """The bars of the chart: the first ``min(top, MAX_BARS)`` motifs of the table, in its order.

    Args:
        res: the enrichment result (rows sorted as the table).
        top: the motifs the table shows.

    Returns:
        One dict per bar: ``label`` (``"NAME ID"``), ``value`` (-log10 p, at least 0) and ``significant``
        (q <= :data:`Q_THRESHOLD`).
    """
    return [
        {
            "label": f"{r.motif_name} {r.motif_id}",
            "value": max(-r.log10_pvalue, 0.0),
            "significant": r.qvalue <= Q_THRESHOLD,
        }
        for r in res.rows[: max(min(top, MAX_BARS), 0)]
    ]


def bh_cutoff(res: EnrichResult) -> float:
    """-log10 of the Benjamini-Hochberg p-value cut-off at q = :data:`Q_THRESHOLD`: ``alpha * k / m`` with
    ``k`` motifs significant out of ``m`` (``alpha / m`` where none is, the least any motif would need).
    A motif's bar reaches the line exactly where its q-value is at most the threshold."""
    m = max(len(res.rows), 1)
    k = sum(1 for r in res.rows if r.qvalue <= Q_THRESHOLD)
    return -math.log10(Q_THRESHOLD * max(k, 1) / m)


def _background_name(res: EnrichResult) -> str:
    if res.shuffles is not None:
        return f"shuffled targets (x{res.shuffles})"
    return Path(res.background).name or res.background


@check_args
def enrichment_figure(res: EnrichResult, top: int = 25) -> Any:
    """Horizontal bars of -log10 p for the table's top motifs (rank 1 on top).

    Args:
        res: the enrichment result.
        top: the motifs the table shows (at most :data:`MAX_BARS` drawn).

    Returns:
        The matplotlib figure, one axes.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    bars = enrichment_bars(res, top)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.3 * max(len(bars), 1)))
    y = list(range(len(bars)))
    colors = ["tab:red" if b["significant"] else "tab:gray" for b in bars]
    ax.barh(y, [b["value"] for b in bars], color=colors, height=0.7)
    ax.set_yticks(y, [b["label"] for b in bars], fontsize=8)
    ax.invert_yaxis()
    for yi, r, b in zip(y, res.rows, bars, strict=False):
        ax.annotate(
            f" {r.target_percent:.1f}% vs {r.background_percent:.1f}%",
            (b["value"], yi), va="center", fontsize=7,
        )  # fmt: skip
    cut = bh_cutoff(res)
    k = sum(1 for r in res.rows if r.qvalue <= Q_THRESHOLD)
    label = f"BH q = {Q_THRESHOLD:g} (p = {10**-cut:.2g}): {k} of {len(res.rows)} motifs reach it, in red"
    ax.axvline(cut, color="black", lw=0.9, ls="--", label=label)
    ax.set_xlim(0, max([cut, *(b["value"] for b in bars)]) * 1.25 or 1.0)
    ax.set_xlabel("-log10 p (hypergeometric, one-sided); text: % targets vs % background with a hit")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    shown = f"top {len(bars)} of {len(res.rows)}" if len(bars) < len(res.rows) else f"all {len(res.rows)}"
    ax.set_title(
        f"{Path(res.targets).name} ({res.n_targets}) vs {_background_name(res)} ({res.n_background}): "
        f"{shown} motifs",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


@check_args
def enrichment_png(res: EnrichResult, path: str | Path, top: int = 25) -> Path:
    """Draws :func:`enrichment_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`)."""
    return save_png(enrichment_figure(res, top), path)
