"""A hits-only PWM scan's fixed memory per motif: its histogram and the hit store's counts per score bin
cover only the bins a hit can reach (its threshold and up, about a tenth of a motif's bins at p <= 1e-4),
not every bin twice over (~120 MB for the 879 JASPAR vertebrate motifs, before any chunk)."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

from carrousel.bio import pipeline, scan
from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import encode
from carrousel.bio.hit_store import HitStore, hit_blocks
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.core.errors import ShapeError


def test_a_hits_only_scanner_holds_far_less_than_a_histogram_per_motif() -> None:
    """The scanner's arrays per motif, its tables built already (cached on the PWMs): its histogram and
    the store's hit counts, once two whole histograms (2.0 of them, then 1.1)."""
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
    assert held < 0.5 * hist_bytes, f"{held / hist_bytes:.2f} histograms held by a new scanner"
    exact = scan.PWMScanner(pwms[:5], 1e-4, threads=1, exact_qvalues=True)  # every score: every bin
    assert [h.size for h in exact.hist] == [p.sf.size for p in pwms[:5]] and not any(exact.hist_base)


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


def test_a_hits_only_histogram_from_the_threshold_up_is_the_whole_ones_tail() -> None:
    pw = IntegerPWM(resolve_motifs(["SP1"])[0])
    codes = encode("".join(np.random.default_rng(2).choice(list("ACGT"), 20_000)))
    thr = pw.threshold(1e-2)
    whole = np.zeros(pw.sf.size, dtype=np.int64)
    want = scan_windows(pw, SequenceCodes(codes), codes.size, thr, whole, False)
    tail = np.zeros(pw.sf.size - (thr - pw.lo), dtype=np.int64)
    got = scan_windows(pw, SequenceCodes(codes), codes.size, thr, tail, False, hist_base=thr - pw.lo)
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert np.array_equal(tail, whole[thr - pw.lo :]) and tail.sum() == want[0].size > 0
    assert not whole[: thr - pw.lo].any()
    with pytest.raises(ShapeError, match="only for a hits-only scan"):
        scan_windows(pw, SequenceCodes(codes), codes.size, thr, tail, True, hist_base=thr - pw.lo)
    with pytest.raises(ShapeError, match="hist must be int64 of shape"):
        scan_windows(pw, SequenceCodes(codes), codes.size, thr, whole, False, hist_base=thr - pw.lo)
