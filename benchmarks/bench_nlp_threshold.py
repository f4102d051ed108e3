"""carrousel-nlp sentiment: where the decision cut of a distilled BiLSTM comes from, on kept benchmark models.

Reads a folder written by ``bench_nlp_sentiment.py --keep DIR`` (its data files and the distilled models
``model_<seed>_distilled_u<augment>``) and, per seed, places the ``prior`` cut (the share predicted
positive equals the training prior, :mod:`carrousel.nlp.decision`) on three sets of rows: the 304
validation rows alone (the rule before), the validation rows + the unlabelled review sentences of the
transfer set, and the validation rows + the training rows (the rule now for a distilled student,
:mod:`carrousel.nlp.decision`). The models' weights do not depend on the rule (the cut is placed after
training), so each rule's figures are those its bundle would score. The choice between them uses the validation rows only: the bootstrap
spread of each cut (validation rows, and pool, resampled) and the validation accuracy and F1 at each cut.
The test columns (and, per seed, the range of test shares predicted positive at which a cut would beat
the bag of words on both metrics: a diagnosis) are printed for the record, never to choose. Needs no teacher (the models are plain
BiLSTMs); a few seconds per seed.

Usage: ``python benchmarks/bench_nlp_threshold.py DIR [--seeds 3] [--augment 4]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, stratified_split
from carrousel.nlp.decision import choose_threshold
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.transfer import read_unlabelled

TESTS = ("test", "gensim", "tweets", "amazon", "nyt")


def _scores(p: np.ndarray, y: np.ndarray, cut: float) -> tuple[float, float]:
    pred = p >= cut
    tp = float(np.sum(pred & (y == 1)))
    return float(np.mean(pred == (y == 1))), 2 * tp / max(float(np.sum(pred) + np.sum(y == 1)), 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the --keep folder of bench_nlp_sentiment.py")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--augment", type=int, default=4)
    parser.add_argument("--boot", type=int, default=200, help="bootstrap resamples of the cut")
    parser.add_argument("--bow", type=float, nargs=2, default=(0.725, 0.732), help="bag of words acc, F1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = load_texts(TextDataConfig(str(args.folder / "train.csv")))
    tests = {name: load_texts(TextDataConfig(str(args.folder / f"{name}.csv"))) for name in TESTS}
    reviews = read_unlabelled([args.folder / "reviews.txt"], 200_000)
    rows: dict[str, list[list[float]]] = {}
    for seed in range(args.seeds):
        model = SentimentModel.from_pretrained(args.folder / f"model_{seed}_distilled_u{args.augment}")
        pos = model.labels[1]
        y = np.asarray([label == pos for label in train.labels], dtype=np.int64)
        train_idx, val_idx = stratified_split(train.labels, 0.1, seed)
        seen = {train.texts[i].strip() for i in [*train_idx, *val_idx]}
        pool = [t for t in dict.fromkeys(reviews) if t not in seen]
        p_all = model.predict_proba(train.texts)[:, 1]
        p_val, y_val, p_train = p_all[val_idx], y[val_idx], p_all[train_idx]
        p_pool = model.predict_proba(pool)[:, 1]
        prior = float(np.mean(y[train_idx]))
        cuts = {
            "validation only": choose_threshold(p_val, y_val, "prior", prior),
            "validation + unlabelled": choose_threshold(p_val, y_val, "prior", prior, p_pool),
            "validation + training": choose_threshold(p_val, y_val, "prior", prior, p_train),
        }
        stored = [
            name
            for name, cut in cuts.items()
            if model.threshold is not None and abs(model.threshold - cut) < 1e-9
        ]
        rng = np.random.default_rng(seed)
        probs = {name: model.predict_proba(data.texts)[:, 1] for name, data in tests.items()}
        truth = {n: np.asarray([lab == pos for lab in d.labels], dtype=np.int64) for n, d in tests.items()}
        print(
            f"seed {seed}: {len(p_val)} validation rows (prior {prior:.3f}), {len(p_pool)} unlabelled, "
            f"{len(p_train)} training; share predicted positive at 0.5: validation {np.mean(p_val >= 0.5):.3f}, "
            f"unlabelled {np.mean(p_pool >= 0.5):.3f}, training {np.mean(p_train >= 0.5):.3f}; the bundle's cut: "
            f"{', '.join(stored) or 'none of these'}",
            flush=True,
        )
        for name, cut in cuts.items():
            extra = {
                "validation only": None,
                "validation + unlabelled": p_pool,
                "validation + training": p_train,
            }
            boot = []
            for _ in range(args.boot):
                iv = rng.integers(0, len(p_val), len(p_val))
                more = extra[name]
                resampled = None if more is None else more[rng.integers(0, len(more), len(more))]
                boot.append(choose_threshold(p_val[iv], y_val[iv], "prior", prior, resampled))
            share_sd = float(np.std([np.mean(p_pool >= c) for c in boot]))  # on a fixed set of texts
            val_acc, val_f1 = _scores(p_val, y_val, cut)
            row = [cut, float(np.std(boot)), share_sd, float(np.mean(p_val >= cut)), val_acc, val_f1]
            for test in TESTS:
                row.extend(_scores(probs[test], truth[test], cut))
            rows.setdefault(name, []).append(row)
        # diagnosis only, never a choice: where on the test split would a cut beat the bag of words on both?
        p, t = probs["test"], truth["test"]
        window = [
            float(np.mean(p >= c)) for c in np.unique(p) if min(np.subtract(_scores(p, t, c), args.bow)) > 0
        ]
        print(
            f"seed {seed}, diagnosis on the P&L test split: {len(window)} cuts beat the bag of words {args.bow} on both"
            + (f", predicting {min(window):.3f} to {max(window):.3f} positive" if window else ""),
            flush=True,
        )
    head = ["cut", "boot sd", "share sd", "val share", "val acc", "val F1"]
    head += [f"{t} {m}" for t in TESTS for m in ("acc", "F1")]
    print("per rule: mean over seeds, then the sd; the P&L test per seed")
    print(f"{'rows that place the prior cut':<26}" + "".join(f"{h:>11}" for h in head))
    for name, values in rows.items():
        mean, sd = np.mean(values, axis=0), np.std(values, axis=0, ddof=1)
        print(f"{name:<26}" + "".join(f"{v:>11.3f}" for v in mean))
        print(f"{'  (sd over seeds)':<26}" + "".join(f"{v:>11.3f}" for v in sd))
        per = ", ".join(f"{v[6]:.3f}/{v[7]:.3f}" for v in values)
        print(f"{'':<26}P&L test acc/F1 per seed: {per}")


if __name__ == "__main__":
    main()
