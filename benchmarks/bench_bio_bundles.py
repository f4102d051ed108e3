"""Latency of exported bio bundles against the eager fp32 full panel, interleaved sample by sample.

``bio export`` measures each bundle's speed-up in its own process (median of 5 samples per runner, the
runners one after the other), which on a shared machine swings with the load (the same student 1.7x-3.1x at
batch 64). Here every round times one sample of each runner in turn (the eager panel first), for
``--rounds`` rounds, and each runner's figure is its fastest sample: a ratio taken under the same load.

Usage: ``python benchmarks/bench_bio_bundles.py DIR [DIR ...] [--rounds 30] [--threads 1] [--json]``
(``DIR``: folders written by ``bio export``, e.g. the ``panel-*`` of ``bench_export.py --parts bio --out``).
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from carrousel.bio.bundle import default_model_path, load_model
from carrousel.bio.models import predict_logits
from carrousel.core.export.report import time_call

BATCHES = (1, 64)


def measure(folders: list[Path], rounds: int) -> list[dict[str, Any]]:
    """Fastest milliseconds per batch of the eager panel and of each bundle, with speed-ups."""
    panel = load_model(default_model_path())
    net = panel.model.eval()
    runners: dict[str, Any] = {"eager fp32 (full panel)": lambda c, b: predict_logits(net, c, b, fast=True)}
    for folder in folders:
        m = load_model(folder)
        if m.runtime is None:
            raise SystemExit(f"{folder}: no exported network in this bundle; give bio export folders")
        runners[folder.name] = lambda c, b, m=m: predict_logits(m.model, c, b, runtime=m.runtime)
    codes = np.random.default_rng(0).integers(0, 4, (max(BATCHES), panel.window), dtype=np.uint8)
    rows = []
    for b in BATCHES:
        best = {name: float("inf") for name in runners}
        for _ in range(rounds):
            for name, run in runners.items():
                best[name] = min(best[name], time_call(functools.partial(run, codes[:b], b), repeats=1))
        eager = best["eager fp32 (full panel)"]
        for name, seconds in best.items():
            rows.append({"batch": b, "runner": name, "ms": 1e3 * seconds, "speedup": eager / seconds})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = measure(args.folders, args.rounds)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"batch {r['batch']:>2}  {r['runner']:<28} {r['ms']:8.3f} ms  {r['speedup']:5.2f}x")


if __name__ == "__main__":
    main()
