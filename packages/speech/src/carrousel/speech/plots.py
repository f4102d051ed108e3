"""The chart of ``speech evaluate --plot``: how the errors spread over the utterances.

Two panels: histograms of the per-utterance WER and CER, their bars side by side in each bin (the
corpus rates, errors summed then divided, as dashed lines), and each utterance's CER and WER against its
length in reference words (long utterances with many errors stand out; so do empty transcriptions at CER
1). matplotlib comes through
:mod:`carrousel.core.plots` (the ``carrousel-speech[plot]`` extra), imported only when a chart is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from carrousel.core.plots import pyplot, save_png, wrap_to
from carrousel.core.text import counted

if TYPE_CHECKING:
    from carrousel.speech.pipeline import EvaluationResult

__all__ = ["PLOT_EXTRA", "PLOT_PURPOSE", "evaluation_figure", "evaluation_png"]

PLOT_EXTRA = "carrousel-speech[plot]"
PLOT_PURPOSE = "the error chart (speech evaluate --plot)"
_TOP = 1.5  # rates above are drawn in the last bin (insertions can push a rate past 1)


def evaluation_figure(result: EvaluationResult) -> Any:
    """Per-utterance WER/CER histograms (left) and CER/WER against reference words (right).

    Args:
        result: what ``speech evaluate`` measured.

    Returns:
        The matplotlib figure, titled with the data, the model and the decoding.

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    scores = result.per_utterance
    wer = np.array([s.wer for s in scores], dtype=float)
    cer = np.array([s.cer for s in scores], dtype=float)
    words = np.array([len(s.reference.split()) for s in scores], dtype=float)
    fig, (hist, spread) = plt.subplots(1, 2, figsize=(10, 4.2))
    top = min(_TOP, max(1.0, float(np.max(np.r_[wer, cer], initial=0.0))))
    bins = np.linspace(0.0, top, 21)
    # side by side in each bin (before: two step outlines drawn over each other, one hiding the other)
    hist.hist([np.clip(cer, 0.0, top), np.clip(wer, 0.0, top)], bins=bins, histtype="bar", rwidth=0.9,
              color=["tab:blue", "tab:orange"], label=["CER per utterance", "WER per utterance"])  # fmt: skip
    for name, color, total in (
        ("CER", "tab:blue", result.totals.cer),
        ("WER", "tab:orange", result.totals.wer),
    ):
        hist.axvline(total, color=color, ls="--", lw=1, label=f"corpus {name} {total:.3f}")
    hist.set_xlabel("error rate of the utterance")
    hist.set_ylabel("utterances")
    hist.set_title("per-utterance error rates", fontsize=10)
    spread.scatter(words, cer, s=12, color="tab:blue", alpha=0.7, label="CER")
    spread.scatter(words, wer, s=12, color="tab:orange", alpha=0.5, marker="x", label="WER")
    spread.set_xlabel("utterance length (reference words)")
    spread.set_ylabel("error rate")
    spread.set_title("error rate against utterance length", fontsize=10)
    hist.yaxis.set_major_locator(plt.MaxNLocator(integer=True))  # counts: no 0.2 of an utterance
    spread.xaxis.set_major_locator(plt.MaxNLocator(integer=True))  # whole words
    if len(words) and np.ptp(words) < 2:  # one or two lengths: the locator needs a few whole words in view
        spread.set_xlim(words.min() - 1.5, words.max() + 1.5)
    highest = float(np.max(np.r_[wer, cer], initial=0.0))
    # rates from 0 (a point at 0 whole): not 0.16-0.20 blown up to full height
    upper = max(0.05, 1.1 * highest)
    spread.set_ylim(-0.04 * upper, upper)
    for ax in (hist, spread):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    data = ", ".join(Path(d).name or d for d in result.data)
    title = (
        f"{data}: {counted(result.utterances, 'utterance')}, WER {result.totals.wer:.3f} CER {result.totals.cer:.3f} "
        f"(model {result.model}, {result.decoding})"
    )
    fig.suptitle(wrap_to(title, 9.5, 10), fontsize=10)  # the figure's 10 inches less the margins
    fig.tight_layout()
    return fig


def evaluation_png(result: EvaluationResult, path: str | Path) -> Path:
    """Draws :func:`evaluation_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`)."""
    return save_png(evaluation_figure(result), path)
