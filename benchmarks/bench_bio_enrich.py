"""``bio enrich`` speed and ranking on real peaks: all JASPAR CORE vertebrate motifs (879 in JASPAR2024, 1019 in
JASPAR2026: ``--jaspar-release``) over 3,897 Oct4
vs 3,900 Mafk ChIP-seq peaks of 200 bp, both directions, and Oct4 against its own dinucleotide shuffles.

Prints the scan time (motifs x sequences per second), one worker thread beside the default pool, and the
top motifs of each run (the factor's own family should lead).

Usage: ``python benchmarks/bench_bio_enrich.py [--top 5] [--jaspar-release JASPAR2024]``
"""

from __future__ import annotations

import argparse
import time

from carrousel.bio.config import EnrichConfig
from carrousel.bio.dna import encode
from carrousel.bio.enrich import enrich_motifs, enrich_sets
from carrousel.bio.fasta import read_sequences
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.bio.motifs import resolve_motifs
from carrousel.core.samples import sample_path


def _codes(name: str) -> list:  # type: ignore[type-arg]
    return [encode(s) for s in read_sequences(sample_path(name))[1]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--jaspar-release", default=JASPAR_RELEASE, help="pyjaspar release of the collection")
    args = ap.parse_args()
    motifs = resolve_motifs("jaspar:CORE/vertebrates", args.jaspar_release)
    print(f"{args.jaspar_release}: jaspar:CORE/vertebrates")
    oct4, mafk = _codes("bio.oct4"), _codes("bio.mafk")
    enrich_motifs(motifs[:4], oct4[:20], mafk[:20])  # compiles / loads the kernels outside the timing
    n_seq = len(oct4) + len(mafk)
    for threads in (1, None):
        t0 = time.perf_counter()
        enrich_motifs(motifs, oct4, mafk, threads=threads)
        dt = time.perf_counter() - t0
        print(
            f"{len(motifs)} motifs x {n_seq} sequences ({sum(map(len, oct4 + mafk)):,} bases), threads "
            f"{threads or 'default'}: {dt:.2f} s ({len(motifs) * n_seq / dt:,.0f} motif-sequences/s)"
        )
    cfg = EnrichConfig()
    for label, targets, background in (
        ("Oct4 vs Mafk", oct4, mafk),
        ("Mafk vs Oct4", mafk, oct4),
        ("Oct4 vs 2 shuffles each", oct4, None),
    ):
        res = enrich_sets(cfg, motifs, targets, background)
        top = ", ".join(
            f"{r.motif_name} {r.motif_id} ({r.target_percent:.1f}/{r.background_percent:.1f}%, "
            f"log10 p {r.log10_pvalue:.0f})"
            for r in res.rows[: args.top]
        )
        print(f"{label} ({res.seconds:.1f} s): {top}")


if __name__ == "__main__":
    main()
