"""The decision threshold of two-class sentiment models: chosen on the held-out rows, stored in the bundle,
applied by predict, evaluate and the exported model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.core.bundle import read_manifest
from carrousel.nlp.config import SentimentEvaluateConfig, SentimentTrainConfig, TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.decision import choose_threshold, decide
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.pipeline import SentimentModel, evaluate_sentiment
from carrousel.nlp.pipeline.sentiment import KIND


def _biased(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Half positive rows whose scores are well ranked but shifted down (a model biased to negative)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    p = 1 / (1 + np.exp(-(2.0 * (y - 0.5) * 2 + rng.normal(0, 1.2, n) - 1.2)))
    return p, y


def test_prior_matching_predicts_the_training_share() -> None:
    p, y = _biased(400, 0)
    assert decide(np.c_[1 - p, p], 0.5).mean() < 0.4  # the bias: too few positives at 0.5
    cut = choose_threshold(p, y, "prior", prior=0.5)
    assert (p >= cut).mean() == pytest.approx(0.5, abs=1 / 400)
    assert choose_threshold(p, y, "prior", prior=0.25) > cut  # a rarer positive class: a higher cut
    # on new rows of the same model, the cut chosen on these rows beats 0.5 in accuracy and F1
    q, z = _biased(20_000, 1)
    at = {t: decide(np.c_[1 - q, q], t) for t in (0.5, cut)}
    acc = {t: float(np.mean(v == z)) for t, v in at.items()}
    f1 = {t: 2 * np.sum(v & z) / (np.sum(v) + np.sum(z)) for t, v in at.items()}
    assert acc[cut] > acc[0.5] + 0.02 and f1[cut] > f1[0.5] + 0.05, (acc, f1)


def test_prior_matching_over_a_pool_of_unlabelled_rows() -> None:
    """With a pool (a distilled student's probabilities on its training rows) the share is matched on the
    validation rows and the pool together; the cut then moves far less from one validation draw to the
    next, so the share predicted positive on new rows lands nearer the prior; the metric criteria ignore it."""
    p, y = _biased(300, 0)
    pool, _ = _biased(2_700, 2)
    cut = choose_threshold(p, y, "prior", prior=0.5, pool=pool)
    both = np.concatenate([p, pool])
    assert (both >= cut).mean() == pytest.approx(0.5, abs=1 / len(both))
    assert choose_threshold(p, y, "prior", prior=0.5, pool=pool[:0]) == choose_threshold(p, y, "prior", 0.5)
    assert choose_threshold(p, y, "f1", pool=pool) == choose_threshold(p, y, "f1")
    q, _ = _biased(20_000, 1)  # new rows, half positive
    off = {"val": [], "pool": []}
    for seed in range(3, 43):  # 40 validation draws of 300 rows, each with a pool of 2,700
        pv, yv = _biased(300, seed)
        extra, _ = _biased(2_700, 1000 + seed)
        for name, kw in (("val", {}), ("pool", {"pool": extra})):
            off[name].append(abs(float(np.mean(q >= choose_threshold(pv, yv, "prior", 0.5, **kw))) - 0.5))
    assert np.mean(off["pool"]) < 0.5 * np.mean(off["val"]), off
    assert max(off["pool"]) < 0.02 < max(off["val"]), off


def test_metric_criteria_and_their_edges() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    assert choose_threshold(p, y, "accuracy") == pytest.approx(0.325)  # every row right
    assert choose_threshold(p, y, "f1") == pytest.approx(0.325)
    assert choose_threshold(p, y, "none") == 0.5
    assert choose_threshold(p, np.zeros(8, dtype=int), "accuracy") == 0.5  # one class: no cut to learn
    flat = np.array([0.2, 0.8, 0.2, 0.8])
    assert choose_threshold(flat, np.array([0, 1, 0, 1]), "accuracy") == 0.5  # ties: the cut nearest 0.5
    with pytest.raises(ValueError, match="unknown threshold"):
        choose_threshold(p, y, "auc")
    three = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    assert decide(three, 0.1).tolist() == [2, 0]  # more than two classes: argmax, threshold ignored
    assert decide(np.array([[0.55, 0.45]]), None).tolist() == [0]
    assert decide(np.array([[0.55, 0.45]]), 0.4).tolist() == [1]
    with pytest.raises(NLPConfigError, match="threshold"):
        SentimentTrainConfig(TextDataConfig("x.csv"), threshold="auc")


def test_the_bundle_stores_the_cut_and_every_path_applies_it(
    sentiment_model: Path, synthetic_csv: Path, tmp_path: Path
) -> None:
    manifest = read_manifest(sentiment_model, kind=KIND)
    cut = manifest["assets"]["threshold"]
    assert 0.0 < cut < 1.0
    # no unlabelled texts (no teacher): the validation rows alone placed it
    placed = {"criterion": "prior", "rows": manifest["data"]["val_rows"], "long": "truncated"}
    assert manifest["data"]["threshold"] == placed
    model = SentimentModel.from_pretrained(sentiment_model)
    assert model.threshold == cut
    texts = ["a wonderful film", "dull and far too long", "not bad", "the worst", "moving"]
    probs = model.predict_proba(texts)
    labels = [p.label for p in model(texts)]
    assert labels == [model.labels[i] for i in decide(probs, cut)]
    # moving the cut past every probability flips the labels: the cut, not the argmax, decides
    model.threshold = 0.0
    assert {p.label for p in model(texts)} == {model.labels[1]}
    data = load_texts(TextDataConfig(str(synthetic_csv)))
    ev = evaluate_sentiment(SentimentEvaluateConfig(str(sentiment_model), TextDataConfig(str(synthetic_csv))))
    fresh = SentimentModel.from_pretrained(sentiment_model)
    want = [fresh.labels[i] for i in decide(fresh.predict_proba(data.texts), cut)]
    assert ev.accuracy == pytest.approx(np.mean([a == b for a, b in zip(want, data.labels, strict=True)]))
    assert ev.accuracy > 0.8
    # an exported model keeps the cut (export copies the assets)
    pytest.importorskip("onnxruntime")
    from carrousel.nlp.config import SentimentExportConfig
    from carrousel.nlp.pipeline import export_sentiment

    export_sentiment(SentimentExportConfig(str(sentiment_model), precision="fp32"), tmp_path / "x")
    deployed = SentimentModel.from_pretrained(tmp_path / "x")
    assert deployed.runtime is not None and deployed.threshold == cut
    assert [p.label for p in deployed(texts)] == labels
