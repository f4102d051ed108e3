"""The windows a model scan tests in a streamed chunk, and their batching across chunks.

A FASTA of many short records (peaks, contigs) streams as one small chunk per record, a few windows each;
scored one chunk at a time the network would run a batch of a few windows per record (about 6x slower per
base than a long record, measured on 5,000 records of 200-2,000 bp). :class:`WindowQueue` holds the windows
of consecutive chunks until they fill several forward batches, so the model runs full batches however
short the records; each chunk's windows are then handled as if scored alone (the same windows, the same
order, logits equal up to float rounding of the batch they shared). The PWM term of the queued windows
comes from one compiled pass per motif over the queued chunks laid end to end
(:func:`pwm_window_terms`), not one per record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carrousel.bio.fasta import Chunk
from carrousel.bio.model_null import padded_window
from carrousel.bio.pwm import IntegerPWM, SequenceCodes
from carrousel.bio.sites import chunk_window_pvalues, window_pwm_pvalues
from carrousel.core.args import check_args

__all__ = ["ChunkWindows", "WindowQueue", "chunk_windows", "pwm_window_terms"]


@dataclass(frozen=True)
class ChunkWindows:
    """The tested windows of one chunk.

    Attributes:
        chunk: the chunk.
        starts: ``(P,)`` window starts in the chunk.
        wins: ``(P, W)`` window codes (a record shorter than the window: one window padded with N).
        seq: the chunk's prepared codes, when the caller has them (for the PWM pass).
    """

    chunk: Chunk
    starts: np.ndarray
    wins: np.ndarray
    seq: SequenceCodes | None = None


@check_args
def chunk_windows(chunk: Chunk, limit: int, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts ``(P,)`` and codes ``(P, window)`` of the windows of ``chunk`` starting before ``limit``.

    Windows start on the record's stride grid; a record's final chunk adds a window flush with the record's
    end when the grid misses it; a record shorter than the window is one window padded with N.
    """
    codes, n, W = chunk.codes, chunk.codes.size, window
    if chunk.start == 0 and chunk.last and n < W:
        return np.zeros(1, dtype=np.int64), padded_window(codes, W)[None, :]
    first = (-chunk.start) % stride
    starts = np.arange(first, min(limit, n - W + 1), stride, dtype=np.int64)
    if chunk.last and n >= W and (starts.size == 0 or starts[-1] != n - W) and (chunk.start + n - W) % stride:
        starts = np.append(starts, n - W)
    if starts.size == 0:
        return starts, np.zeros((0, W), dtype=np.uint8)
    return starts, codes[starts[:, None] + np.arange(W)[None, :]]


class WindowQueue:
    """Windows of consecutive chunks held until they fill a model pass (bounded memory).

    Args:
        fill: windows that make a pass; a chunk with at least this many is passed on alone (after the
            queue), so a long record's chunks run in the same batches as without a queue.
        max_bases: bases of the queued chunks that also make a pass (a mostly-N chunk has few windows
            but holds all its bases).
    """

    @check_args
    def __init__(self, fill: int, max_bases: int = 1 << 22) -> None:
        self.fill = max(fill, 1)
        self.max_bases = max_bases
        self._items: list[ChunkWindows] = []
        self._windows = 0
        self._bases = 0

    def add(self, item: ChunkWindows) -> list[list[ChunkWindows]]:
        """Queues ``item``; returns the passes now due (each a list of chunks' windows, in file order)."""
        if item.starts.size >= self.fill:
            return [p for p in (self.drain(), [item]) if p]
        self._items.append(item)
        self._windows += int(item.starts.size)
        self._bases += int(item.chunk.codes.size)
        if self._windows >= self.fill or self._bases >= self.max_bases:
            return [self.drain()]
        return []

    def drain(self) -> list[ChunkWindows]:
        """Empties the queue, returning what it held."""
        items, self._items = self._items, []
        self._windows = self._bases = 0
        return items


@check_args
def pwm_window_terms(
    queued: list[ChunkWindows], pwms: dict[int, tuple[IntegerPWM, int]], n_outputs: int, window: int
) -> np.ndarray:
    """Window PWM p-values of the queued windows, as each chunk alone would give them.

    A record shorter than the window has its one padded window scored directly
    (:func:`~carrousel.bio.sites.window_pwm_pvalues`); the other chunks are laid end to end with one N
    between them (a site holding N is never scored, so none spans two chunks, and a site's score reads
    only its own bases) and scanned once per motif (:func:`~carrousel.bio.sites.chunk_window_pvalues`).

    Args:
        queued: the chunks' windows, in order.
        pwms: per output index, the motif and the site score threshold of its pre-pass.
        n_outputs: model outputs (columns).
        window: window width.

    Returns:
        ``(P, n_outputs)`` p-values of the ``P`` queued windows in order (1: no site reaching the
        threshold, or an output without a pre-pass).
    """
    ends = np.cumsum([q.starts.size for q in queued])
    out = np.ones((int(ends[-1]) if ends.size else 0, n_outputs))
    if not pwms:
        return out
    short = [i for i, q in enumerate(queued) if q.chunk.codes.size < window]
    if short:
        rows = ends[short] - 1  # one window each
        wins = np.concatenate([queued[i].wins for i in short])
        for k, (pw, _) in pwms.items():
            out[rows, k] = window_pwm_pvalues(wins, pw)
    longer = [i for i, q in enumerate(queued) if q.chunk.codes.size >= window]
    if not longer:
        return out
    q0 = queued[longer[0]]
    if len(longer) == 1 and q0.seq is not None and q0.seq.n == q0.chunk.codes.size:
        seq, offsets = q0.seq, np.zeros(1, dtype=np.int64)
    else:
        sizes = np.array([queued[i].chunk.codes.size + 1 for i in longer], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        codes = np.full(int(sizes.sum()), 4, dtype=np.uint8)  # N after each chunk
        for i, at in zip(longer, offsets.tolist(), strict=True):
            codes[at : at + queued[i].chunk.codes.size] = queued[i].chunk.codes
        seq = SequenceCodes(codes)
    starts = np.concatenate([queued[i].starts + at for i, at in zip(longer, offsets, strict=True)])
    rows = np.concatenate([np.arange(ends[i] - queued[i].starts.size, ends[i]) for i in longer])
    for k, (pw, t) in pwms.items():
        out[rows, k] = chunk_window_pvalues(pw, t, seq, starts, window)
    return out
