"""An every-score PWM scan's memory (``--exact-qvalues``, a 1st-order background): each job adds its
scores into its motif's one running histogram as it ends, so chunks in flight hold no histogram per motif
(handing back the bins hit, nearly all of them, was two int64 arrays the size of every histogram per chunk
in flight: ~250 MB for the 879 JASPAR vertebrate motifs)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from carrousel.bio.fasta import Chunk
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.bio.pwm_null import Background
from carrousel.bio.scan import PWMScanner


def _background(order: int, rng: np.random.Generator) -> Background:
    if order == 0:
        return Background.uniform()
    return Background.from_counts(rng.integers(50, 90, 4), rng.integers(50, 90, (4, 4)), order=1)


@pytest.mark.parametrize("order", [0, 1])
def test_chunks_in_flight_hold_no_histogram_per_motif(order: int) -> None:
    rng = np.random.default_rng(0)
    bg = _background(order, rng)
    pwms = [IntegerPWM(m, bg) for m in resolve_motifs(["jaspar:CORE/vertebrates"])[:150]]
    warm = PWMScanner(pwms[:1], 1e-4, threads=2, exact_qvalues=True)  # numba and its compiled kernels
    warm.process(Chunk("chr1", 0, np.zeros(100, dtype=np.uint8), True), 100)
    warm.finish()
    scanner = PWMScanner(pwms, 1e-4, threads=2, exact_qvalues=True)
    hist_bytes = sum(h.nbytes for h in scanner.hist)
    size, n_chunks = 3000, 4  # short chunks: their own arrays are small beside the histograms
    codes = [rng.integers(0, 4, size).astype(np.uint8) for _ in range(n_chunks)]
    tracemalloc.start()
    try:
        for i, c in enumerate(codes):
            scanner.process(Chunk("chr1", i * size, c, i == n_chunks - 1), size)
        scanner.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * hist_bytes, f"peak {peak / hist_bytes:.2f} histograms while scanning"
    for k in (0, 77, 149):  # the running histogram is the sum of the chunks' histograms
        want = np.zeros(pwms[k].sf.size, dtype=np.int64)
        for c in codes:
            scan_windows(pwms[k], SequenceCodes(c), size, scanner.thresholds[k], want)
        assert np.array_equal(scanner.histogram(k), want) and want.sum() == 2 * n_chunks * (
            size - pwms[k].length + 1
        )


@pytest.mark.parametrize("order", [0, 1])
def test_an_every_score_scanner_keeps_the_packed_tables_only(order: int) -> None:
    """The every-window scan reads each motif's packed table (both strands in one int64 entry), not the
    two int32 block tables it is packed from: they go once packed (as much memory again, ~60 MB for the
    879 JASPAR vertebrate motifs); scores read later rebuild them."""
    rng = np.random.default_rng(1)
    bg = _background(order, rng)
    motifs = resolve_motifs(["jaspar:CORE/vertebrates"])[:150]
    PWMScanner([IntegerPWM(motifs[0], bg)], 1e-4, threads=1, exact_qvalues=True)  # one-off caches
    pwms = [IntegerPWM(m, bg) for m in motifs]
    tracemalloc.start()
    try:
        scanner = PWMScanner(pwms, 1e-4, threads=1, exact_qvalues=True)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    hist = sum(h.nbytes for h in scanner.hist)
    packed = sum(p.packed_tables()[0].nbytes for p in pwms)
    extra = (held - hist - packed) / packed
    assert extra < 0.5, f"{extra:.2f} packed tables' worth held beside the histograms and packed tables"
    seq = SequenceCodes(rng.integers(0, 5, 5000).astype(np.uint8))
    for pw, m in zip(pwms[:3], motifs[:3], strict=True):
        fresh = IntegerPWM(m, bg)
        for strand in (1, -1):
            assert np.array_equal(pw.scores(seq, strand), fresh.scores(seq, strand))
