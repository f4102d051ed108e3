"""``nlp sentiment evaluate`` of a three-class model on data without one of its classes (no neutral row).

Before, the macro figures counted the absent class's undefined recall (and the precision of its wrong
predictions) as 0, scikit-learn's default, with no word: on the rows below recall 0.333 where the two classes
present score 0.5 each, while the binary case already said n/a. Now the macro figures are over the classes
present (scikit-learn's ``labels=<present>``), one warning names the absent class, and ``--json`` lists it
in ``classes_absent``. (Also here, on the same tiny model: ``evaluate --out DIR -q`` prints nothing.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from carrousel.nlp.config import (
    FitConfig,
    SentimentEvaluateConfig,
    SentimentNetConfig,
    SentimentTrainConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.pipeline import evaluate_sentiment, train_sentiment
from carrousel.nlp.pipeline.sentiment import SentimentModel
from tests.nlp.conftest import Run, write_csv

# true negative, negative, positive, positive; predicted negative, neutral, positive, neutral
_PROBS = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.1, 0.6, 0.3]], dtype=np.float32)


@pytest.fixture(scope="module")
def three_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("three")
    words = {"negative": "awful dull", "neutral": "a film", "positive": "great fine"}
    rows = [(f"{words[label]} {i}", label) for i in range(8) for label in words]
    cfg = SentimentTrainConfig(
        TextDataConfig(str(write_csv(folder / "train.csv", rows))),
        TokenizerConfig(kind="word", vocab_size=50, min_frequency=1),
        SentimentNetConfig(embed_dim=4, hidden_size=4),
        FitConfig(epochs=1, batch_size=8, progress=False),
    )
    train_sentiment(cfg, folder / "model")
    return folder


def _fixed(self: SentimentModel, texts: Any, *args: Any, **kw: Any) -> np.ndarray:
    return _PROBS[: len(list(texts))]


def test_macro_figures_are_over_the_classes_present_with_a_warning(
    three_class: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SentimentModel, "predict_proba", _fixed)
    rows = [("awful", "negative"), ("dull", "negative"), ("great", "positive"), ("fine", "positive")]
    data = write_csv(three_class / "no_neutral.csv", rows)
    cfg = SentimentEvaluateConfig(str(three_class / "model"), TextDataConfig(str(data)))
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.pipeline.sentiment_eval"):
        r = evaluate_sentiment(cfg)
    assert r.confusion == [[1, 1, 0], [0, 0, 0], [0, 1, 1]]
    assert r.classes_absent == ["neutral"]
    assert r.recall == pytest.approx(0.5)  # (1/2 + 1/2) / 2; counting neutral as 0: 0.333
    assert r.precision == pytest.approx(1.0)  # neutral's 0 of 2 correct predictions not averaged in: 0.667
    assert r.f1 == pytest.approx(2 / 3) and r.macro_f1 == pytest.approx(2 / 3)  # 0.444 with neutral's 0
    said = [x.getMessage() for x in caplog.records if x.name == "carrousel.nlp.pipeline.sentiment_eval"]
    assert said == [
        f"{data} holds no row of class 'neutral': macro figures are over the 2 classes present; its recall is"
        " undefined"
    ]


def test_cli_json_lists_the_absent_classes(
    three_class: Path, nlp: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SentimentModel, "predict_proba", _fixed)
    data = write_csv(
        three_class / "two.csv", [("awful", "negative"), ("dull", "negative"), ("great", "positive")]
    )
    run = nlp("sentiment", "evaluate", "--model", str(three_class / "model"), "--data", str(data), "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["classes_absent"] == ["neutral"] and doc["recall"] == pytest.approx(0.75)  # (1/2 + 1) / 2
    assert "no row of class 'neutral'" in run.stderr
    text = nlp("sentiment", "evaluate", "--model", str(three_class / "model"), "--data", str(data))
    assert "(macro over the classes present; no neutral row)" in text.stdout


def test_evaluate_quiet_with_an_out_folder_prints_nothing(
    three_class: Path, nlp: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # -q is errors only (README): before, the whole report printed though metrics.json holds it
    monkeypatch.setattr(SentimentModel, "predict_proba", _fixed)
    data = write_csv(
        three_class / "all.csv", [("awful", "negative"), ("a film", "neutral"), ("great", "positive")]
    )
    base = ["sentiment", "evaluate", "--model", str(three_class / "model"), "--data", str(data)]
    run = nlp(*base, "--out", str(tmp_path / "eval"), "-q")
    assert run.returncode == 0 and run.stdout == "" and run.stderr == "", run
    assert (tmp_path / "eval" / "metrics.json").exists()
    assert "accuracy" in nlp(*base, "-q").stdout  # no folder: the report is the output
