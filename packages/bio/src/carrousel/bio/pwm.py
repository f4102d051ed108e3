"""PWM scanning with exact p-values (FIMO-style); their null distributions feed whole-scan BH q-values.

A motif's log-odds matrix is discretised to integers (``scale`` units per bit); the exact null distribution
of its integer score under a 0- or 1st-order background (:mod:`carrousel.bio.pwm_null`) makes every
reported p-value exact.

Scanning is compiled (:mod:`carrousel.bio.pwm_kernels`: numba, GIL released, one thread per motif): the
sequence is encoded once per chunk as base-4 codes of ``k``-mers, each motif is cut into blocks of ``k``
columns with a lookup table per block, and a window's score is a handful of table look-ups, both strands at
once. By default a window is abandoned as soon as its partial score cannot reach the threshold, and only the
hits' scores are histogrammed: BH q-values then run over every tested window (m counts them all, no hit cap)
with the minimum taken over the hits, exact up to the threshold's p-value and conservative above it. With
``every_score`` every window is scored and histogrammed, and every q-value is exact. Windows containing
N/IUPAC are never scored.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence

import numpy as np

from carrousel.bio.fasta import AMBIGUOUS
from carrousel.bio.motif_names import motif_label
from carrousel.bio.motifs import Motif
from carrousel.bio.pwm_kernels import (
    K,
    SkipLayout,
    kernels,
    kmer_digits,
    kmer_probabilities,
    pack_tables,
    skip_layout,
)
from carrousel.bio.pwm_null import Background, check_pvalue, score_distribution
from carrousel.core.args import check_args
from carrousel.core.errors import ShapeError
from carrousel.core.option_names import option
from carrousel.core.text import name_some

__all__ = ["IntegerPWM", "SequenceCodes", "scan_windows", "warn_unreachable"]

logger = logging.getLogger(__name__)


class IntegerPWM:
    """A motif discretised to integer scores, with its exact score distribution.

    Args:
        motif: the motif.
        background: 0- or 1st-order background (scores are log-odds against it; p-values under it).
        pseudocount: total pseudocount per column, spread by the background.
        scale: integer units per bit (100 -> 0.01-bit resolution).

    Attributes:
        matrix: ``(L, 4)`` int64 per-position scores of the motif part.
        pair: ``(4, 4)`` int64 scores ``-log2 P(b|a)`` (1st order) or None.
        first: ``(4,)`` int64 score ``-log2 P(a)`` of a window's first base (1st order) or None.
        lo, hi: smallest and largest possible integer scores.
        sf: ``(hi - lo + 1,)`` exact survival function ``P(score >= lo + i)`` under the background.
    """

    def __init__(
        self,
        motif: Motif,
        background: Background | None = None,
        pseudocount: float = 0.1,
        scale: float = 100.0,
    ) -> None:
        bg = background or Background.uniform()
        self.motif = motif
        self.background = bg
        self.scale = float(scale)
        self.length = motif.length
        freqs = motif.frequencies(bg.mono, pseudocount)
        if bg.trans is None:
            self.matrix = np.round(np.log2(freqs / bg.mono[None, :]) * scale).astype(np.int64)
            self.pair = None
            self.first = None
        else:
            self.matrix = np.round(np.log2(freqs) * scale).astype(np.int64)
            self.pair = np.round(-np.log2(bg.trans) * scale).astype(np.int64)
            self.first = np.round(-np.log2(bg.mono) * scale).astype(np.int64)
        self.lo, self.hi, self.sf = score_distribution(self.matrix, bg, self.pair, self.first)
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._offsets = np.arange(0, -(-self.length // K) * K, K, dtype=np.int64)  # each block's 1st column
        self._packed: tuple[np.ndarray, int, int] | None = None
        self._sums: tuple[int, int] | None = None  # the packed tables' minimum sums, kept when they go
        self._skip: dict[int, SkipLayout] = {}  # hits-only scan layouts by threshold

    def pvalue(self, scores: np.ndarray) -> np.ndarray:
        """Exact p-values ``P(S >= score)`` of integer scores, same shape, float64."""
        idx = np.clip(np.asarray(scores, dtype=np.int64) - self.lo, 0, self.sf.size - 1)
        p = self.sf[idx]
        return np.where(np.asarray(scores) > self.hi, 0.0, p)

    def threshold(self, pvalue: float) -> int:
        """Smallest integer score whose p-value is <= ``pvalue`` (``hi + 1`` if none).

        Raises:
            ScanConfigError: ``pvalue`` is no number in (0, 1] (NaN, 0, negative, above 1).
        """
        check_pvalue(pvalue, "IntegerPWM.threshold")
        ok = np.flatnonzero(self.sf <= pvalue)
        return int(self.lo + ok[0]) if ok.size else self.hi + 1

    def to_bits(self, scores: np.ndarray) -> np.ndarray:
        """Integer scores -> log-odds in bits."""
        return np.asarray(scores, dtype=np.float64) / self.scale

    # ----------------------------------------------------------------------------- scanning
    def _block_tables(self, strand: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-block lookup tables ``(n_blocks, 4**K)`` int32 for one strand (+1 or -1)."""
        cached = self._tables.get(strand)
        if cached is not None:
            return cached
        M = self.matrix if strand == 1 else self.matrix[::-1, ::-1]
        L = M.shape[0]
        nb = -(-L // K)
        pad = np.zeros((nb * K, 4), dtype=np.int64)
        pad[:L] = M
        digits = kmer_digits()  # (K, 4**K)
        tables = np.zeros((nb, 4**K), dtype=np.int64)
        for b in range(nb):
            for t in range(K):
                tables[b] += pad[b * K + t][digits[t]]
        out = (tables.astype(np.int32), self._offsets)
        self._tables[strand] = out
        return out

    def packed_tables(self) -> tuple[np.ndarray, int, int]:
        """Both strands' block tables packed into one int64 table (:func:`pack_tables`), cached (rebuilt,
        identical, if :meth:`prepare_scan` let them go)."""
        packed = self._packed
        if packed is None:
            packed = self._packed = pack_tables(self._block_tables(1)[0], self._block_tables(-1)[0])
            self._sums = packed[1], packed[2]
        return packed

    def min_sums(self) -> tuple[int, int]:
        """``(min_f, min_r)``: each strand's sum of block minimums, left out of the packed tables."""
        return self._sums if self._sums is not None else self.packed_tables()[1:]

    @check_args
    def prepare_scan(self, threshold: int, every_score: bool) -> SkipLayout | None:
        """What :func:`scan_windows` needs, built once and cached: the hits-only scan's tables and bounds
        at ``threshold`` (:func:`skip_layout`) when that scan applies (``every_score`` off, 0-order
        background), else None (the every-window scan reads :meth:`packed_tables`). Building them takes a
        few milliseconds of mostly GIL-holding NumPy: call this before starting worker threads.

        The layout holds its own reordered copy of the packed tables and the hits-only scan reads only
        :meth:`min_sums` besides, so the block and packed tables are let go once it is built (~140 kB a
        motif, ~120 MB for the 879 JASPAR vertebrate motifs); the every-window scan reads the packed
        tables only, so the two strands' block tables go once they are packed (~60 MB for those motifs).
        Any later use rebuilds them."""
        if every_score or self.pair is not None:
            self.packed_tables()
            self._tables = {}
            return None
        lay = self._skip.get(threshold)
        if lay is None:
            packed, min_f, min_r = self.packed_tables()
            prob = kmer_probabilities(self.background.mono)
            lay = self._skip[threshold] = skip_layout(
                packed, self._offsets, threshold - min_f, threshold - min_r, prob
            )
            self._tables, self._packed = {}, None
        return lay

    @check_args
    def scores(self, seq: SequenceCodes, strand: int) -> np.ndarray:
        """Integer scores of every window start ``0..n-L`` on one strand (N windows are not masked here).

        Args:
            seq: the chunk's precomputed codes.
            strand: +1 (motif as given) or -1 (its reverse complement, reported at the same start).

        Returns:
            ``(n - L + 1,)`` int64.
        """
        n_win = seq.n - self.length + 1
        if n_win <= 0:
            return np.zeros(0, dtype=np.int64)
        tables, offsets = self._block_tables(strand)
        out = kernels().block_scores(seq.kmer, tables, offsets, n_win)
        if self.pair is not None:
            out += seq.background_term(self, strand)
        return out


@check_args
def scan_windows(
    pwm: IntegerPWM,
    seq: SequenceCodes,
    n_win: int,
    threshold: int,
    hist: np.ndarray,
    every_score: bool = True,
    hist_base: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores window starts ``0..n_win-1`` on both strands in one compiled pass.

    Windows with N/IUPAC are skipped; every other window's two scores are counted in ``hist`` (bin
    ``score - pwm.lo``, updated in place) and those scoring at least ``threshold`` are returned. With
    ``every_score=False`` (0-order background only) only the hits are counted in ``hist``: windows are
    abandoned as soon as they cannot reach the threshold, about twice as fast.

    Args:
        pwm: the motif.
        seq: the chunk's codes.
        n_win: number of window starts to test (at most ``seq.n - pwm.length + 1`` are).
        threshold: smallest integer score kept as a hit.
        hist: ``(pwm.sf.size,)`` int64 histogram, updated in place.
        every_score: count every tested window's scores in ``hist`` (for exact q-values everywhere).
        hist_base: the score bin ``hist`` starts at (``hist`` is then ``(pwm.sf.size - hist_base,)``): at
            most ``threshold - pwm.lo``, and only for the hits-only scan, which counts no score below the
            threshold; 0 otherwise.

    Returns:
        ``(starts, scores, minus)``: ``(h,)`` int64 window starts, int64 integer scores and bool reverse
        strand flags; forward hits first, then reverse ones, each by increasing start.
    """
    lay = pwm.prepare_scan(threshold, every_score)
    if hist_base and (lay is None or not 0 <= hist_base <= threshold - pwm.lo):
        raise ShapeError(f"hist_base {hist_base} is only for a hits-only scan, at most threshold - lo")
    shape = (pwm.sf.size - hist_base,)
    if hist.shape != shape or hist.dtype != np.int64:  # the compiled loop does no bounds checks
        raise ShapeError(f"hist must be int64 of shape {shape}, got {hist.dtype} {hist.shape}")
    n_win = min(n_win, seq.n - pwm.length + 1)
    if n_win <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    min_f, min_r = pwm.min_sums()
    n_count = seq.n_count if seq.has_n else np.zeros(0, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    bg_f = bg_r = (none, none)
    if pwm.pair is not None:  # the chunk's cached parts: no window-length term per motif and strand
        assert pwm.first is not None
        bg_f = seq._background_parts(pwm.pair, pwm.first, 1)
        bg_r = seq._background_parts(pwm.pair, pwm.first, -1)
    idx = np.empty(2 * n_win, dtype=np.int64)  # pages are only touched where hits are written
    score = np.empty(2 * n_win, dtype=np.int64)
    # arguments both kernels end with: windows, N counter, motif length, histogram bases, thresholds, outputs
    base_f, base_r = min_f - pwm.lo - hist_base, min_r - pwm.lo - hist_base  # bin of a packed half of 0
    tail = (n_win, n_count, pwm.length, base_f, base_r, threshold - min_f, threshold - min_r)
    if lay is not None:
        h = kernels().scan_hits(seq.kmer, *lay, *tail, hist, idx, score)
    else:
        h = kernels().scan_both(
            seq.kmer, pwm.packed_tables()[0], pwm._offsets, bg_f, bg_r, *tail, hist, idx, score
        )
    return _sorted_hits(idx[:h], score[:h], min_f, min_r)


def _sorted_hits(
    idx: np.ndarray, score: np.ndarray, min_f: int, min_r: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kernel output (``-1 - i`` for a reverse hit, scores minus block minimums) -> forward hits then
    reverse ones, by start, with full integer scores."""
    minus = idx < 0
    order = np.argsort(minus, kind="stable")
    idx, score, minus = idx[order], score[order], minus[order]
    return np.where(minus, -1 - idx, idx), score + np.where(minus, min_r, min_f), minus


class SequenceCodes:
    """One chunk of sequence prepared for scanning: k-mer codes and an N counter.

    Args:
        codes: ``(n,)`` uint8 base codes (4 = N).
    """

    def __init__(self, codes: np.ndarray) -> None:
        self.codes = codes
        self.n = int(codes.size)
        self.kmer, n_ambiguous = kernels().kmer_codes(np.ascontiguousarray(codes, dtype=np.uint8))
        self.has_n = bool(n_ambiguous > 0)
        self._n_count: np.ndarray | None = None
        self._bg_cache: dict[tuple[bytes, bytes, int], tuple[np.ndarray, np.ndarray]] = {}
        self._bg_lock = threading.Lock()

    @property
    def n_count(self) -> np.ndarray:
        """``(n + 1,)`` int64 prefix counts of N/IUPAC codes (computed on first use)."""
        if self._n_count is None:
            self._n_count = np.concatenate([[0], np.cumsum(self.codes >= AMBIGUOUS, dtype=np.int64)])
        return self._n_count

    @property
    def _x(self) -> np.ndarray:
        """``(n,)`` intp base codes with N read as A (for the 1st-order background term)."""
        return np.where(self.codes < 4, self.codes, 0).astype(np.intp)

    @check_args
    def valid(self, length: int) -> np.ndarray:
        """``(n - length + 1,)`` bool: windows of ``length`` bases without N/IUPAC."""
        n_win = self.n - length + 1
        if n_win <= 0:
            return np.zeros(0, dtype=bool)
        return (self.n_count[length : length + n_win] - self.n_count[:n_win]) == 0

    @check_args
    def n_valid(self, length: int, n_win: int) -> int:
        """Number of the first ``n_win`` windows of ``length`` bases without N/IUPAC."""
        n_win = max(0, min(n_win, self.n - length + 1))
        if not self.has_n:
            return n_win
        return int(np.count_nonzero(self.valid(length)[:n_win]))

    @check_args
    def background_term(self, pwm: IntegerPWM, strand: int) -> np.ndarray:
        """1st-order background part of the integer scores of every window on one strand: ``(n - L + 1,)``
        int64, a new array the caller lets go once scanned.

        Only its two length-free parts (the first base's term at every position, the running sum of the
        pair terms) are cached, once per strand and background; a motif's term is their difference at its
        length. One cached term per motif was ``2 * 8 n`` bytes each, never let go while the chunk lived
        (~18 GB for the 879 JASPAR vertebrate motifs on a 1.5 Mb chunk)."""
        assert pwm.pair is not None and pwm.first is not None
        L = pwm.length
        n_win = self.n - L + 1
        first, cs = self._background_parts(pwm.pair, pwm.first, strand)
        head = 0 if strand == 1 else L - 1  # the minus strand's window starts with its rightmost base
        return first[head : head + n_win] + cs[L - 1 : L - 1 + n_win] - cs[:n_win]

    def _background_parts(
        self, pair: np.ndarray, first: np.ndarray, strand: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``((n,) first-base terms, (n,) prefix sums of pair terms)`` of one strand, cached per background."""
        key = (pair.tobytes(), first.tobytes(), strand)
        with self._bg_lock:  # worker threads share the chunk: build each once
            parts = self._bg_cache.get(key)
            if parts is None:
                x = self._x
                c = x if strand == 1 else 3 - x
                # reading the minus strand, a base's previous one is to its right
                pairs = pair[x[:-1], x[1:]] if strand == 1 else pair[c[1:], c[:-1]]
                parts = self._bg_cache[key] = (
                    first[c],
                    np.concatenate([[0], np.cumsum(pairs, dtype=np.int64)]),
                )
        return parts


_NAMED = 5  # motifs named in the unreachable-threshold warning before the rest are counted


@check_args
def warn_unreachable(pwms: Sequence[IntegerPWM], pvalue: float) -> list[IntegerPWM]:
    """Warns, in one line, of the motifs whose best possible site (the consensus) has a p-value above
    ``pvalue``: they can never give a hit (a 6-bp motif's consensus has p = 4^-6 = 2.4e-4 under a uniform
    background, above the default 1e-4), so their 0 hits say nothing about the sequence.

    Args:
        pwms: the motifs scanned.
        pvalue: the hit threshold.

    Returns:
        The motifs that can never reach it (empty: no warning).

    Raises:
        ScanConfigError: ``pvalue`` is no number in (0, 1].
    """
    check_pvalue(pvalue, "warn_unreachable")
    never = [p for p in pwms if float(p.sf[-1]) > pvalue]
    if never:
        worst = max(float(p.sf[-1]) for p in never)
        unit = 10.0 ** (math.floor(math.log10(worst)) - 1)
        enough = math.ceil(worst / unit - 1e-9) * unit
        named = name_some(
            (f"{motif_label(p.motif)} ({p.length} bp, best p {float(p.sf[-1]):.2g})" for p in never), _NAMED
        )
        logger.warning(
            "%d of %d motifs can never reach p <= %g, not even a perfect match, so they give no hits: %s; "
            "scan them with %s or above",
            len(never),
            len(pwms),
            pvalue,
            named,
            option("pvalue", float(f"{enough:g}")),
        )
    return never
