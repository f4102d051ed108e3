"""carrousel-nlp: why the shipped sentiment model is under the majority class on drug reviews (DIAGNOSIS only).

The drug reviews of ``bench_nlp_drugs.py`` (same rows, same reading of the TSV) are a disclosure set: nothing
here is chosen, tuned or adopted on them. The shipped model (``--model``: another bundle) reads each review
as its default does (``long="truncated"``) and is decided at its stored cut. Printed, per file:

* the threshold: P(positive) of the positive and negative reviews, the share predicted positive against
  the set's, the cut that a prior shift alone would give (the stored cut's logit moved by the log odds of the
  set's positive share against the model's training share, Saerens et al. 2002) and, as a BOUND only, the
  best accuracy any cut reaches on the set itself (the cut seen with the labels: never a choice);
* the text as shipped: reviews holding an HTML entity (``&#039;`` for the apostrophe: ``don&#039;t`` reads
  as ``don & # 0 3 9 ; t``, negation lost), their accuracy, and the set read with the entities unescaped;
* the domain: the share of each review's sentences (:func:`carrousel.nlp.sentence_split.split_sentences`)
  the model reads negative, by class; the first and the last sentence read alone; the positive reviews
  naming ``side effect`` against the rest (read negative).

The wheel bins the 1..10 ratings (negative 1-4, neutral 5-6, positive 7-10) before shipping them, so the
raw rating of a review, and with it the label scale's part, cannot be seen here.
Usage: ``python benchmarks/bench_nlp_drugs_why.py --data DIR [--model DIR]`` (DIR as ``bench_nlp_drugs.py``'s).
"""

from __future__ import annotations

import argparse
import html
import itertools
import re
from pathlib import Path

import numpy as np
import torch
from bench_nlp_drugs import drug_rows
from sklearn.metrics import roc_auc_score

from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.sentence_split import split_sentences

ENTITY = re.compile(r"&#?\w+;")


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def threshold(model: SentimentModel, p: np.ndarray, y: np.ndarray) -> None:
    """The cut's part: what is predicted against what is there, and what a prior shift alone would move."""
    cut = float(model.threshold or 0.5)
    counts = model.bundle.data.get("class_counts", {})
    train_share = counts["positive"] / sum(counts.values()) if counts else 0.5
    shifted = 1 / (1 + np.exp(-(logit(cut) - logit(float(y.mean())) + logit(train_share))))
    grid = np.unique(np.concatenate([p, [1.01]]))
    accs = np.asarray([np.mean((p >= c) == y) for c in grid])
    print(f"mean P(positive): positive reviews {p[y == 1].mean():.3f}, negative {p[y == 0].mean():.3f}")
    print(f"predicted positive {np.mean(p >= cut):.3f} of {y.mean():.3f}; training share {train_share:.3f}")
    print(
        f"prior-shift cut {shifted:.3f}: accuracy {np.mean((p >= shifted) == y):.3f} (the set's share known)"
    )
    print(f"bound, the best cut seen with the labels: {accs.max():.3f} at {grid[accs.argmax()]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding drugsComTest/Train.tsv")
    parser.add_argument("--model", type=Path, help="sentiment bundle (default: the shipped model)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = SentimentModel.from_pretrained(args.model)
    cut = float(model.threshold or 0.5)
    for split in ("Test", "Train"):
        texts, y = drug_rows(args.data / f"drugsCom{split}.tsv")
        p = model.predict_proba(texts, warn=False)[:, 1]
        pred = (p >= cut).astype(int)
        majority = max(y.mean(), 1 - y.mean())
        print(f"\n== drugsCom{split}.tsv: {len(y)} polar reviews, majority {majority:.3f}, cut {cut:.3f}")
        print(f"accuracy {np.mean(pred == y):.3f}, ROC-AUC {roc_auc_score(y, p):.3f}")
        threshold(model, p, y)
        ent = np.asarray([bool(ENTITY.search(t)) for t in texts])
        unescaped = model.predict_proba([html.unescape(t) for t in texts], warn=False)[:, 1]
        print(f"HTML entities: {int(ent.sum())} reviews ({ent.mean():.3f}), accuracy {np.mean(pred[ent] == y[ent]):.3f}"
              f" (without: {np.mean(pred[~ent] == y[~ent]):.3f}); all unescaped: accuracy "
              f"{np.mean((unescaped >= cut) == y):.3f}, predicted positive {np.mean(unescaped >= cut):.3f}, ROC-AUC "
              f"{roc_auc_score(y, unescaped):.3f}")  # fmt: skip
        pieces = [split_sentences(t) for t in texts]
        flat = model.predict_proba([s for piece in pieces for s in piece], warn=False)[:, 1] >= cut
        bounds = list(itertools.pairwise(np.cumsum([0, *(len(piece) for piece in pieces)])))
        negative = np.asarray([1 - flat[a:b].mean() for a, b in bounds])
        first, last = (np.asarray([flat[a if i == 0 else b - 1] for a, b in bounds]) for i in (0, 1))
        print(f"sentences read negative: {negative[y == 1].mean():.3f} of a positive review's, "
              f"{negative[y == 0].mean():.3f} of a negative one's; first sentence alone accuracy "
              f"{np.mean(first == y):.3f}, last {np.mean(last == y):.3f}")  # fmt: skip
        named = np.asarray(["side effect" in t.lower() for t in texts]) & (y == 1)
        rest = ~named & (y == 1)
        print(f"positive reviews read negative: naming 'side effect' {np.mean(pred[named] == 0):.3f} "
              f"({int(named.sum())}), the others {np.mean(pred[rest] == 0):.3f} ({int(rest.sum())})")  # fmt: skip


if __name__ == "__main__":
    main()
