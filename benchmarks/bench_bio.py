"""carrousel-bio scan speed and memory, side by side in one run.

Measures, on the E. coli 536 genome (4.94 Mb; ``carrousel-data fetch bio``):

* PWM scan (exact p-values, both strands, whole-scan q-values) in bases/s, by default (hits-only
  histogram, windows abandoned early) and with ``--exact-qvalues`` (every window's score histogrammed),
  and memelite's FIMO on the same motifs and file (when memelite is installed), in interleaved rounds
  with medians reported (this machine's speed drifts), with the p-values of shared hits compared; all
  first run once on phage lambda, not timed (numba compile / cache load); motifs are resolved once, as
  memelite is handed ready matrices;
* model scan (the packaged panel, RC-averaged windows, genome null calibration, attribution of positive
  windows, everything ``bio scan --method model`` does) in bases/s on the whole genome by default;
* peak memory (ru_maxrss of a fresh process) of the PWM scan on 1x, 2x and 4x the genome.

Usage: ``python benchmarks/bench_bio.py [--motifs 10] [--threads 2] [--model-mb 4.94] [--rounds 9]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PANEL = ["CTCF", "REST", "TP53", "SP1", "GATA1", "FOXA2", "HNF4A", "CEBPB", "SOX2", "ESR1", "NRF1", "YY1"]


def _pwm_scan(path: str, motifs: list, exact_q: bool = False) -> tuple[float, object]:
    from carrousel.bio.config import ScanConfig
    from carrousel.bio.scan import scan_genome

    cfg = ScanConfig(motifs=tuple(m.id for m in motifs), background="uniform", exact_qvalues=exact_q)
    t = time.perf_counter()
    res = scan_genome(path, cfg, motifs=motifs)
    return time.perf_counter() - t, res


def _memory_child(path: str, motifs: str) -> None:
    from carrousel.bio.motifs import resolve_motifs

    _pwm_scan(path, resolve_motifs(motifs.split(",")))
    print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--motifs", type=int, default=10, help="number of motifs in the PWM comparison")
    ap.add_argument("--threads", type=int, default=2, help="threads for torch and numba")
    ap.add_argument(
        "--model-mb",
        type=float,
        default=0.0,
        help="megabases of the genome for the model scan (0: all of it)",
    )
    ap.add_argument("--rounds", type=int, default=9, help="interleaved timing rounds of the PWM scans")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _memory_child(*args.child)
        return
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.core.samples import sample_path

    ecoli = sample_path("bio.ecoli")
    tmp = Path(tempfile.mkdtemp(prefix="bench_bio_"))
    fa = tmp / "ecoli.fa"
    fa.write_bytes(gzip.decompress(ecoli.read_bytes()))
    motifs = resolve_motifs(PANEL[: args.motifs])
    ids = [m.id for m in motifs]
    n_bases = 4_938_920
    lam = tmp / "lambda.fa"
    lam.write_bytes(gzip.decompress(sample_path("bio.lambda").read_bytes()))

    cold, _ = _pwm_scan(str(lam), motifs)  # loads the compiled kernels (numba cache); untimed, as memelite's
    print(f"PWM scan  (carrousel): first call in this process (phage lambda, kernel load) {cold:.2f} s")
    try:
        from memelite import fimo
    except ImportError:
        fimo = None
        print("memelite not installed: pip install memelite for the side-by-side FIMO figure")
    pwms = {m.id: m.frequencies(pseudocount=0.1).T.copy() for m in motifs}
    if fimo is not None:
        fimo(pwms, str(lam))  # numba compile, not timed
    # interleaved rounds, medians: the machine's speed drifts by up to 2x within minutes
    times: dict[str, list[float]] = {"carrousel": [], "carrousel exact-q": [], "memelite": []}
    res = res_exact = None
    dfs = None
    for _ in range(args.rounds):
        secs, res = _pwm_scan(str(fa), motifs)
        times["carrousel"].append(secs)
        secs, res_exact = _pwm_scan(str(fa), motifs, exact_q=True)
        times["carrousel exact-q"].append(secs)
        if fimo is not None:
            t = time.perf_counter()
            dfs = fimo(pwms, str(fa), eps=1e-12, bin_size=0.01)
            times["memelite"].append(time.perf_counter() - t)
    med = {k: float(np.median(v)) for k, v in times.items() if v}
    assert res is not None and res_exact is not None
    print(
        f"PWM scan  (carrousel): {len(ids)} motifs, {n_bases / med['carrousel'] / 1e6:.2f} Mb/s "
        f"({n_bases * len(ids) / med['carrousel'] / 1e6:.1f} motif-Mb/s), {len(res.hits)} hits, "
        f"median {med['carrousel']:.3f} s of {args.rounds}"
    )
    print(
        f"PWM scan  (carrousel, --exact-qvalues: every window's score histogrammed): "
        f"{n_bases / med['carrousel exact-q'] / 1e6:.2f} Mb/s, median {med['carrousel exact-q']:.3f} s"
    )
    same = np.array_equal(res.hits["pvalue"], res_exact.hits["pvalue"])
    q_diff = float(np.max(res.hits["qvalue"] - res_exact.hits["qvalue"])) if len(res.hits) else 0.0
    print(
        f"  same hits and p-values in both modes: {same}; largest q-value excess of the default: {q_diff:.2e}"
    )
    if fimo is not None and dfs is not None:
        msecs = med["memelite"]
        n_m = sum(len(d) for d in dfs)
        print(
            f"PWM scan  (memelite FIMO): {n_bases / msecs / 1e6:.2f} Mb/s, {n_m} hits, median {msecs:.3f} s"
        )
        print(
            f"speed ratio carrousel / memelite (median of {args.rounds} interleaved rounds): "
            f"{msecs / med['carrousel']:.2f}x (exact-q mode {msecs / med['carrousel exact-q']:.2f}x)"
        )
        ours = {
            (m, s, st): p
            for m, s, st, p in zip(
                res.hits["motif_id"], res.hits["start"], res.hits["strand"], res.hits["pvalue"], strict=True
            )
        }
        rel = []
        for d in dfs:
            for m, s, st, p in zip(d["motif_name"], d["start"], d["strand"], d["p-value"], strict=True):
                if (m, int(s), st) in ours:
                    rel.append(abs(np.log10(ours[(m, int(s), st)]) - np.log10(p)))
        print(
            f"shared hits {len(rel)}; |log10 p| difference median {np.median(rel):.4f}, max {np.max(rel):.4f}"
        )

    from carrousel.bio import pipeline
    from carrousel.bio.config import ScanConfig
    from carrousel.bio.fasta import decode, iter_records

    name, codes = next(iter_records(fa))
    sub = tmp / "sub.fa"
    n_model = int(args.model_mb * 1e6) if args.model_mb > 0 else codes.size
    sub.write_text(f">{name}\n{decode(codes[:n_model])}\n")
    n_model = min(n_model, codes.size)
    t = time.perf_counter()
    mres = pipeline.scan(ScanConfig(method="model"), sub)
    msecs = time.perf_counter() - t
    print(
        f"model scan (packaged panel, {len(mres.motifs)} outputs): {n_model / msecs / 1e6:.3f} Mb/s, "
        f"{len(mres.hits)} hits in {n_model / 1e6:.2f} Mb, {msecs:.1f} s, {args.threads} torch threads"
    )

    for k in (1, 2, 4):
        big = tmp / f"x{k}.fa"
        with open(big, "w") as fh:
            for i in range(k):
                fh.write(f">copy{i}\n{decode(codes)}\n")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(big), ",".join(ids[:2])],
            capture_output=True,
            text=True,
            check=True,
        )
        rss = json.loads(out.stdout.strip().splitlines()[-1])["maxrss_mb"]
        print(f"peak memory, PWM scan of {k * n_bases / 1e6:.1f} Mb: {rss:.0f} MB")


if __name__ == "__main__":
    main()
