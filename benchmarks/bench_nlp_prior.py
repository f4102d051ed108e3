"""carrousel-nlp: does moving the shipped sentiment model's cut to an estimated domain share help (NON-drug sets)?

The rule, written before the first run (session 47): an ``--adapt-prior`` (EM, ``bench_nlp_prior_estimators.em_prior``,
the cut moved by ``shifted_cut``) would become the default only if, over the held-out
halves of VADER's tweets, Amazon and NYT sets and the 200 gensim sentences (none trained on), each resampled
without replacement to positive shares 0.2 / 0.35 / 0.5 / 0.65 / 0.8 (seeds 0-4, at most 400 texts), (a) the
mean accuracy change is above +0.5 points, (b) it lowers accuracy by more than 1 point in at most 10% of the
cells, and (c) at share 0.5 the mean change is not below -0.5 points. Otherwise it is not offered (it was not: the
estimators live in ``bench_nlp_prior_estimators.py`` only).
Pang & Lee (3,980 of 4,000 trained on) is printed, not counted. BBSE (``bbse_prior``,
rates at the stored cut on the 1,441 validation rows) is printed beside it, for comparison. The drug reviews
are not read here. Also printed: texts holding an HTML entity per set, and whether unescaping changes any.
``--entities``: only the accuracy of each set at the stored cut, all rows and those holding an entity
(run under the code before and after a change to the reading). Usage: ``python benchmarks/bench_nlp_prior.py [--entities]`` (after ``carrousel-data fetch nlp``; about 2 minutes, 1 thread).
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from carrousel.nlp.config import FitConfig, TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment_model import shipped_model_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from bench_nlp_prior_estimators import bbse_prior, em_prior, shifted_cut
from train_nlp_sentiment_model import build_sets, pang_lee_rows, validation_rows

SHARES = (0.2, 0.35, 0.5, 0.65, 0.8)
SEEDS = range(5)
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def rows(model: SentimentModel, path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    data = load_texts(TextDataConfig(str(path)))
    y = np.asarray([int(label == "positive") for label in data.labels])
    return data.texts, y, model.predict_proba(data.texts, warn=False)[:, 1]


def entities(model: SentimentModel, sets: dict[str, Path], cut: float) -> None:
    """Accuracy and ROC-AUC at the stored cut, all rows and the rows holding an entity, as the code read runs."""
    from sklearn.metrics import roc_auc_score

    for name, path in sets.items():
        texts, y, p = rows(model, path)
        ent = np.asarray([bool(ENTITY.search(t)) for t in texts])
        right = (p >= cut) == y
        print(f"{name}: {len(y)} rows, accuracy {right.mean():.4f}, ROC-AUC {roc_auc_score(y, p):.4f}; "
              f"{int(ent.sum())} with an entity: accuracy {right[ent].mean() if ent.any() else float('nan'):.4f}, "
              f"mean P(positive) {p[ent].mean() if ent.any() else float('nan'):.4f}")  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", action="store_true", help="only each set's accuracy at the stored cut")
    only_entities = parser.parse_args().entities
    model = SentimentModel.from_pretrained()
    cut = float(model.threshold or 0.5)
    counts = model.bundle.data["class_counts"]
    pi = counts["positive"] / sum(counts.values())
    fit = FitConfig(epochs=8, batch_size=64, lr=3e-3, patience=2, seed=0, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train, _, _, tests = build_sets(folder)
        val = validation_rows(train, fit, folder, shipped_model_path())
        sets = {name: tests[name] for name in ("tweets", "amazon", "nyt", "gensim")}
        sets["pang_lee (trained on)"] = pang_lee_rows(folder)
        if only_entities:
            entities(model, {"validation": val, **sets}, cut)
            return
        _, yv, pv = rows(model, val)
        tpr, fpr = float(np.mean(pv[yv == 1] >= cut)), float(np.mean(pv[yv == 0] >= cut))
        print(
            f"cut {cut:.4f}, training share {pi:.4f}; validation {len(yv)} rows: TPR {tpr:.3f} FPR {fpr:.3f}"
        )
        counted: list[tuple[float, float, float]] = []  # (share, EM change, BBSE change) of the counted sets
        for name, path in sets.items():
            texts, y, p = rows(model, path)
            ent = [t for t in texts if ENTITY.search(t)]
            changed = [t for t in texts if html.unescape(t) != t]
            print(f"\n== {name}: {len(y)} texts, positive {y.mean():.3f}; entities {len(ent)}, "
                  f"changed by html.unescape {len(changed)}")  # fmt: skip
            pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
            for share in SHARES:
                n = int(min(400, len(pos) / share, len(neg) / (1 - share)))
                k = round(n * share)
                cells = []
                for seed in SEEDS:
                    rng = np.random.default_rng(seed)
                    idx = np.concatenate(
                        [rng.choice(pos, k, replace=False), rng.choice(neg, n - k, replace=False)]
                    )
                    ps, ys = p[idx], y[idx]
                    base = np.mean((ps >= cut) == ys)
                    q_em = em_prior(ps, pi)
                    q_bb = bbse_prior(float(np.mean(ps >= cut)), tpr, fpr)
                    em = np.mean((ps >= shifted_cut(cut, pi, q_em)) == ys)
                    bb = np.mean((ps >= shifted_cut(cut, pi, q_bb)) == ys)
                    cells.append((base, q_em, em, q_bb, bb))
                    if not name.startswith("pang_lee"):
                        counted.append((share, em - base, bb - base))
                c = np.asarray(cells)
                print(f"share {share:.2f} n {n}: accuracy at the stored cut {c[:, 0].mean():.3f} | EM q {c[:, 1].mean():.3f} "
                      f"acc {c[:, 2].mean():.3f} | BBSE q {c[:, 3].mean():.3f} acc {c[:, 4].mean():.3f}")  # fmt: skip
    d = np.asarray(counted)
    for col, label in ((1, "EM"), (2, "BBSE")):
        at_half = d[d[:, 0] == 0.5, col].mean()
        print(f"\n{label} over {len(d)} counted cells: mean change {100 * d[:, col].mean():+.2f} points, "
              f"lowered > 1 point in {np.mean(d[:, col] < -0.01):.3f} of cells, raised > 1 point in "
              f"{np.mean(d[:, col] > 0.01):.3f}, mean change at share 0.5 {100 * at_half:+.2f}")  # fmt: skip
    em_mean, em_low = d[:, 1].mean(), np.mean(d[:, 1] < -0.01)
    em_half = d[d[:, 0] == 0.5, 1].mean()
    adopt = em_mean > 0.005 and em_low <= 0.10 and em_half >= -0.005
    print(f"rule: EM default {'ON' if adopt else 'OFF'}")


if __name__ == "__main__":
    main()
