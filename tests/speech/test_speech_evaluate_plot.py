"""``speech evaluate --plot``: a PNG of the per-utterance WER/CER titled with the data; a bad path is
refused before any work."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.speech import plots
from tests.cli_harness import record_figures
from tests.speech.conftest import speech

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _shown(fig: Any) -> dict[str, Any]:
    axes = fig.get_axes()
    return {
        "titles": [ax.get_title() for ax in axes],
        "xlabels": [ax.get_xlabel() for ax in axes],
        "legend": [t.get_text() for t in axes[0].get_legend().get_texts()],
        "suptitle": fig._suptitle.get_text(),
        "points": len(axes[1].collections[0].get_offsets()),
    }


@pytest.fixture
def corpus(tmp_path: Path, write_wav, tone, model) -> tuple[str, Path]:  # type: ignore[no-untyped-def]
    """An untrained tiny model (random words: the plumbing is tested) and a three-utterance corpus."""
    for name, seconds in (("a.wav", 1.0), ("b.wav", 0.6), ("c.wav", 0.8)):
        write_wav(name, tone(seconds))
    tsv = tmp_path / "digits.tsv"
    tsv.write_text("path\ttranscript\na.wav\tgo left\nb.wav\tstop\nc.wav\tturn right now\n", encoding="utf-8")
    return model, tsv


@pytest.fixture
def plotted(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    corpus: tuple[str, Path],
) -> Callable[..., tuple[Any, str]]:
    """``plotted(read, *flags)`` runs ``speech evaluate --plot`` on the corpus (its TSV as it is then; the
    PNG at ``tmp_path/e.png`` unless ``--plot`` is among ``flags``): it succeeds, draws one figure, and
    gives what ``read(fig)`` said of it and stdout."""

    def run(read: Callable[[Any], Any], *flags: str) -> tuple[Any, str]:
        drawn = record_figures(monkeypatch, plots, read)
        model, tsv = corpus
        plot = [] if "--plot" in flags else ["--plot", str(tmp_path / "e.png")]
        code, out, err = speech(
            capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tsv), *plot, *flags
        )
        assert code == 0, err
        (shown,) = drawn
        return shown, out

    return run


def test_evaluate_plot_writes_the_error_chart(
    plotted: Callable[..., tuple[Any, str]], tmp_path: Path
) -> None:
    png = tmp_path / "out" / "errors.png"
    fig, out = plotted(_shown, "--plot", str(png), "--json")
    doc = json.loads(out)
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert doc["plots"] == [str(png)]  # the key of every command with --plot (before: no key)
    assert fig["titles"] == ["per-utterance error rates", "error rate against utterance length"]
    assert fig["xlabels"] == ["error rate of the utterance", "utterance length (reference words)"]
    assert f"corpus CER {doc['totals']['cer']:.3f}" in fig["legend"]
    title = " ".join(fig["suptitle"].split())  # the title wraps a long model path (pytest-xdist's tmp paths)
    assert title.startswith("digits.tsv: 3 utterances, WER ") and "(model " in title
    assert fig["points"] == 3  # one CER point per utterance


def test_evaluate_json_without_plot_lists_no_plots(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, corpus: tuple[str, Path]
) -> None:
    """``"plots"``: [] without --plot, as finance forecast, bio scan and nlp generate evaluate give it."""
    model, tsv = corpus
    code, out, err = speech(capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tsv), "--json")
    assert code == 0, err
    assert json.loads(out)["plots"] == []


@pytest.mark.parametrize(
    ("name", "message"), [("errors.jpg", "must end in .png"), ("f.txt/e.png", "is a file")]
)
def test_evaluate_bad_plot_path_fails_before_any_work(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    corpus: tuple[str, Path],
    name: str,
    message: str,
) -> None:
    from carrousel.speech import pipeline

    def no_work(*_: Any, **__: Any) -> None:
        raise AssertionError("evaluated before --plot was checked")

    monkeypatch.setattr(pipeline, "evaluate", no_work)
    (tmp_path / "f.txt").write_text("x")
    model, tsv = corpus
    code, out, err = speech(
        capsys, monkeypatch, "evaluate", "--model", model, "--data", str(tsv), "--plot", str(tmp_path / name)
    )
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --plot") and message in lines[0]


def test_evaluate_plot_to_stdout_with_json_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, corpus: tuple[str, Path]
) -> None:
    model, tsv = corpus
    code, _, err = speech(
        capsys,
        monkeypatch,
        "evaluate",
        "--model",
        model,
        "--data",
        str(tsv),
        "--plot",
        "/dev/stdout",
        "--json",
    )
    assert code == 2 and "--json" in err and len(err.strip().splitlines()) == 1


def test_evaluate_plot_counts_and_lengths_are_whole_numbers(plotted: Callable[..., tuple[Any, str]]) -> None:
    """Before, a small corpus (3 utterances, as sample:tidigits --max-utterances 3) had histogram counts
    0.2, 0.4, ... utterances and lengths 1.5, 2.5 ... words on the axes."""

    def ticks(fig: Any) -> tuple[list[float], list[float]]:
        hist, spread = fig.get_axes()
        fig.canvas.draw()
        return list(hist.get_yticks()), list(spread.get_xticks())

    (counts, lengths), _ = plotted(ticks)
    assert counts and all(float(c).is_integer() for c in counts), counts
    assert lengths and all(float(n).is_integer() for n in lengths), lengths


def test_evaluate_plot_lengths_are_whole_numbers_when_all_utterances_are_alike(
    plotted: Callable[..., tuple[Any, str]], corpus: tuple[str, Path]
) -> None:
    """Every utterance of one length (a digit-string test set of five digits each): matplotlib's view of
    one x value is 4.74-5.26 words, and the integer locator gave up, labelling 4.74, 4.80, ... words."""

    def lengths(fig: Any) -> list[float]:
        fig.canvas.draw()
        spread = fig.get_axes()[1]
        lo, hi = spread.get_xlim()
        bottom, top = spread.get_ylim()  # rates from 0, not a few hundredths blown up to full height
        assert -0.1 * top < bottom <= 0.0, (bottom, top)
        return [t for t in spread.get_xticks() if lo <= t <= hi]

    _, tsv = corpus
    tsv.write_text("path\ttranscript\na.wav\tgo left\nb.wav\tstop now\nc.wav\tturn right\n", encoding="utf-8")
    ticks, _ = plotted(lengths)
    assert 2.0 in ticks and all(float(n).is_integer() for n in ticks), ticks


def test_evaluate_plot_draws_wer_and_cer_bars_side_by_side(
    plotted: Callable[..., tuple[Any, str]], tmp_path: Path
) -> None:
    """Before, the WER and CER histograms were two step outlines over the same bins: where both had
    utterances in one bin (here every utterance, WER and CER alike, falls in a few bins) one hid the other."""
    from matplotlib.container import BarContainer

    def bars(fig: Any) -> list[list[tuple[float, float, float]]]:
        hist = fig.get_axes()[0]
        return [
            [(r.get_x(), r.get_x() + r.get_width(), r.get_height()) for r in c]
            for c in hist.containers
            if isinstance(c, BarContainer)
        ]

    (cer, wer), _ = plotted(bars)  # one bar series per rate
    assert (tmp_path / "e.png").read_bytes()[:8] == PNG_MAGIC
    assert sum(h for *_, h in cer) == 3 and sum(h for *_, h in wer) == 3  # each utterance counted once
    filled = [(a, b) for a, b, h in cer if h], [(a, b) for a, b, h in wer if h]
    overlaps = [(c, w) for c in filled[0] for w in filled[1] if min(c[1], w[1]) - max(c[0], w[0]) > 1e-9]
    assert overlaps == []
    width = (cer[1][0] - cer[0][0]) if len(cer) > 1 else 1.0  # the bin width: a shared bin holds both bars
    shared = [(c, w) for c in filled[0] for w in filled[1] if int(c[0] // width) == int(w[0] // width)]
    assert shared, (filled, "no bin holds both rates: the overlap the test guards against is not exercised")
