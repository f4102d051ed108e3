"""carrousel-nlp ``[UNK]`` probe: how often the shipped sentiment model meets ``[UNK]``, and what it does.

The shipped model's BPE tokenizer (8,000 entries) spells an unseen word (a name, a typo, a rare word) in
subword pieces; ``[UNK]`` (id 1) is what it gives a CHARACTER its alphabet lacks: accented letters
(``é``, ``ñ``), Greek, Cyrillic, CJK, symbols that are not emoji. Appended to a neutral text, ``[UNK]``
pushes P(positive) up (``bench_nlp_emoji.py``'s last line). Part 1, per set: the texts, the share holding
an ``[UNK]`` (within the model's 128 tokens) and the model's accuracy, at its stored cut, on the texts with
and without one. Sets: the shipped model's 1,441 validation rows (rebuilt as
``scripts/train_nlp_sentiment_model.py`` does: its early stopping used them, and with its training rows
they placed its cut), the held-out halves of VADER's tweets, Amazon and NYT sets, gensim's 200 sentences
and the hand-written negation check (all of the script's ``build_sets``), and the Pang & Lee validation
(the 10% of seed 0) and test splits of ``bench_nlp_sentiment.py`` (3,980 of the 4,000 Pang & Lee sentences
are VADER movie snippets the shipped model was trained on: not held out).

Part 2, the candidate (prediction only, no retraining): ``SentimentModel(..., unk="drop")``, the ``[UNK]``
ids left out before the embedding (``carrousel.nlp.models.drop_positions``: the BiLSTM and the pooling never
see them; a text of only ``[UNK]`` keeps them). Rule, written before the candidate was measured: ``drop``
becomes the shipped bundle's default (``assets.unk``) only if on the 1,441 validation rows, at the stored
cut, accuracy and F1 each fall by no more than 0.002 (drop - keep >= -0.002) AND the ``[UNK]`` lean on the
838 VADER tweets rated neutral (mean P(positive) with `` [UNK]`` appended minus without) shrinks to half of
keep's or less. Every other set and the argmax figures are disclosure, never chosen on. Parts 1 and 2 read
the texts without character folding (``fold="none"``, as they were measured); two lines after the leans give
the lean read with the bundle's own folding, `` [UNK]`` and `` λ`` (no fold) appended: disclosure too.

Part 3, character folding (``carrousel.nlp.char_fold``: a character the vocabulary never contains replaced
by its fold, ``’`` -> ``'``, ``é`` -> ``e``, when the fold's characters are known), the bundle's ``unk``
reading kept: per set, the texts holding ``[UNK]`` and the ``[UNK]`` ids (within the 128 tokens) with fold
off / on, the texts folding changed that held no ``[UNK]`` anywhere (0 by construction), and the accuracy at the cut
of the texts that held ``[UNK]`` without folding, off / on. Rule, written before part 3 was measured: the
shipped bundle folds (``assets.fold = "unknown"``) if texts without unknown characters stay byte-identical
(0 above, and tested) AND the ``[UNK]`` ids over all sets together fall to half or fewer. The accuracy on
the affected texts (few) is disclosure.

Usage: ``python benchmarks/bench_nlp_unk.py [--model DIR] [--threads 1]`` (needs ``carrousel-data fetch nlp``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from bench_nlp_sentiment import prepare

from carrousel.core.bundle import load_bundle
from carrousel.core.metrics import accuracy, f1
from carrousel.nlp.config import FitConfig
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment import KIND, shipped_model_path
from carrousel.nlp.repeats import text_split
from carrousel.nlp.samples import sample_file
from carrousel.nlp.vader import read_vader_ratings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from train_nlp_sentiment_model import build_sets, validation_rows

MAX_DROP = 0.002  # the rule: validation accuracy and F1 may fall by at most this much
LEAN_SHARE = 0.5  # the rule: drop's [UNK] lean at most this share of keep's
FOLD_SHARE = 0.5  # part 3's rule: [UNK] ids with folding at most this share of those without


def loaded(path: Path | None, fold: str, unk: str | None = None) -> SentimentModel:
    """The bundle at ``path`` (None: the shipped one) read with character folding ``fold``."""
    bundle = load_bundle(path or shipped_model_path(), kind=KIND)
    return SentimentModel(replace(bundle, assets={**bundle.assets, "fold": fold}), unk=unk)


def read_rows(path: Path) -> tuple[list[str], np.ndarray]:
    """Texts and labels (1 positive, 0 negative) of a text,label CSV (labels positive/negative or 1/-1)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], np.asarray(
        [r["label"] in ("positive", "1") for r in rows], dtype=np.int64
    )


