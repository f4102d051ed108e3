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

Second table (``--criteria``): the criteria of ``--threshold`` side by side (``prior`` placed on the
validation + training rows, as stored; ``none`` = 0.5; ``accuracy`` and ``f1`` = the cut maximising that
metric on the validation rows). A criterion that reads the validation labels would score itself on the
rows it was fitted to, so the validation figures of this table are cross-fitted: the validation rows are
cut into ``--folds`` stratified folds, each fold is predicted at the cut its criterion places on the other
folds (+ the training rows for ``prior``), and the accuracy and F1 of those predictions are averaged over
``--repeats`` random fold assignments. Those columns choose; the test columns are printed for the record.

Usage: ``python benchmarks/bench_nlp_threshold.py DIR [--seeds 3] [--augment 4] [--criteria]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.decision import CRITERIA, choose_threshold
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.repeats import text_split
from carrousel.nlp.transfer import read_unlabelled

TESTS = ("test", "gensim", "tweets", "amazon", "nyt")


def _scores(p: np.ndarray, y: np.ndarray, cut: float) -> tuple[float, float]:
    pred = p >= cut
    tp = float(np.sum(pred & (y == 1)))
    return float(np.mean(pred == (y == 1))), 2 * tp / max(float(np.sum(pred) + np.sum(y == 1)), 1.0)


RULES = (*CRITERIA, "prior, validation only")  # the last: the prior cut without the training rows' pool


def _place(rule: str, p: np.ndarray, y: np.ndarray, prior: float, p_train: np.ndarray) -> float:
    """The cut ``nlp sentiment train --threshold RULE`` stores for a distilled student (the last of
    :data:`RULES`: ``prior`` matched on the validation rows alone, the rule of label-only models)."""
    if rule == RULES[-1]:
        return choose_threshold(p, y, "prior", prior)
    return choose_threshold(p, y, rule, prior, p_train if rule == "prior" else None)


def cross_fitted(
    criterion: str, p: np.ndarray, y: np.ndarray, prior: float, p_train: np.ndarray, folds: int, repeats: int
) -> tuple[float, float]:
    """Validation accuracy and F1 of ``criterion`` with every row predicted at a cut placed without it.

    Args:
        criterion: one of :data:`RULES`.
        p, y: ``(N,)`` validation probabilities of the positive class and true classes (0/1).
        prior: the training rows' share of positives.
        p_train: ``(M,)`` the training rows' probabilities (the pool of ``prior``).
        folds: stratified folds of the validation rows; repeats: random fold assignments averaged.
    """
    rng = np.random.default_rng(0)
    acc, f1 = [], []
    for _ in range(repeats):
        fold = np.empty(len(y), dtype=np.int64)
        for cls in (0, 1):  # stratified: each class dealt round-robin after a shuffle
            idx = rng.permutation(np.flatnonzero(y == cls))
            fold[idx] = np.arange(len(idx)) % folds
        pred = np.zeros(len(y), dtype=bool)
        for k in range(folds):
            held, fit = fold == k, fold != k
            pred[held] = p[held] >= _place(criterion, p[fit], y[fit], prior, p_train)
        tp = float(np.sum(pred & (y == 1)))
        acc.append(float(np.mean(pred == (y == 1))))
        f1.append(2 * tp / max(float(np.sum(pred) + np.sum(y == 1)), 1.0))
    return float(np.mean(acc)), float(np.mean(f1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the --keep folder of bench_nlp_sentiment.py")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--augment", type=int, default=4)
    parser.add_argument("--boot", type=int, default=200, help="bootstrap resamples of the cut")
    parser.add_argument("--bow", type=float, nargs=2, default=(0.725, 0.732), help="bag of words acc, F1")
    parser.add_argument("--criteria", action="store_true", help="also compare the --threshold criteria")
    parser.add_argument("--folds", type=int, default=5, help="--criteria: cross-fitting folds of validation")
    parser.add_argument("--repeats", type=int, default=50, help="--criteria: random fold assignments")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = load_texts(TextDataConfig(str(args.folder / "train.csv")))
    tests = {name: load_texts(TextDataConfig(str(args.folder / f"{name}.csv"))) for name in TESTS}
    reviews = read_unlabelled([args.folder / "reviews.txt"], 200_000)
    rows: dict[str, list[list[float]]] = {}
    crit: dict[str, list[list[float]]] = {}
    for seed in range(args.seeds):
        model = SentimentModel.from_pretrained(args.folder / f"model_{seed}_distilled_u{args.augment}")
        pos = model.labels[1]
        y = np.asarray([label == pos for label in train.labels], dtype=np.int64)
        train_idx, val_idx, _ = text_split(train.texts, train.labels, 0.1, seed)  # as train_sentiment
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
        for criterion in RULES if args.criteria else ():
            cut = _place(criterion, p_val, y_val, prior, p_train)
            row = [cut, *cross_fitted(criterion, p_val, y_val, prior, p_train, args.folds, args.repeats)]
            row += [*_scores(p_val, y_val, cut), float(np.mean(probs["test"] >= cut))]
            for test in TESTS:
                row.extend(_scores(probs[test], truth[test], cut))
            crit.setdefault(criterion, []).append(row)
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
    if not crit:
        return
    share = float(np.mean(truth["test"]))
    head = ["cut", "xval acc", "xval F1", "val acc", "val F1", "test share"]
    head += [f"{t} {m}" for t in TESTS for m in ("acc", "F1")]
    print(
        f"per criterion (distilled student): mean over seeds; xval = cross-fitted validation ({args.folds} "
        f"folds x {args.repeats}), the columns to choose on; the P&L test is {share:.3f} positive"
    )
    print(f"{'criterion':<26}" + "".join(f"{h:>11}" for h in head))
    for name, values in crit.items():
        print(f"{name:<26}" + "".join(f"{v:>11.3f}" for v in np.mean(values, axis=0)))
        per = ", ".join(f"{v[6]:.3f}/{v[7]:.3f}" for v in values)
        xv = ", ".join(f"{v[1]:.3f}/{v[2]:.3f}" for v in values)
        print(f"{'':<26}per seed: xval acc/F1 {xv}; P&L test acc/F1 {per}")


if __name__ == "__main__":
    main()
