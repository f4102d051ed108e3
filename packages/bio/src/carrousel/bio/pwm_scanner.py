"""The PWM side of a genome scan (:func:`carrousel.bio.scan.scan_genome`): every motif's integer PWM scored
over each streamed chunk on a pool of worker threads, hits kept packed in a
:class:`~carrousel.bio.hit_store.HitStore` and every tested score histogrammed for whole-scan q-values."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from carrousel.bio.fasta import Chunk, window_sequences
from carrousel.bio.hit_store import HitStore, Part, SpilledHits
from carrousel.bio.hits import Hits
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows, warn_unreachable
from carrousel.core.args import check_args

__all__ = ["PWMScanner"]

# one motif on one chunk: windows tested and hits (k, starts, scores, minus, seqs); its scores are already
# counted in the motif's histogram
_Scored = tuple[int, Part | None]


class PWMScanner:
    """Scans chunks with integer PWMs on both strands, keeping hits and a histogram of all scores.

    Hits are kept packed, a few bytes each, in a :class:`~carrousel.bio.hit_store.HitStore` (a temporary
    file past 64 MiB), sorted one chunk at a time: their q-values are only known at the end.

    Work is pipelined: :meth:`process` queues one job per motif on a pool of worker threads (the compiled
    scan releases the GIL) and returns, so the caller reads the next chunk while the workers score this
    one; at most two chunks are in flight (memory stays bounded). :meth:`hits` and :meth:`tests` wait
    for the queue to drain.

    Args:
        pwms: the motifs to scan as integer PWMs (their background gives scores and p-values).
        pvalue: hits kept have an exact p-value at most this.
        threads: worker threads (default: CPU count, at most 4).
        exact_qvalues: histogram every tested window's score, so that every q-value is exact BH. By
            default only the hits' scores are kept (windows that cannot reach the threshold are
            abandoned early, about twice as fast): q-values are then BH over all tested windows with the
            minimum taken over the hits, equal to the exact ones up to the p-value threshold and never
            below them above it (in practice equal: a window below the threshold lowers a q-value only
            where moderately scoring windows are enriched far beyond the background's expectation).
            A 1st-order background always histograms every window.
        spill_dir: folder of the temporary hit file (default: the system's temporary folder).
    """

    _IN_FLIGHT = 2  # chunks queued or being scored at once

    @check_args
    def __init__(
        self,
        pwms: Sequence[IntegerPWM],
        pvalue: float = 1e-4,
        threads: int | None = None,
        exact_qvalues: bool = False,
        spill_dir: str | Path | None = None,
    ) -> None:
        self.every_score = exact_qvalues
        self.threads = max(1, threads if threads is not None else min(os.cpu_count() or 1, 4))
        self.pwms = list(pwms)
        self.thresholds = [p.threshold(pvalue) for p in self.pwms]
        warn_unreachable(self.pwms, pvalue)
        # tables now, not in the worker threads; a hits-only scan counts no score below the threshold, so
        # its histogram starts there (about a tenth of the bins at p <= 1e-4: ~54 MB less for 879 motifs)
        self.hist_base = [
            t - p.lo if p.prepare_scan(t, exact_qvalues) is not None else 0
            for p, t in zip(self.pwms, self.thresholds, strict=True)
        ]
        self.hist = [
            np.zeros(p.sf.size - b, dtype=np.int64) for p, b in zip(self.pwms, self.hist_base, strict=True)
        ]
        # each worker scores into one zeroed histogram of its own and adds it into the motif's histogram
        # at once, under a lock (a whole histogram per motif and chunk in flight was ~130 MB for the 879
        # JASPAR vertebrate motifs; their bins hit, handed back, as much again when every score is counted)
        self._scratch = threading.local()
        self._scratch_size = max(p.sf.size for p in self.pwms)
        self._hist_lock = threading.Lock()
        self.n_tests = [0 for _ in self.pwms]  # windows tested per motif, both strands
        self.max_length = max(p.length for p in self.pwms)
        self.store = HitStore(self.pwms, spill_dir, floors=self.thresholds)  # hits score >= threshold
        # longest motifs (most table look-ups per window) first, so the pool ends each chunk evenly
        self._order = sorted(range(len(self.pwms)), key=lambda k: -self.pwms[k].length)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Chunk, list[tuple[int, Future[_Scored]]]]] = deque()

    @check_args
    def process(self, chunk: Chunk, limit: int, seq: SequenceCodes | None = None) -> None:
        """Queues every window starting before ``limit`` (chunk coordinates) that fits in the chunk.

        Args:
            chunk: the chunk.
            limit: window starts ``>= limit`` belong to the next chunk (overlap) and are skipped.
            seq: the chunk's prepared codes (built here if None).
        """
        sc = seq or SequenceCodes(chunk.codes)
        if self.threads == 1:
            self._collect(chunk, [(k, self._score(chunk, limit, sc, k)) for k in self._order])
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="carrousel-pwm")
        pool = self._pool
        self._pending.append(
            (chunk, [(k, pool.submit(self._score, chunk, limit, sc, k)) for k in self._order])
        )
        while len(self._pending) >= self._IN_FLIGHT:
            self._drain_one()

    def _drain_one(self) -> None:
        chunk, futures = self._pending.popleft()
        self._collect(chunk, [(k, fut.result()) for k, fut in futures])

    def _collect(self, chunk: Chunk, results: list[tuple[int, _Scored]]) -> None:
        parts = []
        for k, (n_tests, part) in sorted(results, key=lambda x: x[0]):
            self.n_tests[k] += n_tests
            if part is not None:
                parts.append(part)
        self.store.add(chunk.record, chunk.start, parts)

    def finish(self) -> None:
        """Waits for every queued chunk and stops the worker threads (called by :meth:`hits`)."""
        try:
            while self._pending:
                self._drain_one()
        finally:
            self.close()

    def close(self) -> None:
        """Stops the worker threads, dropping queued work (after an error; idempotent); the hits stay."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pending.clear()

    def _score(self, chunk: Chunk, limit: int, sc: SequenceCodes, k: int) -> _Scored:
        pw = self.pwms[k]
        L = pw.length
        n = min(limit, chunk.codes.size - L + 1)
        if n <= 0:
            return 0, None
        scratch = getattr(self._scratch, "hist", None)
        if scratch is None:
            scratch = self._scratch.hist = np.zeros(self._scratch_size, dtype=np.int64)
        view = scratch[: self.hist[k].size]
        idx, score, minus = scan_windows(
            pw, sc, n, self.thresholds[k], view, self.every_score, self.hist_base[k]
        )
        with self._hist_lock:  # two chunks' jobs of one motif may finish together
            self.hist[k] += view
        view[:] = 0  # zeroed for the next motif
        n_tests = 2 * sc.n_valid(L, n)
        if not idx.size:
            return n_tests, None
        seqs = window_sequences(chunk.codes, idx, L, minus)
        return n_tests, (k, chunk.start + idx, score, minus, seqs)

    @check_args
    def histogram(self, k: int) -> np.ndarray:
        """Motif ``k``'s histogram of scores over every bin (bin ``score - lo``; a copy, once scanned)."""
        self.finish()
        full = np.zeros(self.pwms[k].sf.size, dtype=np.int64)
        full[self.hist_base[k] :] = self.hist[k]
        return full

    def tests(self) -> dict[str, int]:
        """Windows tested per motif (both strands)."""
        self.finish()
        return {p.motif.id: n for p, n in zip(self.pwms, self.n_tests, strict=True)}

    def hits(self, qvalue: float | None = None, extra: Hits | None = None) -> SpilledHits:
        """All kept hits, sorted by record, start, strand and motif, with exact p-values and BH q-values
        over every tested window of each motif (read back from the store as they are used).

        Args:
            qvalue: keep only hits with a q-value at most this (None: all).
            extra: other hits (the model scan's) merged into the order, after PWM hits at the same place.
        """
        self.finish()
        return SpilledHits(self.store, self.hist, self.n_tests, qvalue, extra, hist_base=self.hist_base)
