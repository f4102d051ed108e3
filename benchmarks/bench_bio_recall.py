"""Planted-site recall on a whole real genome: PWM scan vs model scan (E. coli sample, JASPAR motifs).

Plants ``--per-motif`` strong instances (exact PWM p < ``--min-p``) of each motif at random, non-overlapping
positions of the E. coli genome (fixed seed), writes the planted genome to a temporary FASTA and runs
``scan_genome`` once per method. For each method and q-value cut-off it prints recall (motif, start and
strand must match; strand is ignored for motifs that are their own reverse complement, e.g. TP53), the
false discovery proportion (hits of the planted motifs that are not on a planted site of their motif),
per-motif recall, wall time and Mb/s. The model method uses the packaged panel model.

Usage: ``python benchmarks/bench_bio_recall.py [--motifs CTCF,REST,TP53] [--per-motif 30] [--seed 0]
[--methods pwm,model] [--threads 1]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from carrousel.bio import pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import decode, iter_records
from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.pwm import IntegerPWM
from carrousel.bio.synth import plant, sample_instance
from carrousel.core.errors import CarrouselError
from carrousel.core.samples import sample_path

QS = (0.01, 0.05)
Truth = tuple[str, int, str]


def plant_sites(
    genome: Path, motifs: list[Motif], n_per: int, rng: np.random.Generator, min_p: float
) -> tuple[str, np.ndarray, list[Truth]]:
    """Plants strong instances of each motif at random slots 250 bases apart (same scheme as tests/bio)."""
    (name, codes), *_ = list(iter_records(genome))
    codes = codes.copy()
    truth: list[Truth] = []
    slots = rng.choice(np.arange(100, codes.size - 100, 250), size=n_per * len(motifs), replace=False)
    pwms = {m.id: IntegerPWM(m) for m in motifs}
    for i, pos in enumerate(slots):
        m = motifs[i % len(motifs)]
        pwm = pwms[m.id]
        for _ in range(200):  # bounded tries: short motifs cannot reach tiny p-values
            site = sample_instance(m, rng, 3.0)
            if pwm.pvalue(pwm.matrix[np.arange(m.length), site].sum()[None])[0] < min_p:
                break
        strand = 1 if rng.random() < 0.5 else -1
        plant(codes, site, int(pos), strand)
        truth.append((m.id, int(pos), "+" if strand == 1 else "-"))
    return name, codes, truth


def is_palindromic(m: Motif, tol: float = 0.2) -> bool:
    """True when the motif's frequencies match its reverse complement's (hits on either strand are right)."""
    return float(np.abs(m.frequencies() - m.reverse_complement().frequencies()).max()) < tol


def score(
    motif_ids: np.ndarray,
    starts: np.ndarray,
    strands: np.ndarray,
    truth: list[Truth],
    strandless: set[str],
) -> tuple[float, float, int, dict[str, float]]:
    """Returns recall, false discovery proportion, number of reported hits and per-motif recall."""
    ids = {m for m, _, _ in truth}

    def key(m: str, s: int, st: str) -> Truth:
        return (m, int(s), "*" if m in strandless else st)

    found = {key(m, s, st) for m, s, st in zip(motif_ids, starts, strands, strict=True) if m in ids}
    want = {key(*t) for t in truth}
    planted = {(m, s) for m, s, _ in truth}
    reported = {(m, s) for m, s, _ in found}
    false = sum(1 for h in reported if h not in planted)
    per = {}
    for mid in sorted(ids):
        tm = {t for t in want if t[0] == mid}
        per[mid] = len(tm & found) / len(tm)
    return len(want & found) / len(want), false / max(len(reported), 1), len(reported), per


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--motifs", default="CTCF,REST,TP53", help="comma-separated JASPAR IDs or names")
    ap.add_argument("--per-motif", type=int, default=30, help="sites planted per motif")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default="pwm,model", help="comma-separated: pwm, model")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the model method")
    ap.add_argument("--min-p", type=float, default=1e-8, help="planted sites have exact PWM p below this")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    motifs = resolve_motifs([s.strip() for s in args.motifs.split(",") if s.strip()])
    strandless = {m.id for m in motifs if is_palindromic(m)}
    genome = sample_path("bio.ecoli")
    name, codes, truth = plant_sites(
        genome, motifs, args.per_motif, np.random.default_rng(args.seed), args.min_p
    )
    names = ", ".join(f"{m.id} {m.name}" + (" (strandless)" if m.id in strandless else "") for m in motifs)
    print(f"genome {genome.name}: {codes.size / 1e6:.2f} Mb; planted {args.per_motif} x [{names}]")
    print(f"seed {args.seed}, min p {args.min_p:g}, torch threads {args.threads}")
    print(
        f"{'method':<6} {'q<=':>5} {'recall':>7} {'FDP':>6} {'hits':>5} {'time s':>7} {'Mb/s':>6}  per-motif recall"
    )

    with tempfile.TemporaryDirectory() as tmp:
        fa = Path(tmp) / "planted.fa"
        fa.write_text(f">{name}\n{decode(codes)}\n")
        for method in [s.strip() for s in args.methods.split(",") if s.strip()]:
            ids = tuple(m.id for m in motifs)
            if method == "pwm":
                cfg = ScanConfig(method="pwm", motifs=ids, qvalue=max(QS))
            else:
                cfg = ScanConfig(method="model", motifs=ids, model_qvalue=max(QS))
            t0 = time.perf_counter()
            try:
                res = pipeline.scan(cfg, fa)
            except CarrouselError as exc:
                print(f"{method:<6} skipped: {exc}")
                continue
            secs = time.perf_counter() - t0
            h = res.hits
            mids, starts, strands, q = (np.asarray(h[c]) for c in ("motif_id", "start", "strand", "qvalue"))
            for qc in QS:
                sel = q <= qc
                recall, fdp, n, per = score(mids[sel], starts[sel], strands[sel], truth, strandless)
                per_s = " ".join(f"{m.name}={per[m.id]:.3f}" for m in motifs)
                print(
                    f"{method:<6} {qc:>5g} {recall:>7.3f} {fdp:>6.3f} {n:>5d} {secs:>7.1f} "
                    f"{res.bases / secs / 1e6:>6.3f}  {per_s}"
                )


if __name__ == "__main__":
    main()
