"""The shipped sentiment model pruned to several widths: deployed speed (int8 ONNX) against eager fp32,
and the accuracy and agreement each width keeps after ``nlp sentiment export --prune F`` fine-tuning.

Speed: the full network in PyTorch (fp32, the report's eager column) and the int8 ONNX graphs of the
network pruned to each of ``--units`` (the time does not depend on the weights' values, so these are
pruned but not fine-tuned), timed in one process in rounds of one sample per runner (A B C ... A B C),
texts of 24 tokens as ``nlp sentiment export`` times them; printed per round as ratios eager / deployed.

Accuracy (``--finetune UNITS``): each width pruned, fine-tuned and exported int8 by the command's own pipeline
(``carrousel.nlp.pipeline.deploy.export_sentiment`` with the config ``nlp sentiment export --prune F
--unlabelled FILE`` builds: the same weights as the command on the same file, bit for bit on CPU), and scored:

* the agreement with the full model (each at the stored decision cut) on 2,000 held-out sentences of the
  Pang & Lee full reviews that are in no fine-tuning set, nor in the shipped model's own transfer set;
* the accuracy on the shipped model's 1,441 validation rows (VADER ratings; held out from its training,
  never used by the fine-tuning): the label-based figure a setting may be chosen on;
* disclosure, never chosen on: the 4,000 labelled Pang & Lee sentences (3,602 of them are VADER movie
  snippets the shipped model was trained on, 178 more were in its transfer set, and the other 220 hold
  gensim's 200) and gensim's 200 (never trained on).

Fine-tuning texts: the 10,000 review sentences of ``bench_nlp_sentiment.review_sentences`` (what the nlp
README's tables used), or with ``--more`` also every other review sentence (4 to 60 words) in none of the
sets above (about 37,000 in all); ``--texts FILE`` fine-tunes on FILE instead (e.g. a part of the
``--texts-out`` file; refused if it holds a held-out agreement text). The texts drawn do not depend on the
process (``PYTHONHASHSEED``): the file ``--texts-out`` writes is the one ``--finetune`` uses in any later run.
``--seeds 0,1,2`` fine-tunes each width once per seed of the fine-tuning (its held-out tenth, batch order and
dropout; the command's is 0): the spread of one recipe.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_nlp_sentiment_prune.py --units 96,72,64,48 --rounds 2
    OMP_NUM_THREADS=1 python benchmarks/bench_nlp_sentiment_prune.py --units 96,64 --finetune 64,48 --more
    python benchmarks/bench_nlp_sentiment_prune.py --units "" --more --texts-out reviews37k.txt   # texts only
    OMP_NUM_THREADS=1 python benchmarks/bench_nlp_sentiment_prune.py --units "" --finetune 72 \
        --texts reviews37k.txt --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from bench_nlp_sentiment import _rows, prepare, review_sentences

from carrousel.core.bundle import load_bundle
from carrousel.core.export import export_bundle
from carrousel.nlp.config import (
    FitConfig,
    SentimentEvaluateConfig,
    SentimentExportConfig,
    TextDataConfig,
)
from carrousel.nlp.decision import decide
from carrousel.nlp.pipeline.deploy import (
    TOKENS,
    ProbsAndWeights,
    _batch,
    export_sentiment,
    sentiment_export_spec,
)
from carrousel.nlp.pipeline.prune import prune_classifier
from carrousel.nlp.pipeline.sentiment import KIND, SentimentModel, shipped_model_path
from carrousel.nlp.pipeline.sentiment_eval import evaluate_sentiment
from carrousel.nlp.samples import sample_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from train_nlp_sentiment_model import _norm, build_sets, pang_lee_rows, validation_rows, write_csv

HELD = 2000  # review sentences held out for the agreement


def _key(text: str) -> str:
    return _norm(text).replace(" ", "")


def texts_and_sets(folder: Path, more: bool) -> tuple[Path, Path, dict[str, Path]]:
    """The fine-tuning texts, the held-out agreement texts and the labelled sets by name."""
    train, test, gensim = prepare(folder)
    reviews = review_sentences(folder, [train, test, gensim], 10_000)
    shipped = folder / "shipped"
    shipped.mkdir()
    strain, sunl, _, _ = build_sets(shipped)
    fit = FitConfig(epochs=8, batch_size=64, lr=3e-3, patience=2, seed=0, progress=False)
    sets = {
        "validation": validation_rows(strain, fit, folder, shipped_model_path()),
        "pang_lee": pang_lee_rows(folder),
        "gensim": write_csv(
            folder / "gensim_named.csv",
            [(t, "positive" if y == "1" else "negative") for t, y in zip(*_rows(gensim), strict=True)],
        ),
    }
    used = reviews.read_text(encoding="utf-8").splitlines()
    banned = {_key(t) for t in _rows(strain)[0] + _rows(sets["pang_lee"])[0] + _rows(gensim)[0] + used}
    banned |= {_key(t) for t in sunl.read_text(encoding="utf-8").splitlines()}
    with open(sample_file("nlp.pang_lee_reviews"), encoding="utf-8-sig", newline="") as fh:
        pool = {" ".join(s.split()) for row in csv.reader(fh) for s in row[1].splitlines()}
    # one spelling per key, the same in every process: ``pool`` is a set, whose order follows the hash seed
    kept = {_key(t): t for t in sorted(pool) if 4 <= len(t.split()) <= 60 and _key(t) not in banned}
    rest = sorted(kept.values())
    random.Random(1).shuffle(rest)
    held = folder / "held.txt"
    held.write_text("\n".join(rest[:HELD]) + "\n", encoding="utf-8")
    if more:
        reviews.write_text("\n".join(used + rest[HELD:]) + "\n", encoding="utf-8")
    return reviews, held, sets


def _sample(fn: Callable[[], object], min_seconds: float = 0.05) -> float:
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        if (elapsed := time.perf_counter() - start) >= min_seconds:
            return elapsed / n


def speed(full: SentimentModel, units: list[int], rounds: int, folder: Path) -> dict[str, Any]:
    """Eager fp32 / deployed int8 time ratios per width, batch and round."""
    width = full.model.config.net.hidden_size
    batches = {b: _batch(full.model.config.vocab_size, b, TOKENS, 2) for b in (1, 64)}
    graph = ProbsAndWeights(full.model.eval()).eval()

    def eager(b: int) -> object:
        with torch.inference_mode():
            return graph(*batches[b])

    runners: dict[str, Callable[[int], object]] = {"eager": eager}
    for u in units:
        net = full.model if u == width else prune_classifier(full.model, 1 - u / width).eval()
        bundle = replace(full.bundle, model=net)
        out, _ = export_bundle(
            bundle, folder / f"speed{u}", sentiment_export_spec(net), "int8", "torchscript"
        )
        runtime = SentimentModel(load_bundle(out, kind=KIND)).runtime
        assert runtime is not None
        runners[str(u)] = lambda b, r=runtime: r.run(*batches[b])
    ratios: dict[str, Any] = {str(u): {"1": [], "64": []} for u in units}
    for r in range(rounds):
        for b in (1, 64):
            samples: dict[str, list[float]] = {k: [] for k in runners}
            for _ in range(7):
                for k, run in runners.items():
                    samples[k].append(_sample(functools.partial(run, b)))
            ms = {k: 1000 * statistics.median(v) for k, v in samples.items()}
            print(f"round {r + 1}, batch {b}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in ms.items()))
            for u in units:
                ratios[str(u)][str(b)].append(round(ms["eager"] / ms[str(u)], 2))
    return ratios


def given_texts(path: Path, held: Path) -> Path:
    """``--texts``: the user's fine-tuning file, refused when it holds a held-out agreement text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    mixed = {_key(t) for t in lines} & {_key(t) for t in held.read_text(encoding="utf-8").splitlines()}
    if mixed:
        raise SystemExit(
            f"--texts {path}: {len(mixed)} of its texts are held-out agreement texts; give texts "
            "written by --texts-out (or a part of them)"
        )
    return path


