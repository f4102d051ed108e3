"""carrousel-nlp: the shipped sentiment student beside its teacher, set by set (#13; evaluation only).

Nothing is trained but the teachers' logistic heads (fitted once each). Scored, side by side, on every
human-labelled set the sentiment record reports that the shipped model did not train on:

* the held-out halves of VADER's tweets, Amazon and NYT sets (the shipped recipe's split,
  ``scripts/train_nlp_sentiment_model.py``'s ``build_sets``: the other halves were trained on, so these are
  the same sources, not other domains), gensim's 200 Pang & Lee sentences and, given ``--drugs DIR``, the
  polar reviews of ``DIR/drugsComTest.tsv`` (a disclosure set; neutral rows dropped). VADER's movie snippets
  are not scored: the shipped model trained on all of them.

Models: the shipped student (``--model``; at its stored cut, read as ``nlp sentiment evaluate`` reads) and two
frozen teachers, all-MiniLM-L6-v2 mean-pooled embeddings + a logistic head (``fit_logistic``, C 1, as
``train_sentiment`` fits it; decided at the argmax), each text embedded AS THE STUDENT READS IT (``read_as``,
then the student tokenizer's ``prepare``: emoji named, unknown characters folded), as training's teacher reads:

* ``teacher (VADER)``: fitted on the shipped recipe's 12,962 training rows (its 1,441 validation rows left
  out, as training leaves them out): the shipped student's own teacher;
* ``teacher (P&L)``: fitted on ``bench_nlp_sentiment.py``'s 3,040 Pang & Lee training sentences: the teacher
  of that benchmark's rows (the record's "Amazon 0.764, NYT 0.751").

Accuracy, F1 of the positive class and ROC-AUC per set; ``--save FILE`` writes them with every text's
P(positive) per model (for ``--diagnose``). ``--diagnose FILE --set amazon`` reads such a file and counts, among
the texts the VADER teacher gets right and the student wrong, features of the text (negation, contrast,
length, words the student spells in several pieces), beside the same counts over the whole set.
Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_nlp_sentgap.py --drugs /path/to/drugs --save FILE``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.data import read_as
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.teacher import MiniLM, fit_logistic

ROOT = Path(__file__).resolve().parents[1]
NEGATION = re.compile(r"\b(not|no|never|nothing|none|nobody|neither|nor|without|hardly|cannot)\b|n't\b", re.I)
CONTRAST = re.compile(r"\b(but|however|although|though|yet|except|despite)\b", re.I)


def _rows(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def sets_and_teachers(
    folder: Path, drugs: Path | None
) -> tuple[dict[str, tuple[list[str], np.ndarray]], dict]:
    """The scored sets (texts, 1 positive / 0 negative) and the two teachers' training rows."""
    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "scripts")]
    bench = importlib.import_module("bench_nlp_sentiment")
    shipped = importlib.import_module("train_nlp_sentiment_model")
    drug_rows = importlib.import_module("bench_nlp_drugs").drug_rows
    (folder / "shipped").mkdir()
    (folder / "bench").mkdir()  # apart: both write train.csv and gensim.csv
    train, _, _, tests = shipped.build_sets(folder / "shipped")
    fit = shipped.FitConfig(epochs=8, batch_size=64, lr=3e-3, patience=2, seed=0, progress=False)
    val_texts = set(_rows(shipped.validation_rows(train, fit, folder / "shipped", shipped.DEFAULT_OUT))[0])
    texts, labels = _rows(train)
    keep = [i for i, t in enumerate(texts) if t not in val_texts]
    teachers = {
        "VADER": ([texts[i] for i in keep], [int(labels[i] == "positive") for i in keep]),
    }
    pl_train, _, _ = bench.prepare(folder / "bench")
    pl_texts, pl_labels = _rows(pl_train)
    teachers["P&L"] = (pl_texts, [int(lab == "1") for lab in pl_labels])
    scored = {}
    for name in ("tweets", "amazon", "nyt", "gensim"):
        tx, tl = _rows(tests[name])
        scored[name] = (tx, np.asarray([int(lab == "positive") for lab in tl]))
    if drugs is not None:
        dx, dy = drug_rows(drugs / "drugsComTest.tsv")
        scored["drugs"] = (dx, dy)
    return scored, teachers


def metrics(p: np.ndarray, cut: float, y: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    pred = (p >= cut).astype(int)
    return {
        "accuracy": float(np.mean(pred == y)),
        "f1": float(f1_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, p)),
    }


