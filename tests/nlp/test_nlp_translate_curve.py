"""``nlp translate train``'s per-epoch validation BLEU and chrF (carrousel.nlp.pipeline.translate_scores):
in the result's JSON, in history.csv and as a panel of training.png; the figure of the kept epoch is
``evaluate --split valid --beam 1 --fallback-nll 0 --no-mbr``'s greedy score of the saved bundle."""

from __future__ import annotations

import csv
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from carrousel.core import curves
from carrousel.nlp.config import DecodeConfig, TranslateEvaluateConfig
from carrousel.nlp.pipeline import translate_scores
from carrousel.nlp.pipeline.translate_eval import evaluate_translator
from tests.cli_harness import record_figures
from tests.nlp.translate_toys import cli_translator


def _panels(fig: Any) -> dict[str, list[str]]:
    """A learning curve's panels: their y labels and legend texts."""
    legends = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    return {"ylabels": [ax.get_ylabel() for ax in fig.axes], "legend": legends}


def test_train_records_validation_bleu_and_chrf_per_epoch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    drawn = record_figures(monkeypatch, curves, _panels)
    out = cli_translator(tmp_path, "--epochs", "3")
    doc = json.loads(capsys.readouterr().out)
    bleu, chrf = doc["valid_bleu"], doc["valid_chrf"]
    assert len(bleu) == len(chrf) == doc["epochs"] == 3
    assert all(0 <= v <= 100 for v in bleu + chrf) and chrf[-1] > chrf[0]  # it learns
    assert doc["members"][0]["valid_bleu"] == bleu and doc["members"][0]["valid_chrf"] == chrf
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [float(r["val_bleu"]) for r in rows] == pytest.approx(bleu)
    assert [float(r["val_chrf"]) for r in rows] == pytest.approx(chrf)
    assert all(float(r["score_time"]) > 0 for r in rows)
    (chart,) = drawn
    assert chart["ylabels"][:2] == ["loss", "BLEU / chrF"]
    assert {"validation BLEU", "validation chrF"} <= set(chart["legend"])
    # the kept epoch's figures are those of the saved network decoded greedily on its own (evaluate's), without
    # the repetition guard (on by default in run and evaluate since 178dc0a6; the curve is the network's own)
    cfg = TranslateEvaluateConfig(
        str(out), (str(tmp_path / "pairs.tsv"),), split="valid",
        decode=DecodeConfig(beam=1, fallback_nll=0.0, mbr=False, block_ngram_repeat=0),
    )  # fmt: skip
    scored = evaluate_translator(cfg)
    kept = doc["best_epoch"] - 1
    assert scored.bleu["greedy"] == pytest.approx(bleu[kept], abs=1e-4)
    assert scored.chrf["greedy"] == pytest.approx(chrf[kept], abs=1e-4)


def test_train_without_sacrebleu_says_so_and_trains_as_before(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "sacrebleu", None)  # importing it fails, as when it is not installed
    said_by = logging.getLogger(translate_scores.__name__)  # the CLI's own handler stops propagation above it
    said_by.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger=said_by.name):
            assert not translate_scores.can_score()
    finally:
        said_by.removeHandler(caplog.handler)
    (said,) = {r.getMessage() for r in caplog.records}  # one warning (seen once or twice: root and here)
    assert "BLEU and chrF are skipped" in said and "pip install 'carrousel-nlp[translate]'" in said
    out = cli_translator(tmp_path)
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid_bleu"] == doc["valid_chrf"] == [] and doc["epochs"] == 2
    assert "val_bleu" not in (out / "history.csv").read_text()
