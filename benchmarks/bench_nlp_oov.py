"""carrousel-nlp sentiment, a DIAGNOSIS: how much of the distilled student's gap to its teacher comes from
words outside the student's vocabulary (out of vocabulary, OOV: the student reads them as ``[UNK]``).

Reads a folder written by ``bench_nlp_sentiment.py --keep DIR`` (its data files and the distilled models
``model_<seed>_distilled_u<augment>``). Per seed the teacher is refitted as that student's training fitted
it (MiniLM + logistic head on the seed's training rows; as the benchmark's agreement does). For every
scored set (the Pang & Lee test split, gensim's sentences, VADER's tweets, Amazon and NYT snippets, and the
2,000 held-out OANC sentences, unlabelled: agreement only) it prints:

* the OOV rate: the share of the student's tokens that are ``[UNK]`` (word tokens: one per word or
  punctuation mark), and the share of texts with at least one;
* on the texts with no OOV token and on those with one or more: the student's and the teacher's accuracy
  (each at its own decision rule), the gap between them and the share of equal labels (agreement);
* ``teacher, OOV words deleted``: the teacher's accuracy on the texts with OOV tokens when those words are
  removed from its input, i.e. the teacher reading only what the student's vocabulary holds. If it keeps
  most of its accuracy, the OOV words are not what the teacher wins on, and an open-vocabulary student
  cannot win much either;
* ``explained``: the part of the whole set's gap that would vanish if the texts with OOV tokens had the gap
  of those without (``share_oov * (gap_oov - gap_clean)``). Texts with OOV tokens are longer, so this is
  an upper bound of what the OOV words themselves cost.

The test sets are read here ONLY as a diagnosis: nothing is chosen on these figures. Needs the MiniLM
teacher (carrousel-nlp[teacher]); about two minutes per seed at one thread (MiniLM embeds every set once).

``--other DIR2`` prints instead, without the teacher, the accuracy of DIR2's students (e.g. trained with
``--tokenizer bpe``) beside DIR's on the texts with and without OOV words of DIR's student.

Usage: ``python benchmarks/bench_nlp_oov.py DIR [--seeds 1] [--augment 4] [--top 15] [--other DIR2]``
"""

from __future__ import annotations

import argparse
import collections
import csv
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.repeats import text_split
from carrousel.nlp.teacher import MiniLM, fit_logistic

SETS = ("test", "gensim", "tweets", "amazon", "nyt", "general_heldout")


def _rows(path: Path) -> tuple[list[str], list[str] | None]:
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8").splitlines(), None
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def oov_words(model: SentimentModel, text: str) -> tuple[list[str], list[str]]:
    """The student's pre-tokenized words of ``text`` and those it reads as [UNK]
    (:meth:`~carrousel.nlp.tokenization.TextTokenizer.unknown_words`)."""
    return model.tokenizer.pretokenize(text), model.tokenizer.unknown_words(text)


def without_oov(model: SentimentModel, text: str) -> str:
    """``text`` as the student's vocabulary holds it: its OOV words deleted (normalised, lowercased)."""
    tok = model.tokenizer
    kept = [w for w in tok.pretokenize(text) if tok.unk_id not in tok.word_ids(w)]
    return " ".join("".join(kept).replace("▁", " ").split())


def teacher_probs(train: Path, model: SentimentModel, seed: int) -> tuple[MiniLM, torch.nn.Linear]:
    """MiniLM and the logistic head fitted on the seed's training rows (its validation rows left out)."""
    texts, labels = _rows(train)
    assert labels is not None
    train_idx, _, _ = text_split(texts, labels, 0.1, seed)  # as train_sentiment splits
    y = np.asarray([model.labels.index(labels[i]) for i in train_idx])
    enc = MiniLM.from_folder()
    return enc, fit_logistic(enc.sentences([texts[i] for i in train_idx]), y, len(model.labels))


