"""The charts of ``nlp translate evaluate --plot`` and ``nlp generate evaluate --plot``.

Translation: corpus BLEU and chrF of each system (network greedy and beam, the word dictionary, copying the
source) as grouped bars, and the mean sentence chrF of the network, the dictionary and the copy by source
length, where a translator sees at which lengths the network falls behind the dictionary. Language model:
the perplexity of the LSTM and of each baseline as bars, and the negative log-likelihood of the LSTM and of
the best baseline along the held-out text (a moving mean), where the text is hard and where the LSTM loses.

matplotlib comes through :mod:`carrousel.core.plots` (the ``carrousel-nlp[plot]`` extra), imported only
when a chart is drawn. Each ``*_figure`` function returns the figure, so a test reads its bars and texts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.plots import pyplot, save_png, wrap_to

if TYPE_CHECKING:
    from carrousel.nlp.pipeline.generate import LMEvaluation
    from carrousel.nlp.pipeline.translate_eval import TranslateEvaluation

__all__ = [
    "LM_PURPOSE",
    "PLOT_EXTRA",
    "TRANSLATE_PURPOSE",
    "language_model_figure",
    "language_model_png",
    "length_bins",
    "moving_mean",
    "names",
    "translation_figure",
    "translation_png",
]

PLOT_EXTRA = "carrousel-nlp[plot]"
TRANSLATE_PURPOSE = "the BLEU/chrF chart (nlp translate evaluate --plot)"
LM_PURPOSE = "the perplexity chart (nlp generate evaluate --plot)"

_WIDTH = 13.0  # inches of either figure (two panels side by side)
_MOST_BINS = 8  # source-length bins of the translation chart
_MOST_POINTS = 2000  # points of a moving-mean line (a longer one is thinned evenly)
_SYSTEM_COLOURS = {"greedy": "tab:cyan", "beam": "tab:blue", "dictionary": "tab:orange", "copy": "tab:gray"}


def _pyplot(purpose: str) -> Any:
    return pyplot(PLOT_EXTRA, purpose)


def _value_labels(ax: Any, bars: Any, size: float = 8) -> None:
    ax.bar_label(bars, labels=[f"{b.get_height():.2f}" for b in bars], padding=2, fontsize=size)


@check_args
def length_bins(lengths: Sequence[int], most: int = _MOST_BINS) -> list[tuple[int, int]]:
    """At most ``most`` ranges ``(shortest, longest)`` of whole lengths that cover ``lengths``, cut at their
    quantiles so each holds a similar number of them (one range per length when few lengths occur); each
    starts at a length that occurs, so none is empty."""
    values = sorted(set(lengths))
    if len(values) <= most:
        return [(v, v) for v in values]
    cuts = np.quantile(np.asarray(lengths, dtype=float), np.linspace(0.0, 1.0, most + 1)[1:-1])
    tops = [*sorted({math.floor(c) for c in cuts} - {values[-1]}), values[-1]]
    bins, low = [], values[0]
    for top in tops:
        if top >= low:  # the range holds ``low``, a length that occurs
            bins.append((low, top))
            low = next((v for v in values if v > top), top + 1)
    return bins


@check_args
def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive ``values`` (``len(values) - window + 1`` of them; the mean of
    all when ``window`` exceeds their number)."""
    v = np.asarray(values, dtype=np.float64)
    w = max(1, min(window, len(v)))
    sums = np.cumsum(np.r_[0.0, v])
    return (sums[w:] - sums[:-w]) / w


def names(paths: Sequence[str | Path]) -> str:
    """The last parts of ``paths`` joined by `` + `` (``mt/ + runs/mt2`` -> ``mt + mt2``): a title's names of
    models or files (``wmt16:de-en#test``, an HF hub name, stays whole)."""
    return " + ".join(Path(p).name or str(p) for p in paths)


def _system_label(name: str, beam: int) -> str:
    return f"beam {beam}" if name == "beam" else name


def translation_figure(ev: TranslateEvaluation, model: str, data: str) -> Any:
    """Corpus BLEU and chrF of each system as grouped bars (the values written on them), and the mean
    sentence chrF of the network's beam search, the dictionary and the copy by source length in words.

    Args:
        ev: the evaluation (``sentence_chrf`` and ``source_words`` give the second panel).
        model: the model's name, for the title.
        data: the scored pairs' name, for the title.
    """
    plt = _pyplot(TRANSLATE_PURPOSE)
    fig, (bars_ax, len_ax) = plt.subplots(1, 2, figsize=(_WIDTH, 5.0), width_ratios=(1.0, 1.2))
    systems = list(ev.bleu)
    x = np.arange(len(systems))
    for k, (metric, scores, hatch) in enumerate((("BLEU", ev.bleu, ""), ("chrF", ev.chrf, "//"))):
        heights = [scores[s] for s in systems]
        colours = [_SYSTEM_COLOURS.get(s, "tab:purple") for s in systems]
        bars = bars_ax.bar(
            x + (k - 0.5) * 0.4, heights, 0.4, color=colours, hatch=hatch, edgecolor="white", label=metric
        )
        _value_labels(bars_ax, bars)
    bars_ax.set_xticks(x, [_system_label(s, ev.beam) for s in systems])
    bars_ax.set_ylim(0, max(100.0, *ev.bleu.values(), *ev.chrf.values()) * 1.12)
    bars_ax.set_ylabel("corpus score (0-100)")
    bars_ax.set_title(
        f"corpus BLEU (plain; tokenize {ev.bleu_tokenize}) and chrF (hatched), {ev.pairs} pairs", fontsize=10
    )
    _by_length(len_ax, ev)
    title = f"nlp translate evaluate: model {model} on {data} ({ev.pairs} pairs, beam {ev.beam})"
    fig.suptitle(wrap_to(title, _WIDTH, 11), fontsize=11)
    fig.tight_layout()
    return fig


