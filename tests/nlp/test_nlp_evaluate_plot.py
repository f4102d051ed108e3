"""``nlp translate evaluate --plot`` and ``nlp generate evaluate --plot``: a PNG whose bars are the figures
``--json`` prints (BLEU/chrF per system; perplexity of the LSTM and of each baseline), titled with the
model and the data, with the sentence chrF by source length or the per-token NLL along the held-out text
beside them; a bad path is refused in one line before any work, stdout with ``--json`` is a usage error."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp import evaluate_plot
from carrousel.nlp.evaluate_plot import length_bins, moving_mean
from tests.cli_harness import Outcome, assert_clean_failure, record_figures
from tests.nlp.conftest import Run
from tests.nlp.translate_toys import cli_translator

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _shown(fig: Any) -> dict[str, Any]:
    bars, side = fig.get_axes()
    return {
        "suptitle": fig._suptitle.get_text(),
        "bars": {c.get_label(): [p.get_height() for p in c.patches] for c in bars.containers},
        "bar_texts": [t.get_text() for t in bars.texts],
        "ticks": [t.get_text() for t in bars.get_xticklabels()],
        "side_ticks": [t.get_text() for t in side.get_xticklabels()],
        "lines": {ln.get_label(): list(ln.get_ydata()) for ln in side.get_lines()},
        "legend": [t.get_text() for t in side.get_legend().get_texts()],
        "ylabel": side.get_ylabel(),
    }


@pytest.fixture(scope="module")
def toy_mt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny CLI-trained translator of the toy commands (about 6 s) and its pairs file."""
    folder = tmp_path_factory.mktemp("mt_plot")
    return cli_translator(folder), folder / "pairs.tsv"


