"""Genome scans: stream a FASTA file once (after a counting pass for the background) through the PWM
scanner, the model scanner, or both, and collect hits with exact p-values and whole-scan q-values."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from carrousel.bio.config import BackgroundKind, Method, ScanConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta import Chunk, RecordInfo, count_bases, iter_chunks, window_sequences
from carrousel.bio.fasta_names import check_unique_names
from carrousel.bio.hit_store import HitStore, Part, SpilledHits
from carrousel.bio.hits import Hits, ScanResult
from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows, warn_unreachable
from carrousel.bio.pwm_null import Background
from carrousel.core.args import check_args

if TYPE_CHECKING:  # the model side imports torch: only a scan with a model loads it
    from carrousel.bio.models import MotifModel

__all__ = ["PWMScanner", "estimate_background", "scan_genome"]

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
# one motif on one chunk: windows tested and hits (k, starts, scores, minus, seqs); its scores are already
# counted in the motif's histogram
_Scored = tuple[int, Part | None]


@check_args
def estimate_background(
    path: str | Path, order: int = 0, mask_lower: bool = False
) -> tuple[Background, list[RecordInfo]]:
    """Background from the genome itself (strand-symmetrised; lower case left out with ``mask_lower``)."""
    mono, di, records = count_bases(path, mask_lower)
    if not mono.any():  # nothing to count: from_counts gives uniform (Background.fallback)
        logger.warning(
            "%s: no A, C, G or T%s to count; the PWM background is uniform", path, mask_lower * " unmasked"
        )
    return Background.from_counts(mono, di, order), records


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


@check_args
def scan_genome(
    path: str | Path,
    config: ScanConfig | None = None,
    motifs: Sequence[Motif] | None = None,
    model: MotifModel | None = None,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
    spill_dir: str | Path | None = None,
    *,
    check_names: bool = True,
) -> ScanResult:
    """Scans a FASTA(.gz) genome in bounded memory.

    Every motif's integer PWM is built once per scan (against the scan's background) and shared by the
    PWM scanner and the model scanner.

    Args:
        path: FASTA or FASTA.gz.
        config: scan options (defaults: PWM method, p <= 1e-4).
        motifs: motifs to scan (default: ``config.motifs`` resolved, or the model's motifs).
        model: the trained model for the ``model`` and ``both`` methods
            (:func:`carrousel.bio.pipeline.load_model`; ``pipeline.scan`` loads the packaged panel).
        progress: called with the number of bases just scanned, after each chunk.
        total: called once with the genome's total bases, before the scan pass.
        spill_dir: folder of the temporary file that PWM hits past 64 MiB go to (default: the system's
            temporary folder); it is deleted when the result is closed or collected, or on an error.
        check_names: refuse a file with a duplicate record name up front, in a quick pass over its
            header lines (:func:`~carrousel.bio.fasta_names.check_unique_names`), rather than when the
            scan reaches it; False when the caller has already checked (``pipeline.scan`` does, before it
            loads a model).

    Returns:
        A :class:`ScanResult` (hits sorted by record and position; PWM hits are read back from the
        temporary file as they are used, a table at a time through
        :func:`carrousel.bio.hit_store.hit_blocks`).

    Raises:
        ScanConfigError: no motifs, no model for a model scan, or motifs that are not model outputs.
        FastaFormatError: two records share a name (and the other errors of the FASTA reader).
    """
    cfg = config or ScanConfig()
    t0 = time.perf_counter()
    if check_names:
        check_unique_names(path)
    method = cfg.method
    if method is not Method.pwm and model is None:
        raise ScanConfigError(
            f"method {method.value} needs a model; load one with carrousel.bio.pipeline.load_model"
        )
    use_model = model if method is not Method.pwm else None
    if motifs is None:
        if cfg.motifs:
            motifs = resolve_motifs(list(cfg.motifs), cfg.jaspar_release)
        elif model is not None:
            motifs = model.motifs
        else:
            raise ScanConfigError("no motifs to scan; give --motif or a model")
    if use_model is not None and method is Method.model and cfg.motifs:
        outputs = {m.id for m in use_model.motifs}
        missing = [m.id for m in motifs if m.id not in outputs]
        if missing:
            raise ScanConfigError(
                f"motif(s) {', '.join(missing)} are not outputs of the model; use --method pwm or both"
            )
    bg, records = (
        estimate_background(path, cfg.background_order, cfg.mask_lower)
        if cfg.background is BackgroundKind.input
        else (Background.uniform(), [])
    )
    kind = "uniform" if bg.fallback else cfg.background.value  # input without a base to count: uniform
    order = f", order {bg.order}" if kind == "input" else ""
    logger.info("PWM background: %s (A C G T %s%s)", kind, " ".join(f"{x:.3f}" for x in bg.mono), order)
    if total is not None:
        total(sum(r.length for r in records))
    pwms: dict[tuple[str, str, tuple[int, ...], bytes], IntegerPWM] = {}

    def pwm_of(m: Motif) -> IntegerPWM:  # one PWM per distinct motif, shared by both scanners
        counts = np.asarray(m.counts, dtype=np.float64)
        key = (m.id, m.name, counts.shape, counts.tobytes())
        if key not in pwms:
            pwms[key] = IntegerPWM(m, bg, cfg.pseudocount)
        return pwms[key]

    model_scanner = None
    if use_model is not None:
        from carrousel.bio.model_null import choose_null
        from carrousel.bio.model_scan import ModelScanner

        wanted = {m.id for m in motifs} if cfg.motifs else None  # --motif X: only X's output is tested
        model_scanner = ModelScanner(
            use_model,
            [pwm_of(m) for m in use_model.motifs],
            cfg.model_pvalue,
            cfg.model_qvalue,
            cfg.stride,
            cfg.batch_size,
            outputs=[k for k, m in enumerate(use_model.motifs) if wanted is None or m.id in wanted],
            calls=cfg.calls,
            site_pvalue=cfg.pvalue,
        )
        model_scanner.use_null(choose_null(use_model, model_scanner.logits, path, cfg, records))
    use_pwm = method is not Method.model and bool(motifs)
    pwm_scanner = (
        PWMScanner(
            [pwm_of(m) for m in motifs], cfg.pvalue, exact_qvalues=cfg.exact_qvalues, spill_dir=spill_dir
        )
        if use_pwm
        else None
    )
    overlap = max(
        pwm_scanner.max_length - 1 if pwm_scanner else 0,
        model_scanner.overlap if model_scanner else 0,
    )
    seen: list[RecordInfo] = []
    covered = 0
    tests: dict[str, int] = {}
    try:
        first = max(cfg.chunk_size // 8, 1000)  # the workers start on a small first chunk
        chunks = iter_chunks(path, cfg.chunk_size, overlap, seen, first, cfg.mask_lower)
        for chunk in chunks:
            limit = chunk.codes.size if chunk.last else chunk.codes.size - overlap
            seq = SequenceCodes(chunk.codes)
            if pwm_scanner is not None:
                pwm_scanner.process(chunk, limit, seq)  # queued: the next chunk is read meanwhile
            if model_scanner is not None:
                model_scanner.process(chunk, limit, seq)
            end = chunk.start + chunk.codes.size
            new = end - covered if chunk.start > 0 else end
            covered = 0 if chunk.last else end
            if progress is not None and new > 0:
                progress(new)
        if pwm_scanner is not None:
            tests.update(pwm_scanner.tests())
        model_hits = None
        if model_scanner is not None:
            model_hits = model_scanner.hits()
            tests.update({f"{k}:model": v for k, v in model_scanner.tests().items()})
            logger.info("model scan stages: %s", model_scanner.stages)
            _warn_untested(model_scanner.stages, model_scanner.window)
        hits = (
            pwm_scanner.hits(cfg.qvalue, model_hits)  # PWM hits stay packed until they are written
            if pwm_scanner is not None
            else Hits.concat([model_hits] if model_hits is not None else []).sorted()
        )
    except BaseException:
        if pwm_scanner is not None:
            pwm_scanner.store.close()  # the temporary hit file goes now, not when collected
        raise
    finally:
        if pwm_scanner is not None:
            pwm_scanner.close()
    used = list(motifs) if method is not Method.model else list(model_scanner.motifs if model_scanner else [])
    total_bases = sum(r.length for r in seen)
    return ScanResult(
        hits=hits,
        records=seen,
        bases=total_bases,
        motifs=[(m.id, m.name) for m in used],
        method=method.value,
        tests=tests,
        seconds=time.perf_counter() - t0,
        background=bg.mono.tolist(),
        background_kind=kind,
        mask_lower=cfg.mask_lower,
        model_null=model_scanner.null.summary() if model_scanner is not None else {},
        model_stages=dict(model_scanner.stages) if model_scanner is not None else {},
        model_calls=(
            model_scanner.rule.summary(model_scanner.choices, [m.id for m in model_scanner.motifs])
            if model_scanner is not None
            else {}
        ),
    )


def _warn_untested(stages: dict[str, int], window: int) -> None:
    """Warns when most model windows went untested (more than half N: short records padded, N runs); a
    scan of 26-bp sites with a 200-bp model reported 0 hits with no word that nothing was scored."""
    n, skipped = stages["windows"], stages["windows_mostly_n"]
    if n and 2 * skipped >= n:
        logger.warning(
            "%d of %d model windows are mostly N (records shorter than half the %d-base window, or N runs) "
            "and were not tested; use --method pwm for short sequences",
            *(skipped, n, window),
        )