def sets(folder: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """Every set scored, by name (the validation rows first)."""
    (folder / "shipped").mkdir()
    train, _, _, held = build_sets(folder / "shipped")
    fit = FitConfig(epochs=8, batch_size=64, lr=3e-3, patience=2, seed=0, progress=False)  # as the script
    out = {"validation": read_rows(validation_rows(train, fit, folder / "shipped", shipped_model_path()))}
    out.update({name: read_rows(path) for name, path in held.items()})
    pl_train, pl_test, _ = prepare(folder)
    texts, y = read_rows(pl_train)
    with open(pl_train, encoding="utf-8", newline="") as fh:  # the split of the raw rows, as training's
        raw = list(csv.DictReader(fh))
    _, val_idx, _ = text_split([r["text"] for r in raw], [r["label"] for r in raw], 0.1, seed=0)
    out["P&L val"] = ([texts[i] for i in val_idx], y[val_idx])
    out["P&L test"] = read_rows(pl_test)
    return out


def cell(value: float, width: int = 0) -> str:
    """A table cell: the value to 3 decimals, or ``-`` where there was nothing to score (never ``nan``)."""
    return f"{'-' if np.isnan(value) else f'{value:.3f}':>{width}}"


def scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and binary F1 (NaN for an empty set, whose predictions may be any shape)."""
    if not len(y):
        return float("nan"), float("nan")
    p, t = torch.from_numpy(pred), torch.from_numpy(y)
    return accuracy(p, t), f1(p, t, "binary")


def unk_counts(model: SentimentModel, texts: list[str]) -> np.ndarray:
    """The ``[UNK]`` ids of each text within the model's tokens."""
    ids = model.tokenizer.encode_batch(texts)
    return np.asarray([seq[: model.max_length].count(model.tokenizer.unk_id) for seq in ids])


def has_unk(model: SentimentModel, texts: list[str]) -> np.ndarray:
    """Whether each text holds ``[UNK]`` within the model's tokens."""
    return unk_counts(model, texts) > 0


def lean(model: SentimentModel, texts: list[str], suffix: str) -> float:
    """Mean change of P(positive) when ``suffix`` is appended to each text."""
    before = model.predict_proba(texts)[:, 1]
    return float(np.mean(model.predict_proba([t + suffix for t in texts])[:, 1] - before))


def folding(path: Path | None, data: dict[str, tuple[list[str], np.ndarray]], cut: float) -> None:
    """Part 3: ``[UNK]`` with character folding off and on, and the affected texts' accuracy (see above)."""
    off, on = loaded(path, "none"), loaded(path, "unknown")
    print(f"Part 3: character folding off -> on (unk {on.unk}, at the cut); acc: texts holding [UNK] off")
    print(f"{'set':<11}{'texts':>6}{'w/ [UNK]':>14}{'[UNK] ids':>14}{'changed w/o':>12}{'acc':>15}")
    total, untouched = np.zeros(2, dtype=np.int64), 0
    for name, (texts, y) in data.items():
        n_off, n_on = unk_counts(off, texts), unk_counts(on, texts)
        changed = np.asarray([on.tokenizer.prepare(t) != off.tokenizer.prepare(t) for t in texts])
        hit = n_off > 0
        anywhere = np.asarray([off.tokenizer.unk_id in seq for seq in off.tokenizer.encode_batch(texts)])
        untouched += int((changed & ~anywhere).sum())  # changed, yet no [UNK] in the whole text
        total += n_off.sum(), n_on.sum()
        picked = [t for t, h in zip(texts, hit, strict=True) if h]
        a_off, a_on = (scores(decide(m.predict_proba(picked), cut), y[hit])[0] for m in (off, on))
        print(f"{name:<11}{len(texts):>6}{int(hit.sum()):>7} -> {int((n_on > 0).sum()):<4}{int(n_off.sum()):>7} -> "
              f"{int(n_on.sum()):<4}{int((changed & ~anywhere).sum()):>12}{cell(a_off, 8)} -> {cell(a_on)}")  # fmt: skip
    met = total[1] <= FOLD_SHARE * total[0] and untouched == 0
    print(f"rule ([UNK] ids, all sets, on <= {FOLD_SHARE} x off; texts without [UNK] unchanged): {total[0]} -> "
          f"{total[1]} ({total[1] / max(total[0], 1):.3f}), {untouched} changed without: {'met' if met else 'not met'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="a sentiment bundle (default: the shipped one)"
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep, drop = loaded(args.model, "none", unk="keep"), loaded(args.model, "none", unk="drop")
    cut = keep.threshold
    own = SentimentModel.from_pretrained(args.model)
    print(
        f"model {args.model or 'shipped'} (its unk: {own.unk}, fold: {own.tokenizer.fold}), tokenizer "
        f"{keep.tokenizer.kind}, cut {cut:.3f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = sets(Path(tmp))
    head = f"{'set':<11}{'texts':>6}{'[UNK]':>7}{'share':>7}{'acc w/':>8}{'acc w/o':>8}"
    print("Part 1 (keep, at the cut): texts holding [UNK], accuracy with / without one")
    print(head + f"{'drop acc w/':>12}")
    results = {}
    for name, (texts, y) in data.items():
        unk = has_unk(keep, texts)
        pk, pd = keep.predict_proba(texts), drop.predict_proba(texts)
        results[name] = (y, pk, pd)
        at_k, at_d = decide(pk, cut), decide(pd, cut)
        acc_with = scores(at_k[unk], y[unk])[0]
        acc_without = scores(at_k[~unk], y[~unk])[0]
        print(f"{name:<11}{len(texts):>6}{int(unk.sum()):>7}{unk.mean():>7.3f}{cell(acc_with, 8)}{cell(acc_without, 8)}"
              f"{cell(scores(at_d[unk], y[unk])[0], 12)}")  # fmt: skip
    print("Part 2: keep -> drop, every text (accuracy / F1 at the cut; argmax beside)")
    for name, (y, pk, pd) in results.items():
        (ak, fk), (ad, fd) = scores(decide(pk, cut), y), scores(decide(pd, cut), y)
        (gk, hk), (gd, hd) = scores(pk.argmax(1), y), scores(pd.argmax(1), y)
        print(f"{name:<11} cut {ak:.3f} / {fk:.3f} -> {ad:.3f} / {fd:.3f} ({ad - ak:+.4f} / {fd - fk:+.4f});"
              f" argmax {gk:.3f} / {hk:.3f} -> {gd:.3f} / {hd:.3f}")  # fmt: skip
    rated = read_vader_ratings(sample_file("nlp.vader_ratings"), ("tweets",))["tweets"]
    neutral = [text for text, r in rated if abs(r) <= 0.5]
    leans = {}
    for label, model in (("keep", keep), ("drop", drop)):
        before = model.predict_proba(neutral)
        after = model.predict_proba([t + " [UNK]" for t in neutral])
        leans[label] = float(np.mean(after[:, 1] - before[:, 1]))
        share = float(np.mean(decide(before, cut))), float(np.mean(decide(after, cut)))
        print(f"[UNK] lean, {label} ({len(neutral)} neutral-rated tweets): mean P(positive) {before[:, 1].mean():.3f} "
              f"-> {after[:, 1].mean():.3f} (shift {leans[label]:+.3f}); labelled positive {share[0]:.3f} -> "
              f"{share[1]:.3f}")  # fmt: skip
    own_fold = own.tokenizer.fold  # disclosure, never deciding: the lean read with the bundle's own folding
    folded = [loaded(args.model, own_fold, unk=u) for u in ("keep", "drop")]  # read once, for both suffixes
    for suffix in (" [UNK]", " λ"):  # λ has no fold: [UNK] whether folding is on or not
        shift = [lean(m, neutral, suffix) for m in folded]
        print(
            f"[UNK] lean, fold {own_fold}, {suffix.strip()} appended: keep {shift[0]:+.4f}, drop {shift[1]:+.4f}"
        )
    y, pk, pd = results["validation"]
    (ak, fk), (ad, fd) = scores(decide(pk, cut), y), scores(decide(pd, cut), y)
    met = ad - ak >= -MAX_DROP and fd - fk >= -MAX_DROP and abs(leans["drop"]) <= LEAN_SHARE * leans["keep"]
    print(f"rule (validation accuracy and F1 each >= keep - {MAX_DROP}, |drop lean| <= {LEAN_SHARE} x keep lean): "
          f"accuracy {ad - ak:+.4f}, F1 {fd - fk:+.4f}, lean {leans['drop']:+.4f} vs {leans['keep']:+.4f}: "
          f"{'met' if met else 'not met'}")  # fmt: skip
    folding(args.model, data, cut)


if __name__ == "__main__":
    main()
