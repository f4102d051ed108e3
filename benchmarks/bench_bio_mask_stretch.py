"""``bio scan --mask-lower``: which planted sites in short clean (upper-case) stretches a model scan finds.

With ``--mask-lower`` a model window touching a soft-masked (lower-case) base is not tested, so a site
is found by the model only when a whole window of the scan's grid (the model's window, every ``stride``
bases) lies inside its clean stretch. This builds one synthetic record of lower-case random DNA (fixed
seed) holding ``--per-length`` clean stretches of each length, each with one CTCF consensus site at a
random offset (stretch starts jittered, so their phase against the window grid is random), runs the
``bio`` CLI on it (the packaged panel model: 200-base windows) and prints, per stretch length, the share
of sites a CTCF hit overlaps: ``--method model --mask-lower``, ``--method model`` (case ignored: the
model's own recall), and ``--method pwm -m CTCF --mask-lower`` (the PWM tests sites, not windows).

Usage: ``python benchmarks/bench_bio_mask_stretch.py [--lengths 100,199,200,300,400,600] [--per-length 30]
[--seed 0]`` (sequential CLI runs; about a minute on one core).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from carrousel.bio.motifs import resolve_motifs

SLOT = 1000  # bases per stretch slot (stretch + lower-case flanks)
RUNS = {
    "model, masked": ["--method", "model", "--mask-lower"],
    "model, case ignored": ["--method", "model"],
    "PWM, masked": ["--method", "pwm", "-m", "CTCF", "--mask-lower"],
}


def genome(lengths: list[int], per: int, seed: int) -> tuple[str, list[tuple[int, int, int]]]:
    """The record's sequence and each planted site as (stretch length, start, end)."""
    rng = np.random.default_rng(seed)
    site = resolve_motifs("CTCF")[0].consensus().upper()
    order = rng.permutation([n for n in lengths for _ in range(per)])
    seq = list("".join("acgt"[i] for i in rng.integers(0, 4, SLOT * len(order))))
    truth = []
    for slot, n in enumerate(order):
        start = slot * SLOT + int(rng.integers(50, SLOT - n - 50))
        clean = "".join("ACGT"[i] for i in rng.integers(0, 4, n))
        at = int(rng.integers(0, n - len(site) + 1))
        clean = clean[:at] + site + clean[at + len(site) :]
        seq[start : start + n] = clean
        truth.append((int(n), start + at, start + at + len(site)))
    return "".join(seq), truth


def found(bed: Path, truth: list[tuple[int, int, int]]) -> list[bool]:
    """Whether a CTCF hit of the BED overlaps each planted site."""
    spans = [
        (int(r[1]), int(r[2]))
        for r in (line.split("\t") for line in bed.read_text().splitlines() if line.startswith("chr1\t"))
        if "CTCF" in r[3] or "MA0139" in r[3]
    ]
    return [any(a < e and s < b for a, b in spans) for _, s, e in truth]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", default="100,199,200,300,400,600")
    ap.add_argument("--per-length", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    seq, truth = genome(lengths, args.per_length, args.seed)
    shares: dict[str, list[bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fa = Path(tmp) / "masked.fa"
        fa.write_text(">chr1\n" + "\n".join(seq[i : i + 80] for i in range(0, len(seq), 80)) + "\n")
        for name, extra in RUNS.items():
            bed = Path(tmp) / "hits.bed"
            cmd = [sys.executable, "-m", "carrousel.bio.cli", "scan", str(fa), *extra, "--no-progress"]
            res = subprocess.run([*cmd, "--json", "-q", "-o", str(bed)], capture_output=True, text=True)
            if res.returncode != 0:
                sys.exit(f"{' '.join(cmd)}: {res.stderr.strip()}")
            stages = json.loads(res.stdout).get("model_stages", {})
            print(f"# {name}: bio scan G.fa {' '.join(extra)}; model stages {stages}")
            shares[name] = found(bed, truth)
    print(f"{'clean stretch (bases)':>22} {'sites':>6} " + " ".join(f"{n:>20}" for n in RUNS))
    for n in lengths:
        rows = [i for i, t in enumerate(truth) if t[0] == n]
        cells = [f"{sum(shares[k][i] for i in rows)}/{len(rows)}" for k in RUNS]
        print(f"{n:>22} {len(rows):>6} " + " ".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
