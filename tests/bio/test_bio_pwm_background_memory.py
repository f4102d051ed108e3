"""A 1st-order background scan's memory does not grow with the number of motifs: a chunk caches only the
background's two length-free parts per strand, and the compiled scan reads a motif's term from them (one
term per motif and strand, held while the chunk lived, was ~18 GB for the 879 JASPAR vertebrate motifs on
a 1.5 Mb genome; the two built per motif and freed after its scan, ~8 more arrays of the chunk's length
at two workers)."""

from __future__ import annotations

import tracemalloc

import numpy as np

from carrousel.bio.fasta import Chunk
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes
from carrousel.bio.pwm_null import Background
from carrousel.bio.scan import PWMScanner


def _background(rng: np.random.Generator) -> Background:
    return Background.from_counts(rng.integers(50, 90, 4), rng.integers(50, 90, (4, 4)), order=1)


def test_a_first_order_scan_holds_memory_independent_of_the_number_of_motifs() -> None:
    rng = np.random.default_rng(0)
    bg = _background(rng)
    pwms = [IntegerPWM(m, bg) for m in resolve_motifs(["jaspar:CORE/vertebrates"])[:100]]
    codes = rng.integers(0, 4, 200_000).astype(np.uint8)
    scanner = PWMScanner(pwms, 1e-4, threads=2)
    seq = SequenceCodes(codes)
    tracemalloc.start()
    try:
        scanner.process(Chunk("chr1", 0, codes, True), codes.size, seq)
        scanner.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # besides each motif's histogram, a few int64 arrays of the chunk's length: the background's parts
    # (two per strand) and each worker's kernel outputs (mostly untouched pages), ~7 of them; ~11 when
    # each job built its motif's two terms, ~19 when it also handed back its histogram's bins, 2 per motif
    # before that
    arrays = (peak - sum(p.sf.size * 8 for p in pwms)) / (8 * codes.size)
    assert arrays < 9, f"peak {peak / 1e6:.1f} MB: {arrays:.0f} int64 arrays of the chunk's length"
    assert sum(scanner.tests().values()) == 2 * sum(codes.size - p.length + 1 for p in pwms)


def test_the_background_term_is_the_direct_sum_for_every_length_strand_and_background() -> None:
    """Motifs of other lengths and other backgrounds share one chunk's cache without mixing terms."""
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 5, 3_000).astype(np.uint8)  # 4: N, read as A by the term
    seq = SequenceCodes(codes)
    motifs = resolve_motifs(["CTCF", "SP1", "GATA1"])
    for bg in (_background(rng), _background(rng)):
        for m in motifs:
            pw = IntegerPWM(m, bg)
            assert pw.pair is not None and pw.first is not None
            x = np.where(codes < 4, codes, 0)
            L, n_win = pw.length, codes.size - pw.length + 1
            for strand in (1, -1):
                want = np.empty(n_win, dtype=np.int64)
                for i in range(n_win):
                    w = x[i : i + L] if strand == 1 else 3 - x[i : i + L][::-1]
                    want[i] = pw.first[w[0]] + pw.pair[w[:-1], w[1:]].sum()
                assert np.array_equal(seq.background_term(pw, strand), want)
