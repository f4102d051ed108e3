"""``nlp sentiment evaluate``'s ECE is of the predictions its accuracy counts: the class the model's stored
cut gives, not the argmax (before, a model whose cut is not 0.5 had its accuracy from one set of labels and
its ECE from another)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from carrousel.core.metrics import expected_calibration_error
from carrousel.nlp.config import SentimentEvaluateConfig, TextDataConfig
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel, evaluate_sentiment
from carrousel.nlp.pipeline.sentiment import shipped_model_path

_NEGATION = Path(__file__).parent / "data" / "negation.csv"


def test_ece_is_of_the_labels_the_cut_gives(tmp_path: Path) -> None:
    model = tmp_path / "cut"
    shutil.copytree(shipped_model_path(), model)
    manifest = json.loads((model / "bundle.json").read_text(encoding="utf-8"))
    manifest["assets"]["threshold"] = 0.8  # far from 0.5: the cut and the argmax disagree on many rows
    (model / "bundle.json").write_text(json.dumps(manifest), encoding="utf-8")
    ev = evaluate_sentiment(SentimentEvaluateConfig(str(model), TextDataConfig(str(_NEGATION))))
    loaded = SentimentModel.from_pretrained(model)
    texts = _NEGATION.read_text(encoding="utf-8").splitlines()[1:]
    probs = loaded.predict_proba([t.rsplit(",", 1)[0] for t in texts]).astype(np.float64)
    y = np.array([["negative", "positive"].index(t.rsplit(",", 1)[1]) for t in texts])
    pred = decide(probs, 0.8)
    assert ev.accuracy == pytest.approx(float(np.mean(pred == y)))
    assert (pred != probs.argmax(axis=1)).sum() >= 3
    assert ev.ece != pytest.approx(expected_calibration_error(probs, y), abs=1e-3)  # not the argmax's
    assert ev.ece == pytest.approx(expected_calibration_error(probs, y, predicted=pred), abs=1e-6)