def test_translate_evaluate_plot_draws_the_json_scores(
    nlp: Callable[..., Run], toy_mt: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = record_figures(monkeypatch, evaluate_plot, _shown)
    model, pairs = toy_mt
    png = tmp_path / "charts" / "bleu.png"
    run = nlp(
        "translate", "evaluate", "--model", str(model), "--pairs", str(pairs), "--limit", "60",
        "--beam", "2", "--plot", str(png), "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)  # still strict JSON alone on stdout, without the per-sentence scores
    assert set(doc) == {
        "pairs",
        "bleu",
        "chrf",
        "beam",
        "examples",
        "fallbacks",
        "choices",
        "seconds",
        "precision",
        "trained_precision",
        "bleu_tokenize",
        "bleu_tokenize_note",
        "bleu_signature",
        "dropped",
        "plots",
    }
    assert doc["plots"] == [str(png)]  # the chart written, as finance's forecast lists its charts
    assert doc["bleu_tokenize"] == "13a"  # German: sacrebleu's default, as before
    assert png.read_bytes()[:8] == PNG_MAGIC
    (fig,) = drawn
    systems = list(doc["bleu"])
    assert fig["ticks"] == [("beam 2" if s == "beam" else s) for s in systems]
    assert fig["bars"]["BLEU"] == [doc["bleu"][s] for s in systems]  # the plotted heights are the JSON's
    assert fig["bars"]["chrF"] == [doc["chrf"][s] for s in systems]
    assert fig["bar_texts"] == [f"{doc[m][s]:.2f}" for m in ("bleu", "chrf") for s in systems]
    assert fig["suptitle"] == "nlp translate evaluate: model m on pairs.tsv (60 pairs, beam 2)"
    assert set(fig["lines"]) == {"beam 2", "dictionary", "copy"}
    assert sum(int(t.split("n=")[1]) for t in fig["side_ticks"]) == 60  # every scored pair in one bin
    assert all(
        v == 100.0 for v in fig["lines"]["dictionary"]
    )  # word-by-word toy pairs: the dictionary is exact
    assert all(c < d for c, d in zip(fig["lines"]["copy"], fig["lines"]["dictionary"], strict=True))


def test_generate_evaluate_plot_draws_the_json_perplexities(
    nlp: Callable[..., Run],
    lm_model: Path,
    small_text: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = record_figures(monkeypatch, evaluate_plot, _shown)
    png = tmp_path / "ppl.png"
    run = nlp(
        "generate", "evaluate", "--model", str(lm_model), "-t", str(small_text), "--orders", "1,3",
        "--plot", str(png), "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert "token_nll" not in doc and "baseline_token_nll" not in doc  # per-token figures: the chart's only
    assert doc["plots"] == [str(png)]  # the chart written (before: not in the document)
    assert png.read_bytes()[:8] == PNG_MAGIC
    (fig,) = drawn
    assert fig["ticks"] == ["LSTM", "unigram", "3-gram KN"]
    (heights,) = fig["bars"].values()
    assert heights == [doc["perplexity"], doc["baselines"]["unigram"], doc["baselines"]["3-gram KN"]]
    assert fig["bar_texts"] == [f"{h:.2f}" for h in heights]
    assert fig["suptitle"] == f"nlp generate evaluate: model lm on the held-out tail of {small_text.name}"
    best = doc["best_baseline"]
    lstm, other = fig["lines"]
    # the per-token NLLs drawn average to the perplexities printed (bits per token = log2 perplexity)
    assert lstm == f"LSTM: mean {doc['bits_per_token']:.3f} bits per token"
    assert other == f"{best}: mean {math.log2(doc['baselines'][best]):.3f} bits per token"
    assert fig["legend"][2] == f"LSTM worse than {best}"
    assert len(fig["lines"][lstm]) > 100 and "moving mean of" in fig["ylabel"]


@pytest.mark.parametrize("command", ["translate", "generate"])
@pytest.mark.parametrize(
    ("name", "message"), [("chart.jpg", "must end in .png"), ("f.txt/c.png", "is a file")]
)
def test_bad_plot_path_fails_in_one_line_before_any_work(
    nlp: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    name: str,
    message: str,
) -> None:
    from carrousel.nlp.pipeline import generate, translate_eval

    def no_work(*_: Any, **__: Any) -> None:
        raise AssertionError("evaluated before --plot was checked")

    monkeypatch.setattr(translate_eval, "evaluate_translator", no_work)
    monkeypatch.setattr(generate, "evaluate_lm", no_work)
    (tmp_path / "f.txt").write_text("x")
    data = ["--pairs", "p.tsv"] if command == "translate" else ["--text", "t.txt"]  # neither read
    run = nlp(command, "evaluate", "--model", str(tmp_path / "none"), *data, "--plot", str(tmp_path / name))
    assert_clean_failure(Outcome(run.returncode, run.stdout, run.stderr), 1, message)
    assert run.stderr.startswith("error: --plot") and run.stdout == ""


@pytest.mark.parametrize("command", ["translate", "generate"])
def test_plot_to_stdout_with_json_is_a_usage_error(nlp: Callable[..., Run], command: str) -> None:
    data = ["--pairs", "p.tsv"] if command == "translate" else ["--text", "t.txt"]
    run = nlp(command, "evaluate", "--model", "m", *data, "--plot", "/dev/stdout", "--json")
    assert run.returncode == 2 and "names stdout, where --json prints" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_length_bins_cover_every_length_without_an_empty_bin() -> None:
    lengths = [1] * 5 + [10] * 5 + [2, 3, 4, 5, 6, 7, 8, 9, 20, 40, 41]
    bins = length_bins(lengths, 6)
    assert len(bins) <= 6 and bins[0][0] == 1 and bins[-1][1] == 41
    assert all(any(lo <= n <= hi for n in lengths) for lo, hi in bins)  # none empty
    assert sorted(n for n in lengths for lo, hi in bins if lo <= n <= hi) == sorted(lengths)  # each once
    assert length_bins([3, 1, 3]) == [(1, 1), (3, 3)]  # few lengths: one bin each
    assert list(moving_mean([1.0, 2.0, 3.0, 6.0], 2)) == [1.5, 2.5, 4.5]
