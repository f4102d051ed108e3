"""A hits-only PWM scan's fixed memory per motif: the hit store counts hits per score bin only over the
bins a hit can reach (its threshold and up, about a tenth of a motif's bins at p <= 1e-4), not over every
bin beside the scanner's own histogram (~60 MB for the 879 JASPAR vertebrate motifs, before any chunk)."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

from carrousel.bio import pipeline, scan
from carrousel.bio.config import ScanConfig
from carrousel.bio.hit_store import HitStore, hit_blocks
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM
from carrousel.core.errors import ShapeError


def test_a_scanner_holds_less_than_one_histogram_beside_its_own() -> None:
    """The scanner's arrays per motif, its tables built already (cached on the PWMs): its histogram and
    the store's hit counts, which once were a second whole histogram."""
    pwms = [IntegerPWM(m) for m in resolve_motifs(["jaspar:CORE/vertebrates"])[:150]]
    scan.PWMScanner(pwms, 1e-4, threads=1)  # builds and caches the scan tables
    hist_bytes = sum(p.sf.size * 8 for p in pwms)
    tracemalloc.start()
    try:
        scanner = scan.PWMScanner(pwms, 1e-4, threads=1)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    counts = sum(c.nbytes for c in scanner.store.counts)
    assert counts < 0.25 * hist_bytes, f"{counts / hist_bytes:.2f} histograms of hit counts"
    assert held < 1.3 * hist_bytes, f"{held / hist_bytes:.2f} histograms held by a new scanner"


@pytest.mark.parametrize("exact", [False, True])
def test_hit_counts_from_the_threshold_up_count_every_hit(tmp_path, write_fasta, exact) -> None:
    rng = np.random.default_rng(4)
    genome = write_fasta(tmp_path / "g.fa", {"chr1": "".join(rng.choice(list("ACGT"), 20_000))})
    cfg = ScanConfig(motifs=("CTCF", "SP1", "GATA1"), pvalue=1e-2, qvalue=0.92, exact_qvalues=exact)
    hits = pipeline.scan(cfg, genome).hits
    rows = sum(len(t) for t in hit_blocks(hits))
    assert len(hits) == rows > 50 and rows < len(
        pipeline.scan(dataclasses.replace(cfg, qvalue=None), genome).hits
    )


def test_a_hit_below_the_store_floor_is_refused() -> None:
    pw = IntegerPWM(resolve_motifs(["CTCF"])[0])
    store = HitStore([pw], floors=[pw.threshold(1e-4)])
    low = np.array([pw.threshold(1e-4) - 1])
    with pytest.raises(ShapeError, match="below its floor"):
        store.add("chr1", 0, [(0, np.array([5]), low, np.array([False]), ["A" * pw.length])])
