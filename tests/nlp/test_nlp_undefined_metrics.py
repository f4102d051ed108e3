"""``nlp sentiment evaluate`` on data with no positive row says recall and F1 are n/a (null in --json), as
ROC-AUC already did (before: recall 0.000, F1 0.000, a score the model never earned or lost); precision
likewise when nothing is predicted positive. Core's metrics keep scikit-learn's zero-division-as-0."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.pipeline import evaluate_sentiment
from tests.nlp.conftest import Run

_NEGATIVE = ["dull, lifeless and far too long", "a tedious mess with a terrible script", "awful and boring"]


def test_no_positive_row_makes_recall_and_f1_undefined(
    tmp_path: Path, write_rows: Any, nlp: Callable[..., Run]
) -> None:
    data = write_rows(tmp_path / "neg.csv", [(t, "negative") for t in _NEGATIVE])
    r = evaluate_sentiment(SentimentEvaluateConfig(None, TextDataConfig(str(data))))
    assert r.confusion[1] == [0, 0] and r.recall is None and r.f1 is None and r.roc_auc is None
    assert r.accuracy == r.confusion[0][0] / 3
    done = nlp("sentiment", "evaluate", "--data", str(data), "--json")
    doc = json.loads(done.stdout)
    assert doc["recall"] is None and doc["f1"] is None
    text = nlp("sentiment", "evaluate", "--data", str(data)).stdout
    assert "recall     n/a (no positive row)" in text and "F1         n/a (no positive row)" in text


def test_no_positive_prediction_makes_precision_undefined(tmp_path: Path, write_rows: Any) -> None:
    rows = [(t, "negative") for t in _NEGATIVE] + [("dreadful, a waste of time", "positive")]
    r = evaluate_sentiment(
        SentimentEvaluateConfig(None, TextDataConfig(str(write_rows(tmp_path / "d.csv", rows))))
    )
    assert [row[1] for row in r.confusion] == [0, 0]  # the shipped model reads every text as negative
    assert r.precision is None and r.recall == 0.0 and r.f1 == 0.0
