"""GPU check for carrousel-bio (run by scripts/gpu_check_bio.sh on a machine with CUDA and PyTorch).

Checks, on the packaged panel model and the shipped samples (read from ``--data``, a folder holding
``bio.ecoli``, ``bio.oct4`` and ``bio.mafk`` as fetched by ``carrousel-data fetch``):

1. strand-averaged window logits on CUDA equal the CPU ones (E. coli windows);
2. gradient x input attribution on CUDA equals the CPU one (eval-mode gradients through the RNN);
3. ``scan_genome(method="model")`` on 1 Mb of E. coli gives the same hits on CUDA as on CPU;
4. model-scan throughput on the whole E. coli genome on CUDA (and the window forward alone);
5. training a DanQ on Oct4 vs Mafk on CUDA (fp32 and bf16 autocast): loss falls, held-out AUROC.

Prints one JSON object per check and writes them all to ``OUT/bio_gpu.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _fa(data: Path, name: str, tmp: Path) -> Path:
    src = next((data / name).glob("*"))
    out = tmp / f"{name}.fa"
    raw = src.read_bytes()
    out.write_bytes(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default=os.environ.get("OUT", "/tmp/carrousel-gpu"))
    ap.add_argument("--device", default="cuda", help="cpu: a dry run of every step here")
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    dev_name = args.device
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp"
    tmp.mkdir(exist_ok=True)
    data = Path(args.data)
    cuda = dev_name == "cuda"
    results: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
    }

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def report(key: str, value: dict[str, Any]) -> None:
        results[key] = value
        print(json.dumps({key: value}), flush=True)
        (out / "bio_gpu.json").write_text(json.dumps(results, indent=2))

    from carrousel.bio import pipeline
    from carrousel.bio.config import ScanConfig
    from carrousel.bio.fasta import iter_records, read_sequences
    from carrousel.bio.model_scan import attribution
    from carrousel.bio.models import predict_logits

    ecoli = _fa(data, "bio.ecoli", tmp)
    _, codes = next(iter_records(ecoli))
    cpu = pipeline.load_model(device="cpu")
    gpu = pipeline.load_model(device=dev_name)
    W = cpu.window
    starts = np.arange(0, codes.size - W, 178)
    wins = codes[starts[:, None] + np.arange(W)[None, :]]

    # 1. logits
    sub = wins[:4000]
    lc = predict_logits(cpu.model, sub, 128, fast=True)
    lg = predict_logits(gpu.model, sub, 2048, fast=True)
    report(
        f"logits_cpu_vs_{dev_name}",
        {"windows": int(sub.shape[0]), "max_abs_diff": float(np.abs(lc - lg).max())},
    )

    # 2. attribution
    tasks = np.arange(512) % cpu.model.config.n_outputs
    ac = attribution(cpu.model, wins[:512], tasks)
    ag = attribution(gpu.model, wins[:512], tasks)
    report(
        f"attribution_cpu_vs_{dev_name}",
        {
            "max_abs_diff": float(np.abs(ac - ag).max()),
            "scale": float(np.abs(ac).max()),
            "argmax_equal": float(np.mean(ac.argmax(1) == ag.argmax(1))),
        },
    )

    # 3. same hits on 1 Mb
    mb = tmp / "ecoli_1mb.fa"
    from carrousel.bio.fasta import decode

    mb.write_text(">ecoli_1mb\n" + decode(codes[:1_000_000]) + "\n")
    hits = {}
    for dev in ("cpu", dev_name):
        res = pipeline.scan(ScanConfig(method="model", device=dev, model_qvalue=0.5), mb)
        hits[dev] = {
            (s, st, m)
            for s, st, m in zip(res.hits["start"], res.hits["strand"], res.hits["motif_id"], strict=True)
        }
    report(
        f"scan_hits_cpu_vs_{dev_name}_1mb",
        {
            "cpu": len(hits["cpu"]),
            dev_name: len(hits[dev_name]),
            "shared": len(hits["cpu"] & hits[dev_name]),
        },
    )

    # 4. throughput
    sync()
    t = time.perf_counter()
    predict_logits(gpu.model, wins, 4096, fast=True)
    sync()
    fwd = time.perf_counter() - t
    t = time.perf_counter()
    res = pipeline.scan(ScanConfig(method="model", device=dev_name, batch_size=8192), ecoli)
    full = time.perf_counter() - t
    report(
        f"model_scan_speed_{dev_name}",
        {
            "bases": int(codes.size),
            "window_forward_mb_per_s": round(codes.size / fwd / 1e6, 2),
            "whole_scan_mb_per_s": round(codes.size / full / 1e6, 2),
            "whole_scan_seconds": round(full, 2),
            "hits": len(res.hits),
        },
    )

    # 5. training on CUDA
    from carrousel.bio.data import fit_windows
    from carrousel.bio.training import fit_model
    from carrousel.core.metrics import roc_auc
    from carrousel.core.train import TrainConfig

    xs = []
    for name in ("bio.oct4", "bio.mafk"):
        _, seqs = read_sequences(_fa(data, name, tmp))
        from carrousel.bio.fasta import encode

        xs.append(fit_windows([encode(s) for s in seqs], 200))
    x = np.concatenate(xs)
    y = np.concatenate([np.ones(len(xs[0])), np.zeros(len(xs[1]))])[:, None]
    order = np.random.default_rng(0).permutation(x.shape[0])
    cut = int(0.8 * x.shape[0])
    tr, te = order[:cut], order[cut:]
    for precision in ("fp32", "bf16"):
        cfg = TrainConfig(
            epochs=args.epochs, lr=3e-3, device=dev_name, progress=False, seed=0, precision=precision
        )
        t = time.perf_counter()
        outcome = fit_model(x[tr], y[tr], [], train_config=cfg, allow_no_motifs=True, n_null=500)
        secs = time.perf_counter() - t
        logits = predict_logits(outcome.model.model, x[te])[:, 0]
        auc = roc_auc(torch.from_numpy(logits), torch.from_numpy(y[te, 0]).long())
        losses = [h["train_loss"] for h in outcome.history if "train_loss" in h]
        report(
            f"train_oct4_vs_mafk_{dev_name}_{precision}",
            {
                "train_windows": int(tr.size),
                "held_out": int(te.size),
                "held_out_auroc": round(float(auc), 4),
                "first_loss": round(losses[0], 4) if losses else None,
                "last_loss": round(losses[-1], 4) if losses else None,
                "seconds": round(secs, 1),
            },
        )


if __name__ == "__main__":
    main()
