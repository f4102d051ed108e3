"""Where the time of a carrousel-bio scan goes, part by part, on the E. coli 536 genome (4.94 Mb).

Prints, each measured here in one run (median of ``--repeats``):

* streaming FASTA read + encode (``iter_chunks``) and 6-mer codes (``SequenceCodes``), in Mb/s;
* per motif, the compiled PWM scan over the whole genome in both modes side by side (hits-only with
  early abandoning vs every window histogrammed, one thread), with the hits-only scan's choice of 2 or 3
  blocks in its first test and the exact probability that a window passes 2 blocks;
* the DanQ convolution of the packaged panel on 256 windows: ``conv1d`` vs the channels-last 1 x K
  ``conv2d`` that ``DanQ.predict`` uses (same arithmetic: the largest difference is printed);
* the dinucleotide shuffle that builds the model scan's genome null, in microseconds per 200-bp window.

Usage: ``python benchmarks/bench_bio_parts.py [--repeats 7] [--motifs CTCF,REST,TP53,SP1,GATA1]``
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (numba cache load, allocations)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--motifs", default="CTCF,REST,TP53,SP1,GATA1")
    args = ap.parse_args()
    torch.set_num_threads(2)
    from carrousel.bio.fasta import iter_chunks, iter_records, one_hot
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.pipeline import load_model
    from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
    from carrousel.bio.pwm_kernels import kmer_probabilities
    from carrousel.bio.synth import dinucleotide_shuffle
    from carrousel.core.samples import sample_path

    fa = Path(tempfile.mkdtemp(prefix="bench_bio_parts_")) / "ecoli.fa"
    fa.write_bytes(gzip.decompress(sample_path("bio.ecoli").read_bytes()))
    _, codes = next(iter_records(fa))
    mb = codes.size / 1e6
    r = args.repeats

    secs = _median_seconds(lambda: list(iter_chunks(fa, 1 << 21, 19)), r)
    print(f"FASTA read + encode: {mb / secs:.0f} Mb/s ({secs * 1e3:.1f} ms)")
    secs = _median_seconds(lambda: SequenceCodes(codes), r)
    print(f"6-mer codes:         {mb / secs:.0f} Mb/s ({secs * 1e3:.1f} ms)")

    seq = SequenceCodes(codes)
    print("\nPWM scan of the whole genome, one thread, p <= 1e-4 (ms):")
    print(
        f"{'motif':8s} {'length':>6s} {'hits-only':>9s} {'every':>7s} {'ratio':>6s} {'first':>5s} {'P(pass 2)':>9s}"
    )
    for m in resolve_motifs(args.motifs.split(",")):
        pw = IntegerPWM(m)
        thr = pw.threshold(1e-4)
        lay = pw.prepare_scan(thr, every_score=False)
        assert lay is not None
        pw.prepare_scan(thr, every_score=True)
        times = {}
        for every in (False, True):
            times[every] = _median_seconds(
                lambda pw=pw, thr=thr, every=every: scan_windows(
                    pw, seq, seq.n, thr, np.zeros(pw.sf.size, dtype=np.int64), every
                ),
                r,
            )
        # exact probability (0-order uniform background) that a window passes the first 2 blocks' bound
        low, high = lay.packed & 0xFFFFFFFF, lay.packed >> 32
        prob = kmer_probabilities(pw.background.mono)
        min_f, min_r = pw.min_sums()
        p2 = 0.0
        for half, rest, lo in ((low, lay.rest_f, min_f), (high, lay.rest_r, min_r)):
            order = np.argsort(half[1])
            second, tail = half[1][order], np.cumsum(prob[order][::-1])[::-1]  # tail[j]: P(b >= second[j])
            j = np.searchsorted(second, thr - lo - rest[2] - half[0])  # first b that lets a pass
            p2 += float((prob * np.append(tail, 0.0)[j]).sum())
        print(
            f"{m.name:8s} {pw.length:6d} {times[False] * 1e3:9.1f} {times[True] * 1e3:7.1f} "
            f"{times[True] / times[False]:6.2f} {lay.n_first:5d} {min(p2, 1.0):9.4f}"
        )

    model = load_model().model.eval()
    starts = np.arange(0, 256 * 178, 178)
    wins = codes[starts[:, None] + np.arange(200)[None, :]]
    x = torch.from_numpy(one_hot(wins))
    with torch.inference_mode():
        w, b = model._folded_conv()
        k = model.config.kernel
        x4 = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        w4 = w.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        t1 = _median_seconds(lambda: F.conv1d(x, w, b, padding=k // 2), r)
        t2 = _median_seconds(lambda: F.conv2d(x4, w4, b, padding=(0, k // 2)), r)
        diff = (F.conv1d(x, w, b, padding=k // 2) - F.conv2d(x4, w4, b, padding=(0, k // 2)).squeeze(2)).abs()
    print(
        f"\nDanQ convolution, 256 windows x 200 bp, 2 threads: conv1d {t1 * 1e3:.2f} ms, channels-last "
        f"conv2d {t2 * 1e3:.2f} ms ({t1 / t2:.1f}x); largest difference {float(diff.max()):.1e}"
    )

    rng = np.random.default_rng(0)
    batch = [wins[i % len(wins)] for i in range(200)]
    secs = _median_seconds(lambda: [dinucleotide_shuffle(s, rng) for s in batch], r)
    print(f"dinucleotide shuffle: {secs / len(batch) * 1e6:.0f} us per 200-bp window (the null uses 2,000)")


if __name__ == "__main__":
    main()