def _by_length(ax: Any, ev: TranslateEvaluation) -> None:
    words = np.asarray(ev.source_words, dtype=int)
    bins = length_bins(ev.source_words) if len(words) else []
    x = np.arange(len(bins))
    members = [(words >= lo) & (words <= hi) for lo, hi in bins]
    for name, scores in ev.sentence_chrf.items():
        chrf = np.asarray(scores, dtype=float)
        means = [float(chrf[m].mean()) for m in members]
        style = "--" if name == "copy" else "-"
        ax.plot(x, means, style, marker="o", color=_SYSTEM_COLOURS.get(name, "tab:purple"),
                label=_system_label(name, ev.beam))  # fmt: skip
    ranges = [f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in bins]
    ax.set_xticks(x, [f"{r}\nn={int(m.sum())}" for r, m in zip(ranges, members, strict=True)], fontsize=8)
    ax.set_xlabel("source length in words (n: pairs of that length)")
    ax.set_ylabel("mean sentence chrF")
    ax.set_ylim(0, 105)
    ax.set_title("sentence chrF by source length", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, frameon=False)


def translation_png(ev: TranslateEvaluation, path: str | Path, model: str, data: str) -> Path:
    """Draws :func:`translation_figure` and writes it as PNG."""
    return save_png(translation_figure(ev, model, data), path)


def language_model_figure(ev: LMEvaluation, model: str, data: str) -> Any:
    """The held-out perplexity of the LSTM and of each baseline as bars (the values written on them), and
    the negative log-likelihood (bits per token, a moving mean) of the LSTM and of the best baseline along
    the held-out text, shaded where the LSTM does worse.

    Args:
        ev: the evaluation (``token_nll`` and ``baseline_token_nll`` give the second panel).
        model: the model's name, for the title.
        data: the text's name, for the title.
    """
    plt = _pyplot(LM_PURPOSE)
    fig, (bars_ax, line_ax) = plt.subplots(1, 2, figsize=(_WIDTH, 5.0), width_ratios=(1.0, 1.6))
    lstm = "LSTM" if ev.precision == "fp32" else f"LSTM ({ev.precision})"
    names = [lstm, *ev.baselines]
    heights = [ev.perplexity, *ev.baselines.values()]
    colours = ["tab:blue"] + ["tab:green" if n == ev.best_baseline else "tab:gray" for n in ev.baselines]
    bars = bars_ax.bar(np.arange(len(names)), heights, 0.6, color=colours)
    _value_labels(bars_ax, bars)
    bars_ax.set_xticks(np.arange(len(names)), names, fontsize=8, rotation=20 if len(names) > 5 else 0)
    bars_ax.set_ylim(0, max(heights) * 1.12)
    bars_ax.set_ylabel("perplexity (lower is better)")
    bars_ax.set_title(f"held-out perplexity, {ev.held_out_tokens} tokens", fontsize=10)
    _along_text(line_ax, ev, lstm)
    title = f"nlp generate evaluate: model {model} on the held-out tail of {data}"
    fig.suptitle(wrap_to(title, _WIDTH, 11), fontsize=11)
    fig.tight_layout()
    return fig


def _along_text(ax: Any, ev: LMEvaluation, lstm: str) -> None:
    n = len(ev.token_nll)
    window = max(1, min(n, max(20, n // 50)))
    bits = {lstm: np.asarray(ev.token_nll) / math.log(2)}
    if ev.best_baseline in ev.baseline_token_nll:
        bits[ev.best_baseline] = np.asarray(ev.baseline_token_nll[ev.best_baseline]) / math.log(2)
    lines = {name: moving_mean(v, window) for name, v in bits.items()}
    at = np.arange(len(next(iter(lines.values())))) + window / 2
    keep = np.unique(np.linspace(0, len(at) - 1, min(len(at), _MOST_POINTS)).astype(int))
    for (name, line), colour in zip(lines.items(), ("tab:blue", "tab:green"), strict=False):
        ax.plot(at[keep], line[keep], color=colour, lw=1.0,
                label=f"{name}: mean {bits[name].mean():.3f} bits per token")  # fmt: skip
    if len(lines) == 2:
        ours, theirs = (lines[k][keep] for k in bits)
        ax.fill_between(at[keep], ours, theirs, where=ours > theirs, color="tab:red", alpha=0.25, lw=0,
                        label=f"{lstm} worse than {ev.best_baseline}")  # fmt: skip
    ax.set_xlabel("position in the held-out text (tokens)")
    ax.set_ylabel(f"-log2 p per token (moving mean of {window})")
    ax.set_ylim(bottom=0)
    ax.set_title("where the held-out text is hard", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.14), ncols=2, frameon=False)


def language_model_png(ev: LMEvaluation, path: str | Path, model: str, data: str) -> Path:
    """Draws :func:`language_model_figure` and writes it as PNG."""
    return save_png(language_model_figure(ev, model, data), path)
