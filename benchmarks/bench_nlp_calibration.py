"""carrousel-nlp sentiment calibration: is the shipped model overconfident, and does temperature scaling help?

Temperature scaling (Guo et al. 2017; ``carrousel.core.metrics.calibration``): one scalar ``T`` divides the
logits, fitted by NLL (LBFGS on ``log T``) on the 1,441 validation rows of the shipped model, rebuilt as
``scripts/train_nlp_sentiment_model.py`` does (its early stopping used them, with its training rows they
placed its cut). The two-class cut is mapped (``sigmoid(logit(cut) / T)``), so every label stays the same
(counted below on the validation rows and every held-out set).

Rule, written before the run: ``T`` is adopted only if the validation NLL falls by >= 2% relative at the
fitted ``T``. Disclosure only (never chosen on): on each held-out set of the script (the tweets, Amazon and
NYT halves, gensim's 200 sentences, the hand-written negation check) NLL, Brier (sum over both classes) and
ECE (15 bins, the argmax's confidence) before / after; on the near-neutral VADER sentences of the held-out
halves (mean rating within [-0.5, 0.5], left out of labels and of training) the mean |P(positive) - 0.5|
and the share whose larger probability exceeds 0.9, before / after.

Measured 2026-12-06 on the shipped bundle (``--threads 1``): ``T = 0.782`` (below 1: on labelled rows the
model is, if anything, UNDER-confident), validation NLL 0.4179 -> 0.4108 (1.7% fall): NOT adopted. On the
held-out sets ``T`` helps the tweets, leaves Amazon, NYT and gensim about level and hurts the negation check;
on the near-neutral texts it would make matters worse (share above 0.9 from about 8% to 17-19%). So
``nlp sentiment predict`` keeps the network's probabilities; "Shares of the company were unchanged on
Tuesday." at 0.935 negative is one confident miss on a neutral text (the model has no neutral class), not a
general overconfidence: on the near-neutral held-out texts the mean |P(positive) - 0.5| is 0.21.

Usage: ``python benchmarks/bench_nlp_calibration.py [--model DIR] [--threads 1]`` (needs
``carrousel-data fetch nlp``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from bench_nlp_unk import read_rows

from carrousel.core.metrics.calibration import (
    brier_score,
    expected_calibration_error,
    fit_temperature,
    log_loss,
    scale_cut,
    temperature_scale,
)
from carrousel.nlp.config import FitConfig
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment import shipped_model_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from train_nlp_sentiment_model import build_sets, held_out_neutral, validation_rows

MIN_GAIN = 0.02  # the rule: validation NLL must fall by at least this share
BINS = 15  # ECE bins
CONFIDENT = 0.9  # near-neutral texts: the share whose larger probability exceeds this


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="sentiment bundle (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = SentimentModel.from_pretrained(args.model)
    cut = model.threshold
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, _, _, tests = build_sets(folder)
        sets = {
            "validation": validation_rows(
                train, FitConfig(seed=0), folder, args.model or shipped_model_path()
            ),
            **tests,
        }
        rows = {name: read_rows(path) for name, path in sets.items()}
    probs = {name: model.predict_proba(texts) for name, (texts, _) in rows.items()}
    p_val, y_val = probs["validation"], rows["validation"][1]
    saturated = sum(int(np.sum((p == 0.0) | (p == 1.0))) for p in probs.values())
    t = fit_temperature(np.log(np.clip(p_val, 1e-12, 1.0)), y_val)
    before, after = log_loss(p_val, y_val), log_loss(temperature_scale(p_val, t), y_val)
    gain = (before - after) / before
    print(
        f"shipped cut {cut:.4f}; fitted T = {t:.4f} on {len(y_val)} validation rows; cut at T: "
        f"{scale_cut(cut, t) if cut else float('nan'):.4f}; probabilities exactly 0 or 1: {saturated}"
    )
    print(
        f"validation NLL {before:.4f} -> {after:.4f} ({100 * gain:+.1f}% fall); rule (>= {MIN_GAIN:.0%}): "
        + ("ADOPT" if gain >= MIN_GAIN else "do not adopt")
    )
    print(f"\n{'set':<11} {'rows':>5} {'NLL':>15} {'Brier':>15} {'ECE':>15} {'labels kept':>12}")
    for name, p in probs.items():
        y, q = rows[name][1], temperature_scale(p, t)
        kept = int(np.sum(decide(p, cut) == decide(q, scale_cut(cut, t) if cut else None)))
        figures = [(f(p, y), f(q, y)) for f in (log_loss, brier_score, expected_calibration_error)]
        cells = " ".join(f"{a:>6.4f}->{b:<6.4f}" for a, b in figures)
        print(f"{name:<11} {len(y):>5} {cells} {kept:>6}/{len(y):<5}")
    print(
        f"\nnear-neutral held-out texts: mean |P(pos) - 0.5| and share max-prob > {CONFIDENT}, before -> after"
    )
    for name, texts in held_out_neutral().items():
        p = model.predict_proba(texts)
        q = temperature_scale(p, t)
        dist = [float(np.mean(np.abs(x[:, 1] - 0.5))) for x in (p, q)]
        sure = [float(np.mean(x.max(axis=1) > CONFIDENT)) for x in (p, q)]
        print(f"{name:<11} {len(texts):>5}  {dist[0]:.3f} -> {dist[1]:.3f}   {sure[0]:.3f} -> {sure[1]:.3f}")
    example = "Shares of the company were unchanged on Tuesday."
    p = model.predict_proba([example])
    print(f"\n{example!r}: P(negative) {p[0, 0]:.3f} -> {temperature_scale(p, t)[0, 0]:.3f}")


if __name__ == "__main__":
    main()
