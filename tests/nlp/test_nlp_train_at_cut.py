"""`nlp sentiment train` reports what the saved two-class model scores on its held-out rows, its cut applied.

Found walking the product (session 42): on 1,200 Pang & Lee sentences the summary said `held out accuracy
0.592, F1 0.620` beside `threshold 0.511 ... chosen on the held-out rows`, but those are the trainer's argmax
figures: the bundle, deciding at 0.511, scores 0.567 / 0.581 on those very rows (recomputed with
scikit-learn). ``SentimentTrainResult.val_at_threshold`` (and the summary's `at the cut` line) is that figure.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from carrousel.nlp.config import FitConfig, SentimentNetConfig, SentimentTrainConfig, TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel, train_sentiment
from carrousel.nlp.repeats import text_split
from tests.nlp.conftest import Run, synthetic_rows, write_csv


def _noisy(path: Path) -> Path:
    rng = random.Random(3)  # a fifth of the labels flipped: the cut and the argmax then part on some rows
    rows = [
        (t, ("neg" if y == "pos" else "pos") if rng.random() < 0.2 else y) for t, y in synthetic_rows(300, 1)
    ]
    return write_csv(path, rows)


def test_held_out_figures_at_the_cut_are_the_saved_models(tmp_path: Path) -> None:
    data = _noisy(tmp_path / "noisy.csv")
    cfg = SentimentTrainConfig(
        TextDataConfig(str(data)),
        model=SentimentNetConfig(embed_dim=8, hidden_size=8),
        fit=FitConfig(epochs=2, batch_size=16, lr=1e-2, progress=False, val_fraction=0.3),
    )
    result = train_sentiment(cfg, tmp_path / "m")
    rows = load_texts(cfg.data)
    _, val, _ = text_split(rows.texts, rows.labels, cfg.fit.val_fraction, cfg.fit.seed)
    model = SentimentModel.from_pretrained(tmp_path / "m")
    y = np.array([model.labels.index(rows.labels[i]) for i in val])
    texts = [rows.texts[i] for i in val]
    pred = decide(model.predict_proba(texts), model.threshold)
    assert [model.labels[i] for i in pred] == [p.label for p in model(texts)]  # what predict says
    assert result.threshold == model.threshold and result.val_at_threshold is not None
    assert result.val_at_threshold["accuracy"] == accuracy_score(y, pred)
    assert np.isclose(result.val_at_threshold["f1"], f1_score(y, pred))


def test_the_summary_prints_the_figures_at_the_cut(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    data = _noisy(tmp_path / "noisy.csv")  # not -q: it prints nothing (bundle.json's data.train holds it)
    run = nlp(
        "sentiment", "train", "--data", str(data), "--out", str(tmp_path / "m"), "--epochs", "1",
        "--hidden-size", "8", "--embed-dim", "8", "--threads", "1",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("at the cut"))
    assert "held-out accuracy" in line and "(the saved model's)" in line
    cut = json.loads((tmp_path / "m" / "bundle.json").read_text())["data"]["train"]["val_at_threshold"]
    assert f"held-out accuracy {cut['accuracy']:.3f}, F1 {cut['f1']:.3f}" in line