def accuracy(
    full: SentimentModel,
    units: int,
    texts: Path,
    held: Path,
    sets: dict[str, Path],
    out: Path,
    epochs: int = SentimentExportConfig.finetune.epochs,
    seed: int = 0,
) -> dict[str, Any]:
    """``units`` pruned, fine-tuned and exported int8 by ``nlp sentiment export --prune``'s own pipeline
    (``seed``: the fine-tuning's, the command's 0), scored."""
    width = full.model.config.net.hidden_size
    start = time.perf_counter()
    cfg = SentimentExportConfig(
        prune=1 - units / width,
        unlabelled=(str(texts),),
        finetune=replace(SentimentExportConfig.finetune, epochs=epochs, seed=seed, progress=False),
    )
    report = export_sentiment(cfg, out)  # what the command runs: the weights are the command's
    seconds = time.perf_counter() - start
    folder, pruned = Path(report.folder), report.extra["pruned"]
    deployed = SentimentModel(load_bundle(folder, kind=KIND))
    lines = held.read_text(encoding="utf-8").splitlines()
    cut = full.bundle.assets.get("threshold")
    agree = float(
        np.mean(decide(full.predict_proba(lines), cut) == decide(deployed.predict_proba(lines), cut))
    )
    row: dict[str, Any] = {
        "units": units,
        "seed": seed,
        "export_s": round(seconds),
        "epochs": pruned["epochs"],
        "best_epoch": pruned["best_epoch"],
        "tenth_agreement": pruned["held_out_agreement"],  # the command's report: its held-out tenth, argmax
        "agreement": round(agree, 4),
    }
    for name, path in sets.items():
        row[name] = round(
            evaluate_sentiment(SentimentEvaluateConfig(str(folder), TextDataConfig(str(path)))).accuracy, 4
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", default="96,72,64,48", help="widths timed (comma-separated)")
    parser.add_argument("--finetune", default="", help="widths fine-tuned and scored (comma-separated)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--more", action="store_true", help="fine-tune on ~37,000 review sentences")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--texts-out",
        type=Path,
        help="also copy the fine-tuning texts here (for nlp sentiment export --unlabelled)",
    )
    parser.add_argument("--texts", type=Path, help="fine-tune on this file instead (no held-out text in it)")
    parser.add_argument("--finetune-epochs", type=int, default=SentimentExportConfig.finetune.epochs)
    parser.add_argument("--seeds", default="0", help="fine-tuning seeds, one run each (comma-separated)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    full = SentimentModel.from_pretrained(shipped_model_path())
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.units:
            result["speedup"] = speed(full, [int(u) for u in args.units.split(",")], args.rounds, folder)
            for u, r in result["speedup"].items():
                print(f"{u:>3} units, eager / int8: batch 1 {r['1']}, batch 64 {r['64']}")
        if args.finetune or args.texts_out:
            texts, held, sets = texts_and_sets(folder, args.more)
            if args.texts:
                texts = given_texts(args.texts, held)
            elif args.texts_out:
                args.texts_out.write_text(texts.read_text(encoding="utf-8"), encoding="utf-8")
        if args.finetune:
            base = {"units": full.model.config.net.hidden_size, "agreement": 1.0}
            for name, path in sets.items():
                base[name] = round(
                    evaluate_sentiment(
                        SentimentEvaluateConfig(str(shipped_model_path()), TextDataConfig(str(path)))
                    ).accuracy,
                    4,
                )
            rows = [base] + [
                accuracy(full, int(u), texts, held, sets, folder / f"p{u}s{s}", args.finetune_epochs, int(s))
                for u in args.finetune.split(",")
                for s in args.seeds.split(",")
            ]
            result["accuracy"] = {"texts": len(texts.read_text(encoding="utf-8").splitlines()), "rows": rows}
            print(
                f"{'units':>5} {'seed':>4} {'agreement':>9} {'validation':>10} {'P&L':>7} {'gensim':>6}  (fp32 full, then int8)"
            )
            for row in rows:
                rel = f" ({100 * (row['pang_lee'] / base['pang_lee'] - 1):+.2f}%)" if row is not base else ""
                print(
                    f"{row['units']:>5} {row.get('seed', ''):>4} {row['agreement']:>9.4f} {row['validation']:>10.4f} {row['pang_lee']:>7.4f}{rel} {row['gensim']:>6.3f}"
                )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
