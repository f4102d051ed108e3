"""``bio evaluate --plot``: a ROC and precision-recall PNG with AUROC/AUPRC in the legends; a bad path is
refused before any work (as by ``bio enrich --plot``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio import evaluate_plot
from carrousel.bio.cli import app
from tests.cli_harness import Outcome, assert_clean_failure, record_figures

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def small_sets(peak_pair) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    return peak_pair(120)


def _texts(fig: Any) -> dict[str, Any]:
    axes = fig.get_axes()
    return {
        "titles": [ax.get_title() for ax in axes],
        "xlabels": [ax.get_xlabel() for ax in axes],
        "legends": [[t.get_text() for t in ax.get_legend().get_texts()] for ax in axes],
        "suptitle": fig._suptitle.get_text() if fig._suptitle is not None else "",
    }


def test_evaluate_plot_writes_roc_and_pr_png(
    small_sets: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = record_figures(monkeypatch, evaluate_plot, _texts)
    p, n = small_sets
    png = tmp_path / "charts" / "roc.png"
    res = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--positives",
            str(p),
            "--negatives",
            str(n),
            "-m",
            "MA0142.1",
            "--plot",
            str(png),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # --json is still strict JSON alone on stdout
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert doc["plots"] == [str(png)]  # the chart written, as finance's forecast lists its charts
    (texts,) = drawn
    assert texts["titles"] == ["ROC", "precision-recall"]
    assert texts["xlabels"] == ["false positive rate", "recall"]
    roc_legend, pr_legend = texts["legends"]
    model, pwm = doc["model"], doc["best_pwm"]
    assert roc_legend[0] == f"model (Pou5f1::Sox2 MA0142.1): AUROC {model['auroc']:.4f}"
    assert roc_legend[1] == f"best PWM ({pwm['motif']}): AUROC {pwm['auroc']:.4f}"
    assert pr_legend[0] == f"model (Pou5f1::Sox2 MA0142.1): AUPRC {model['auprc']:.4f}"
    assert "p.fa vs n.fa" in texts["suptitle"] and "120 positives vs 120 negatives" in texts["suptitle"]


@pytest.mark.parametrize(
    ("command", "work"),
    [(["evaluate", "--positives", "{p}", "--negatives", "{n}"], "evaluate"),
     (["enrich", "{p}", "--background", "{n}"], "enrich")],
    ids=["evaluate", "enrich"],
)  # fmt: skip
@pytest.mark.parametrize(
    ("name", "message"), [("chart.txt", "must end in .png"), ("file.txt/chart.png", "is a file")]
)
def test_a_bad_plot_path_fails_before_any_work(
    small_sets: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    invoke: Callable[..., Outcome],
    command: list[str],
    work: str,
    name: str,
    message: str,
) -> None:
    from carrousel.bio import pipeline

    def no_work(*_: Any, **__: Any) -> None:
        raise AssertionError(f"{work} ran before --plot was checked")

    monkeypatch.setattr(pipeline, work, no_work)
    (tmp_path / "file.txt").write_text("x")
    p, n = small_sets
    args = [a.format(p=p, n=n) for a in command]
    out = invoke("bio", *args, "--plot", str(tmp_path / name))
    assert_clean_failure(out, 1, message)
    assert "--plot" in out.error_lines()[0]


def test_ranking_curves_area_is_the_auroc() -> None:
    from carrousel.bio.evaluate import _auc

    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(60), np.zeros(80)]
    scores = np.round(labels + rng.normal(0, 0.8, labels.size), 1)  # ties included
    pts = evaluate_plot.ranking_curves(scores, labels)
    auroc, _ = _auc(scores, labels)
    assert np.trapezoid(pts["tpr"], pts["fpr"]) == pytest.approx(auroc, abs=1e-9)
    assert (pts["fpr"][0], pts["tpr"][0], pts["fpr"][-1], pts["tpr"][-1]) == (0, 0, 1, 1)
    assert pts["precision"][-1] == pytest.approx(60 / 140)
