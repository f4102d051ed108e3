"""carrousel-nlp sentiment prediction speed with and without the OOV fallback (:mod:`carrousel.nlp.oov`),
side by side in one run: texts per second at batch 1 (one text per call) and at batch 256, on CPU.

The model: ``--model DIR``, a word-token sentiment bundle that carries the fallback (``nlp sentiment train
--teacher minilm --tokenizer word --oov-fallback``, or a ``bench_nlp_sentiment.py --keep DIR --oov-fallback``
``..._oov`` model); without it the benchmark makes one: a word-token student trained on the Pang & Lee
sentences (``nlp.pang_lee``; 2 epochs, the default network) and given the fallback afterwards
(:func:`carrousel.nlp.pipeline.distill.with_oov_fallback`, MiniLM's pieces mapped onto its trained rows;
needs carrousel-nlp[teacher]); ``--keep DIR`` keeps it for the next run. "without" is the same bundle with
the fallback's array and tokenizer left out (the weights and cut are the same). The texts: VADER's Amazon
and NYT snippets (``nlp.vader_ratings``), where the words a movie-review vocabulary lacks are common.

Every timed round starts from a freshly built model (the fallback's memo of word vectors empty); the two
variants alternate round by round and the best of ``--rounds`` is kept. Batch 256 predicts every text
(:meth:`~carrousel.nlp.pipeline.SentimentModel.predict_proba`); batch 1 calls ``model([text])`` for the
first ``--single`` texts (what a service or ``nlp sentiment predict`` on a stream does). Seconds are the
process's CPU seconds (``--clock cpu``, the default: ``time.process_time``, every thread of it, Rust's
tokenizer threads included), far less disturbed than elapsed time (``--clock wall``) by other work on a
shared machine. Printed: texts per second and the slowdown (seconds with / without); ``--json-out FILE``
writes them.

Usage: ``python benchmarks/bench_nlp_oov_speed.py [--model DIR | --keep DIR] [--rounds 5] [--single 300]
[--threads 1] [--clock cpu|wall] [--json-out FILE]``
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

from carrousel.core.atomic import atomic_write_text
from carrousel.core.bundle import Bundle, load_bundle
from carrousel.nlp.oov import OOV_ARRAY, OOV_TOKENIZER
from carrousel.nlp.pipeline import SentimentModel
from carrousel.nlp.pipeline.sentiment import KIND
from carrousel.nlp.samples import sample_file
from carrousel.nlp.vader import read_vader_ratings


def make_model(folder: Path) -> Path:
    """A word-token student of the Pang & Lee sentences with the OOV fallback, saved in ``folder``."""
    from carrousel.nlp.config import FitConfig, SentimentTrainConfig, TextDataConfig, TokenizerConfig
    from carrousel.nlp.pipeline import train_sentiment
    from carrousel.nlp.pipeline.distill import with_oov_fallback

    plain = folder / "plain"
    cfg = SentimentTrainConfig(
        TextDataConfig(str(sample_file("nlp.pang_lee")), text_col="1", label_col="0", header=False),
        TokenizerConfig(kind="word"),
        fit=FitConfig(epochs=2, threads=1, progress=False),
    )
    train_sentiment(cfg, plain)
    out = folder / "model_oov"
    with_oov_fallback(load_bundle(plain, kind=KIND)).save(out)
    return out


def texts() -> list[str]:
    """VADER's Amazon and NYT snippets, in file order."""
    rated = read_vader_ratings(sample_file("nlp.vader_ratings"), ("amazon", "nyt"))
    return [t for name in ("amazon", "nyt") for t, _ in rated[name]]


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = CLOCKS["cpu"]


def _timed(run: Callable[[], object]) -> float:
    start = _clock()
    run()
    return _clock() - start


def measure(bundle: Bundle, items: list[str], rounds: int, single: int) -> dict[str, dict[str, float]]:
    """Texts per second with and without the fallback at batch 256 and batch 1, rounds alternating."""
    without = replace(
        bundle,
        arrays={k: v for k, v in bundle.arrays.items() if k != OOV_ARRAY},
        files={k: v for k, v in bundle.files.items() if k != OOV_TOKENIZER},
    )
    variants = {"without": without, "with": bundle}
    SentimentModel(bundle).predict_proba(items[:64])  # warm-up (torch, tokenizers)
    seconds: dict[str, dict[str, list[float]]] = {v: {"batch_256": [], "batch_1": []} for v in variants}
    few = items[:single]
    for _ in range(rounds):
        for name, b in variants.items():
            model = SentimentModel(b)
            seconds[name]["batch_256"].append(_timed(lambda m=model: m.predict_proba(items, batch_size=256)))
            model = SentimentModel(b)
            seconds[name]["batch_1"].append(_timed(lambda m=model: [m([t], batch_size=1) for t in few]))
    out: dict[str, dict[str, float]] = {}
    for name in variants:
        out[name] = {
            "batch_256_per_s": len(items) / min(seconds[name]["batch_256"]),
            "batch_1_per_s": single / min(seconds[name]["batch_1"]),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a word-token bundle with the OOV fallback")
    parser.add_argument("--keep", type=Path, help="where to make (or find) the benchmark's own model")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per variant (best kept)")
    parser.add_argument("--single", type=int, default=300, help="texts predicted one per call")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--json-out", type=Path, help="write the figures as JSON")
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="cpu: the process's CPU seconds; wall: elapsed"
    )
    args = parser.parse_args()
    global _clock
    _clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    if args.model is not None:
        path = args.model
    else:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_oov_"))
        folder.mkdir(parents=True, exist_ok=True)
        path = (
            folder / "model_oov" if (folder / "model_oov" / "bundle.json").is_file() else make_model(folder)
        )
    bundle = load_bundle(path, kind=KIND)
    if OOV_ARRAY not in bundle.arrays:
        raise SystemExit(f"{path} has no OOV fallback; give a bundle trained with --oov-fallback")
    items = texts()
    logging.getLogger("carrousel").setLevel(logging.ERROR)  # not the "[UNK] only" warning of each call
    counts = [p.unknown_words_mapped or 0 for p in SentimentModel(bundle)(items, warn=False)]
    mapped = sum(counts)
    figures = measure(bundle, items, args.rounds, args.single)
    w, wo = figures["with"], figures["without"]
    doc = {
        "model": str(path),
        "texts": len(items),
        "words_mapped": mapped,
        "texts_mapped": sum(1 for c in counts if c),
        "threads": args.threads,
        "clock": args.clock,
        "rounds": args.rounds,
        "single": args.single,
        **figures,
        "slowdown_batch_256": wo["batch_256_per_s"] / w["batch_256_per_s"],
        "slowdown_batch_1": wo["batch_1_per_s"] / w["batch_1_per_s"],
    }
    print(f"model {path}: {len(items)} VADER Amazon + NYT texts, {mapped} unknown words mapped")
    print(f"{'':<10}{'batch 256 (texts/s)':>22}{'batch 1 (texts/s)':>20}")
    for name in ("without", "with"):
        print(f"{name:<10}{figures[name]['batch_256_per_s']:>22.0f}{figures[name]['batch_1_per_s']:>20.1f}")
    print(
        f"slowdown with the fallback (seconds with / without): batch 256 {doc['slowdown_batch_256']:.2f}x, "
        f"batch 1 {doc['slowdown_batch_1']:.2f}x"
    )
    if args.json_out:
        atomic_write_text(args.json_out, json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