def measure(args: argparse.Namespace) -> dict[str, object]:
    torch.set_num_threads(1)
    start = time.perf_counter()
    model = SentimentModel.from_pretrained(args.model)
    pos = model.labels.index("positive")
    cut = model.threshold if model.threshold is not None else 0.5
    enc = MiniLM.from_folder()

    def reads(texts: list[str]) -> list[str]:  # the student's reading, the one training's teacher embeds
        return [model.tokenizer.prepare(read_as(t)) for t in texts]

    with tempfile.TemporaryDirectory() as tmp:
        sets, teachers = sets_and_teachers(Path(tmp), args.drugs)
    heads = {}
    for name, (x, y) in teachers.items():
        heads[name] = fit_logistic(enc.sentences(reads(x)), np.asarray(y), 2, 1.0)
        print(f"teacher ({name}) fitted on {len(x)} rows ({time.perf_counter() - start:.0f} s)", flush=True)
    out: dict[str, object] = {"cut": cut, "sets": {}}
    print(f"\n{'set':<8} {'texts':>6}  {'model':<16} {'acc':>6} {'F1':>6} {'AUC':>6}")
    for set_name, (texts, y) in sets.items():
        probs = {"student": model.predict_proba(texts)[:, pos]}
        x = enc.sentences(reads(texts))
        for name, head in heads.items():
            with torch.no_grad():
                probs[f"teacher ({name})"] = torch.softmax(head(torch.from_numpy(x)), 1)[:, 1].numpy()
        entry: dict[str, object] = {"texts": texts, "labels": y.tolist(), "models": {}}
        for name, p in probs.items():
            m = metrics(p, cut if name == "student" else 0.5, y)
            entry["models"][name] = {**m, "p": p.tolist()}  # type: ignore[index]
            print(
                f"{set_name:<8} {len(y):>6}  {name:<16} {m['accuracy']:>6.3f} {m['f1']:>6.3f} {m['roc_auc']:>6.3f}"
            )
        out["sets"][set_name] = entry  # type: ignore[index]
    print(f"\n{time.perf_counter() - start:.0f} s")
    return out


def features(text: str, model: SentimentModel) -> dict[str, bool]:
    words = re.findall(r"[A-Za-z']+", text)
    tokens = model.tokenizer._tok.encode(model.tokenizer.prepare(read_as(text))).tokens
    split = any(t.isalpha() and not t.startswith("▁") for t in tokens)  # a word spelled in 2+ pieces
    return {
        "negation": bool(NEGATION.search(text)),
        "contrast (but, though...)": bool(CONTRAST.search(text)),
        "long (> 25 words)": len(words) > 25,
        "short (<= 8 words)": len(words) <= 8,
        "a word in 2+ BPE pieces": split,
        "question or '!'": "?" in text or "!" in text,
    }


def diagnose(args: argparse.Namespace) -> None:
    data = json.loads(args.diagnose.read_text(encoding="utf-8"))
    entry = data["sets"][args.set]
    model = SentimentModel.from_pretrained(args.model)
    y = np.asarray(entry["labels"])
    ps = np.asarray(entry["models"]["student"]["p"])
    pt = np.asarray(entry["models"][f"teacher ({args.teacher})"]["p"])
    s_right = (ps >= data["cut"]).astype(int) == y
    t_right = (pt >= 0.5).astype(int) == y
    lost = np.flatnonzero(t_right & ~s_right)
    won = np.flatnonzero(~t_right & s_right)
    print(f"{args.set}: teacher right, student wrong {len(lost)}; student right, teacher wrong {len(won)}")
    print(
        f"  of the {len(lost)} lost: true positive {int(y[lost].sum())}, true negative {int(len(lost) - y[lost].sum())}"
    )
    texts = entry["texts"]
    groups = ("all", "lost", "won")
    counts = {g: {} for g in groups}
    for g, idx in zip(groups, (range(len(y)), lost, won), strict=True):
        for i in idx:
            for k, v in features(texts[i], model).items():
                counts[g][k] = counts[g].get(k, 0) + int(v)
    n = {"all": len(y), "lost": len(lost), "won": len(won)}
    print(f"  {'feature':<28} " + " ".join(f"{g + f' ({n[g]})':>14}" for g in groups))
    for k in counts["all"]:
        print(f"  {k:<28} " + " ".join(f"{counts[g].get(k, 0) / max(n[g], 1):>14.3f}" for g in groups))
    rng = np.random.default_rng(0)
    sample = rng.choice(lost, size=min(args.examples, len(lost)), replace=False)
    print(f"\n  {len(sample)} of the lost (seed 0): label, P student, P teacher, text")
    for i in sorted(sample):
        print(f"  {y[i]} {ps[i]:.2f} {pt[i]:.2f} {texts[i]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="student bundle (default: the shipped model)")
    parser.add_argument("--drugs", type=Path, help="folder holding drugsComTest.tsv (also scored)")
    parser.add_argument("--save", type=Path, help="write the figures and every P(positive) to this JSON")
    parser.add_argument("--diagnose", type=Path, help="a --save file: group where the student loses")
    parser.add_argument("--set", default="amazon", help="--diagnose: which set")
    parser.add_argument("--teacher", default="VADER", help="--diagnose: VADER or P&L")
    parser.add_argument("--examples", type=int, default=20, help="--diagnose: lost texts printed")
    args = parser.parse_args()
    if args.diagnose:
        diagnose(args)
        return
    out = measure(args)
    if args.save:
        args.save.write_text(json.dumps(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
