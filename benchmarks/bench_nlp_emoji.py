"""carrousel-nlp emoji probe: does a sentiment model read emoji the way people who tweet them do?

Data: the Emoji Sentiment Ranking (Kralj Novak et al. 2015; sample ``nlp.emoji_sentiment``, ``carrousel-data
fetch nlp``): for 969 emoji, the number of human-annotated tweets holding each, split into negative,
neutral and positive. Thresholds, fixed before any model output was looked at:

* an emoji is probed if it occurs in at least 50 annotated tweets and its positive and negative shares
  differ by at least 0.25 (``|P - N| / occurrences >= 0.25``); its label is the larger of the two. That
  keeps 214 emoji, 202 positive and 12 negative (people tweet emoji mostly in praise);
* each is predicted alone and inside four fixed neutral carriers (:data:`CARRIERS`), at the model's own
  decision rule (``SentimentModel.__call__``: its stored cut);
* the score is BALANCED accuracy (the mean of the per-class recalls), beside plain accuracy: with 202 of 214
  positive, answering "positive" to every emoji (what a model that reads every emoji as ``[UNK]`` and leans
  positive on ``[UNK]`` does) already has plain accuracy 0.944, the majority baseline, but balanced accuracy
  0.5.

Rows: the model as its bundle reads emoji (the shipped model: ``keep``, every emoji ``[UNK]``) and the same
weights reading them as names (``names``, :mod:`carrousel.nlp.emoji_names`). Rule written before the run:
the shipped bundle's ``emoji`` asset becomes ``names`` if the names row's balanced accuracy (all carriers
together) is at least 10 points above the keep row's and above the majority baseline's 0.5.

After the rule (added once it was decided, not part of it): the same readings weighted as people tweet
emoji, each of the emoji in at least 50 annotated tweets scored against the labels of the tweets holding it
(neutral tweets left out), per carrier (``tweet_weighted``).

Then the proof that the reading changes nothing else: on the Pang & Lee test split (the one of
``bench_nlp_sentiment.py``) and all 4,200 VADER tweets, the texts ``name_emoji`` leaves unchanged get the
same token ids and the same probabilities (exact equality) in both readings; the texts it changes are
counted. Last, the ``[UNK]`` lean: the mean shift of P(positive) when `` [UNK]`` is appended to the VADER
tweets people rated neutral (mean rating within +-0.5), in the keep reading.

Usage: ``python benchmarks/bench_nlp_emoji.py [--model DIR] [--threads 1] [--show]`` (``--show``: each
negative emoji's reading and P(positive) alone).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import numpy as np
import torch
from bench_nlp_sentiment import prepare

from carrousel.nlp.emoji_names import name_emoji
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.samples import sample_file
from carrousel.nlp.tokenization import TextTokenizer
from carrousel.nlp.vader import read_vader_ratings

MIN_OCCURRENCES = 50  # annotated tweets holding the emoji
MIN_MARGIN = 0.25  # |positive share - negative share|
CARRIERS = (
    "{}",
    "the movie {}",
    "i saw the film yesterday {}",
    "{} the plot is about a family",
    "the show is on tonight {}",
)


def ranking() -> list[tuple[str, int, int, int]]:
    """(emoji, annotated tweets, positive ones, negative ones) of every emoji in at least MIN_OCCURRENCES."""
    with open(sample_file("nlp.emoji_sentiment"), encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["Occurrences"]) >= MIN_OCCURRENCES]
    return [(r["Emoji"], int(r["Occurrences"]), int(r["Positive"]), int(r["Negative"])) for r in rows]


def probe_set() -> list[tuple[str, str]]:
    """(emoji, "positive" | "negative") of every emoji the thresholds keep, in the file's order."""
    return [
        (e, "positive" if pos > neg else "negative")
        for e, n, pos, neg in ranking()
        if abs(pos - neg) / n >= MIN_MARGIN
    ]


def tweet_weighted(
    model: SentimentModel, emoji: list[tuple[str, int, int]]
) -> dict[str, tuple[float, float]]:
    """Per carrier: accuracy and balanced accuracy of each emoji's reading scored against the labels of the
    annotated tweets holding it (neutral tweets left out): how the reading fares where people tweet emoji."""
    pos = np.array([p for _, _, p, _ in emoji], dtype=float)
    neg = np.array([n for _, _, _, n in emoji], dtype=float)
    out = {}
    for carrier in CARRIERS:
        said = np.array(
            [p.label == "positive" for p in model([carrier.format(e) for e, _, _, _ in emoji], warn=False)]
        )
        right = pos[said].sum() + neg[~said].sum()
        out[carrier] = (
            right / (pos.sum() + neg.sum()),
            (pos[said].sum() / pos.sum() + neg[~said].sum() / neg.sum()) / 2,
        )
    return out


def reading(model: SentimentModel, emoji: str) -> SentimentModel:
    """``model`` with its tokenizer reading emoji as ``emoji`` (the weights shared) and ``[UNK]`` read as
    trained (``unk="keep"``: the probe was run before the shipped bundle dropped ``[UNK]``, bench_nlp_unk.py),
    without character folding (``fold="none"``, from_bytes' default: the probe was run before it too)."""
    tok = model.tokenizer
    other = SentimentModel(model.bundle, unk="keep")
    other.tokenizer = TextTokenizer.from_bytes(tok.to_bytes(), tok.kind, emoji)
    return other


