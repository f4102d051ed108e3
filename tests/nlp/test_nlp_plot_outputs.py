"""``nlp translate run --plot`` is checked like every chart option, before any work; ``nlp sentiment evaluate
--out`` without matplotlib writes metrics.json and says, before any work, that its charts are left out.

Before: translate run took any name (``--plot a.txt`` wrote a PNG there), wrote the PNG into its own
translations on stdout (``--plot /dev/stdout``, also inside the ``--json`` document), and without matplotlib
loaded the model and translated, then failed; sentiment evaluate scored every text, then failed on
the confusion chart and wrote nothing, with a message naming another command's chart."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.pipeline.translate import Translator
from tests.cli_harness import Outcome, assert_clean_failure, run_entry
from tests.nlp.conftest import Run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it now fails as if not installed


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("the model was loaded before --plot was checked")

    monkeypatch.setattr(Translator, "from_pretrained", never)


def _outcome(run: Run) -> Outcome:
    return Outcome(run.returncode, run.stdout, run.stderr)


def test_translate_run_plot_is_checked_before_any_work(
    nlp: Callable[..., Run], undertrained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_work(monkeypatch)
    base = ("translate", "run", "--model", str(undertrained), "hello")
    assert_clean_failure(_outcome(nlp(*base, "--plot", str(tmp_path / "a.txt"))), 1, "must end in .png")
    json_too = _outcome(nlp(*base, "--plot", "/dev/stdout", "--json"))
    assert_clean_failure(json_too, 2, "it names stdout, where --json prints")
    _no_matplotlib(monkeypatch)
    missing = _outcome(nlp(*base, "--plot", str(tmp_path / "a.png")))
    assert_clean_failure(missing, 1, "the attention chart (nlp translate run --plot) needs the matplotlib")
    assert "pip install 'carrousel-nlp[plot]'" in missing.stderr
    assert list(tmp_path.iterdir()) == []


def test_translate_run_json_lists_the_written_plot(
    nlp: Callable[..., Run], undertrained: Path, tmp_path: Path
) -> None:
    """``translate run --json`` gives ``"plots"`` as every command with --plot does (translate evaluate, bio
    scan, finance forecast...): the attention PNG written, [] without --plot; the translations stay last."""
    base = ("translate", "run", "--model", str(undertrained), "hello", "--json")
    png = tmp_path / "a.png"
    plotted = nlp(*base, "--plot", str(png))
    assert plotted.returncode == 0, plotted.stderr
    doc = json.loads(plotted.stdout)
    assert doc["plots"] == [str(png)] and png.read_bytes()[:8] == PNG_MAGIC
    assert list(doc)[-1] == "translations" and len(doc["translations"]) == 1
    plain = nlp(*base)
    assert plain.returncode == 0 and json.loads(plain.stdout)["plots"] == [], plain.stderr


def test_translate_run_plot_on_stdout_is_the_png_alone(
    undertrained: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, err = run_entry(
        capfdbinary,
        "nlp",
        "translate",
        "run",
        "--model",
        undertrained,
        "hello",
        "world",
        "--plot",
        "/dev/stdout",
    )
    assert code == 0, err
    assert out.startswith(PNG_MAGIC) and out.rstrip().endswith(b"IEND\xaeB`\x82")  # no translation after it


def test_sentiment_evaluate_out_without_matplotlib_writes_the_metrics_and_says_so(
    nlp: Callable[..., Run],
    sentiment_model: Path,
    synthetic_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_matplotlib(monkeypatch)
    out = tmp_path / "eval"
    run = nlp(
        "sentiment", "evaluate", "--model", str(sentiment_model), "--data", str(synthetic_csv), "-o", str(out)
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]
    assert json.loads((out / "metrics.json").read_text())["rows"] == 400
    assert "without its charts (confusion.png, attention.png): matplotlib is not installed" in run.stderr
    assert "carrousel-nlp[plot]" in run.stderr
