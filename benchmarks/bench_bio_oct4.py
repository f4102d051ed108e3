"""Oct4 vs Mafk (real 200-bp ChIP-seq peaks, janggu's sample.fa / sample2.fa): held-out AUROC/AUPRC of a
DanQ model trained with ``bio train --positives --negatives`` beside the best single JASPAR PWM.

Splits both files 80/20 with a fixed seed, trains on the 80% through the CLI command (printed, so the
run can be repeated), evaluates on the 20% with ``bio evaluate`` logic: the model, and every JASPAR CORE
vertebrate PWM (best one by AUROC reported, which favours the PWM baseline).

Usage: ``python benchmarks/bench_bio_oct4.py [--epochs 10] [--out /tmp/oct4]``
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _split(src: Path, out_train: Path, out_test: Path, seed: int) -> None:
    from carrousel.bio.fasta import read_sequences

    names, seqs = read_sequences(src)
    order = np.random.default_rng(seed).permutation(len(seqs))
    cut = int(0.8 * len(seqs))
    for path, idx in ((out_train, order[:cut]), (out_test, order[cut:])):
        path.write_text("".join(f">{names[i]}\n{seqs[i]}\n" for i in sorted(idx)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--out", default="/tmp/bench_bio_oct4")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", default="POU5F1,MAFK", help="motifs seeding the filters ('' for none)")
    args = ap.parse_args()
    from carrousel.bio.data import sequences_to_windows
    from carrousel.bio.evaluate import evaluate_windows
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.pipeline import load_model
    from carrousel.core.samples import sample_path

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("oct4", "mafk"):
        _split(sample_path(f"bio.{name}"), out / f"{name}_train.fa", out / f"{name}_test.fa", args.seed)
    cmd = [
        sys.executable,
        "-m",
        "carrousel.bio.cli",
        "train",
        "-v",
        "--positives",
        str(out / "oct4_train.fa"),
        "--negatives",
        str(out / "mafk_train.fa"),
        "--epochs",
        str(args.epochs),
        "--lr",
        "3e-3",
        "--seed",
        str(args.seed),
        "-o",
        str(out / "model"),
        "--json",
    ]
    if args.init:
        cmd += ["--motif", args.init]
    print("training:", shlex.join(cmd), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"trained in {time.perf_counter() - t:.0f} s")
    bundle = load_model(out / "model")
    _, pos = sequences_to_windows(out / "oct4_test.fa", bundle.window)
    _, neg = sequences_to_windows(out / "mafk_test.fa", bundle.window)
    res = evaluate_windows(bundle, pos, neg, resolve_motifs("jaspar:CORE/vertebrates"), task="0")
    print(json.dumps(res.summary(), indent=2))


if __name__ == "__main__":
    main()