def _acc(pred: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    """The share of ``pred == y`` over ``mask`` (NaN where the mask is empty)."""
    return float(np.mean(pred[mask] == y[mask])) if mask.any() else float("nan")


def diagnose(folder: Path, seed: int, augment: int, top: int) -> None:
    model = SentimentModel.from_pretrained(folder / f"model_{seed}_distilled_u{augment}")
    enc, head = teacher_probs(folder / "train.csv", model, seed)

    def teacher_pred(texts: list[str]) -> np.ndarray:
        with torch.no_grad():
            return head(torch.from_numpy(enc.sentences(texts))).argmax(1).numpy()

    tokens = f"{model.tokenizer.vocab_size:,} entries ({model.tokenizer.kind})"
    print(f"seed {seed}: student vocabulary {tokens}")
    head_row = (
        f"{'set':<16}{'texts':>6}{'tok OOV':>8}{'txt>=1':>7}"
        f"{'| clean: n':>11}{'stud':>6}{'teach':>6}{'gap':>7}{'agree':>6}"
        f"{'| OOV: n':>9}{'stud':>6}{'teach':>6}{'gap':>7}{'agree':>6}{'t-del':>6}"
        f"{'| all gap':>10}{'explained':>10}{'words c/o':>10}"
    )
    print(head_row)
    worst: dict[str, collections.Counter[str]] = {}
    for name in SETS:
        texts, labels = _rows(folder / (f"{name}.txt" if name == "general_heldout" else f"{name}.csv"))
        split = [oov_words(model, t) for t in texts]
        n_tok = sum(len(w) for w, _ in split)
        n_unk = sum(len(u) for _, u in split)
        has = np.asarray([bool(u) for _, u in split])
        counts = collections.Counter(u for _, us in split for u in us)
        worst[name] = counts
        stud = decide(model.predict_proba(texts), model.threshold)
        teach = teacher_pred(texts)
        length = np.asarray([len(w) for w, _ in split], dtype=float)
        lengths = f"{length[~has].mean():.0f}/{length[has].mean():.0f}" if has.any() and (~has).any() else "-"
        cells = [f"{name:<16}{len(texts):>6}{n_unk / max(n_tok, 1):>8.3f}{has.mean():>7.3f}"]
        if labels is None:
            for mask in (~has, has):
                cells.append(
                    f"{'|':>3}{int(mask.sum()):>8}{'':>6}{'':>6}{'':>7}{_acc(stud, teach, mask):>6.3f}"
                )
            print("".join(cells) + f"{'':>6}{'|':>4}{'':>6}{'':>10}{lengths:>10}")
            continue
        y = np.asarray([model.labels.index(label) for label in labels])
        gaps = []
        for mask in (~has, has):
            s, t = _acc(stud, y, mask), _acc(teach, y, mask)
            gaps.append(t - s)
            cells.append(
                f"{'|':>3}{int(mask.sum()):>8}{s:>6.3f}{t:>6.3f}{t - s:>+7.3f}{_acc(stud, teach, mask):>6.3f}"
            )
        deleted = [without_oov(model, t) or "." for t, h in zip(texts, has, strict=True) if h]
        t_del = float(np.mean(teacher_pred(deleted) == y[has])) if has.any() else float("nan")
        whole = _acc(teach, y, np.ones_like(has)) - _acc(stud, y, np.ones_like(has))
        explained = has.mean() * (gaps[1] - gaps[0]) if has.any() and (~has).any() else float("nan")
        print("".join(cells) + f"{t_del:>6.3f}{'|':>4}{whole:>+6.3f}{explained:>+10.3f}{lengths:>10}")
    print(
        "columns: tok OOV = share of tokens that are [UNK]; txt>=1 = share of texts with one or more; clean / "
        "OOV = texts with none / with some: n, student accuracy, teacher accuracy, gap (teacher - student), "
        "agreement; t-del = teacher on the OOV texts with their OOV words deleted; all gap = teacher - "
        "student on the whole set; explained = share_oov * (gap_oov - gap_clean); words c/o = mean words of "
        "clean / OOV texts"
    )
    for name in ("amazon", "nyt", "tweets"):
        common = ", ".join(f"{w} {c}" for w, c in worst[name].most_common(top))
        print(f"most frequent OOV words, {name}: {common}")


def compare(folder: Path, other: Path, seed: int, augment: int) -> None:
    """Without the teacher: per set, the texts split by the OOV words of ``folder``'s student, and the
    accuracy there of that student and of ``other``'s (e.g. the same recipe with ``--tokenizer bpe``)."""
    name_of = f"model_{seed}_distilled_u{augment}"
    model = SentimentModel.from_pretrained(folder / name_of)
    alt = SentimentModel.from_pretrained(other / name_of)
    print(
        f"seed {seed}: texts split by the OOV words of {folder / name_of} ({model.tokenizer.kind}); "
        f"OTHER = {other / name_of} ({alt.tokenizer.vocab_size:,} entries, {alt.tokenizer.kind})"
    )
    print(
        f"{'set':<16}{'texts':>6}{'| clean: n':>11}{'this':>7}{'OTHER':>7}{'| OOV: n':>9}{'this':>7}"
        f"{'OTHER':>7}{'| OTHER OOV tok':>16}"
    )
    for name in SETS[:-1]:
        texts, labels = _rows(folder / f"{name}.csv")
        assert labels is not None
        has = np.asarray([bool(model.tokenizer.unknown_words(t)) for t in texts])
        y = np.asarray([model.labels.index(label) for label in labels])
        mine = decide(model.predict_proba(texts), model.threshold)
        theirs = decide(alt.predict_proba(texts), alt.threshold)
        n_tok = sum(len(alt.tokenizer.pretokenize(t)) for t in texts)
        n_unk = sum(len(alt.tokenizer.unknown_words(t)) for t in texts)
        cells = [f"{name:<16}{len(texts):>6}"]
        for mask in (~has, has):
            cells.append(
                f"{'|':>3}{int(mask.sum()):>8}{_acc(mine, y, mask):>7.3f}{_acc(theirs, y, mask):>7.3f}"
            )
        print("".join(cells) + f"{'|':>3}{n_unk / max(n_tok, 1):>13.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a bench_nlp_sentiment.py --keep folder")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 of the kept distilled models")
    parser.add_argument(
        "--augment", type=int, default=4, help="augmented copies the models were trained with"
    )
    parser.add_argument("--top", type=int, default=15, help="most frequent OOV words printed per set")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument(
        "--other",
        type=Path,
        help="instead: a second --keep folder whose students are scored on the texts split by the OOV "
        "words of the first folder's (no teacher; seconds)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for seed in range(args.seeds):
        if args.other is not None:
            compare(args.folder, args.other, seed, args.augment)
        else:
            diagnose(args.folder, seed, args.augment, args.top)


if __name__ == "__main__":
    main()