def scores(predicted: list[str], truth: list[str]) -> tuple[float, float]:
    """Plain and balanced accuracy."""
    p, t = np.asarray(predicted), np.asarray(truth)
    recalls = [float(np.mean(p[t == c] == c)) for c in sorted(set(truth))]
    return float(np.mean(p == t)), float(np.mean(recalls))


def probe(model: SentimentModel, items: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Per carrier (and ``all``): plain and balanced accuracy; ``recall``: each class's, all carriers."""
    out, every, truths = {}, [], []
    truth = [label for _, label in items]
    for carrier in CARRIERS:
        labels = [p.label for p in model([carrier.format(e) for e, _ in items], warn=False)]
        out[carrier] = scores(labels, truth)
        every += labels
        truths += truth
    out["all"] = scores(every, truths)
    p, t = np.asarray(every), np.asarray(truths)
    recall = [float(np.mean(p[t == c] == c)) for c in ("positive", "negative")]
    out["recall"] = (recall[0], recall[1])
    return out


def unchanged_check(
    keep: SentimentModel, names: SentimentModel, texts: list[str]
) -> tuple[int, int, bool, float]:
    """Texts, texts name_emoji changes, whether the unchanged ones get equal ids, and their largest
    probability difference between the two readings."""
    same = [t for t in texts if name_emoji(t) == t]
    ids_equal = keep.tokenizer.encode_batch(same) == names.tokenizer.encode_batch(same)
    gap = float(np.abs(keep.predict_proba(same) - names.predict_proba(same)).max())
    return len(texts), len(texts) - len(same), ids_equal, gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=None, help="a sentiment bundle (default: the shipped one)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--show", action="store_true", help="each negative emoji's name and P(positive)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = SentimentModel.from_pretrained(args.model)
    rows = {"keep": reading(base, "keep"), "names": reading(base, "names")}
    items = probe_set()
    n_pos = sum(label == "positive" for _, label in items)
    print(f"probe: {len(items)} emoji ({n_pos} positive, {len(items) - n_pos} negative), >= {MIN_OCCURRENCES} "
          f"tweets, |P - N| >= {MIN_MARGIN}; model {args.model or 'shipped'} (bundle reads emoji: "
          f"{base.tokenizer.emoji})")  # fmt: skip
    print(f"majority baseline: accuracy {n_pos / len(items):.3f}, balanced accuracy 0.500")
    results = {name: probe(model, items) for name, model in rows.items()}
    print(f"{'carrier':34s}" + "".join(f"{name + ' acc':>11s}{name + ' bal':>11s}" for name in rows))
    for carrier in (*CARRIERS, "all"):
        cells = "".join(
            f"{results[name][carrier][0]:11.3f}{results[name][carrier][1]:11.3f}" for name in rows
        )
        print(f"{carrier!r:34s}{cells}")
    for name in rows:
        pos, neg = results[name]["recall"]
        print(f"{name}: recall positive {pos:.3f}, negative {neg:.3f} (all carriers)")
    gain = results["names"]["all"][1] - results["keep"]["all"][1]
    adopt = gain >= 0.10 and results["names"]["all"][1] > 0.5
    print(
        f"balanced accuracy, names - keep: {gain:+.3f}; rule (>= +0.10 and > 0.5): {'met' if adopt else 'not met'}"
    )
    weighted = ranking()
    share = sum(p for _, _, p, _ in weighted) / sum(p + n for _, _, p, n in weighted)
    print(f"weighted as people tweet them (after the decision, not the rule): {len(weighted)} emoji in >= "
          f"{MIN_OCCURRENCES} tweets, {share:.3f} of their non-neutral tweets positive; accuracy / balanced")  # fmt: skip
    cells = {name: tweet_weighted(model, weighted) for name, model in rows.items()}
    for carrier in CARRIERS:
        print(
            f"{carrier!r:34s}"
            + "".join(f"{cells[n][carrier][0]:11.3f}{cells[n][carrier][1]:11.3f}" for n in rows)
        )
    if args.show:
        for e, label in items:
            if label == "negative":
                p = rows["names"].predict_proba([e])[0, 1]
                print(f"  {e} {label:8s} -> {name_emoji(e)!r}: P(positive) {p:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        test = prepare(Path(tmp))[1]
        with open(test, encoding="utf-8", newline="") as fh:
            pang_lee = [row["text"] for row in csv.DictReader(fh)]
    rated = read_vader_ratings(sample_file("nlp.vader_ratings"), ("tweets",))["tweets"]
    tweets = [text for text, _ in rated]
    for name, texts in (("Pang & Lee test split", pang_lee), ("VADER tweets", tweets)):
        n, changed, ids_equal, gap = unchanged_check(rows["keep"], rows["names"], texts)
        print(f"{name}: {n} texts, {changed} hold emoji; the other {n - changed}: same ids {ids_equal}, "
              f"largest |P difference| {gap:.1e}")  # fmt: skip
    neutral = [text for text, r in rated if abs(r) <= 0.5]
    keep = rows["keep"]
    before = keep.predict_proba(neutral)[:, 1]
    after = keep.predict_proba([t + " [UNK]" for t in neutral])[:, 1]
    pos_before = np.mean([p.label == "positive" for p in keep(neutral, warn=False)])
    pos_after = np.mean([p.label == "positive" for p in keep([t + " [UNK]" for t in neutral], warn=False)])
    print(f"[UNK] lean ({len(neutral)} neutral-rated tweets, keep reading): mean P(positive) {before.mean():.3f} "
          f"-> {after.mean():.3f} with ' [UNK]' appended (shift {np.mean(after - before):+.3f}); labelled "
          f"positive {pos_before:.3f} -> {pos_after:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
