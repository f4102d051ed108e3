"""Compiled inner loops of the PWM scan (numba, GIL released, compiled lazily and cached on disk).

The sequence is read as base-4 codes of the 6-mer at each position; a motif is cut into blocks of 6
columns with one lookup table per block. Both strands are scored in one pass: each table entry packs the
forward block score (low 32 bits) and the reverse-complement block score (high 32 bits), each shifted by
the block's minimum so that both halves stay non-negative and a sum over blocks never carries from the low
half into the high one (a motif's score range is far below ``2**31``). All arithmetic is on integers, so
scores are exact.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import numpy as np

from carrousel.bio.errors import ScanConfigError

__all__ = ["PAD", "K", "kernels", "pack_tables"]

K = 6  # bases per lookup block (tables of 4**6 = 4096 int64 entries: 32 KB, in L1/L2 cache)
PAD = K * 8  # zero k-mer codes past the end, so every block of every window start can be read
_LOW = 0xFFFFFFFF
_TILE = 4096  # windows scored per tile (their packed sums stay in L1 cache)


def _kmer_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """``(n,)`` uint8 codes -> ``(n + PAD,)`` uint16 base-4 codes of the 6-mer starting at each position
    (an N and the positions past the end are read as A; N windows are skipped by the scan), and the
    number of N/IUPAC codes."""
    n = codes.size
    out = np.zeros(n + PAD, dtype=np.uint16)
    acc = 0
    n_amb = 0
    for i in range(n + K - 1):
        c = codes[i] if i < n else 0
        if c >= 4:
            n_amb += 1
            c = 0
        acc = ((acc << 2) | c) & 4095
        j = i - (K - 1)
        if j >= 0:
            out[j] = acc
    return out, n_amb


def _block_scores(kmer: np.ndarray, tables: np.ndarray, offsets: np.ndarray, n_win: int) -> np.ndarray:
    """``(n_win,)`` int64 sums of ``tables[b, kmer[i + offsets[b]]]`` over blocks ``b``."""
    out = np.zeros(n_win, dtype=np.int64)
    for b in range(tables.shape[0]):
        t = tables[b]
        o = offsets[b]
        for i in range(n_win):
            out[i] += t[kmer[i + o]]
    return out


def _scan_both(
    kmer: np.ndarray,
    packed: np.ndarray,
    offsets: np.ndarray,
    n_win: int,
    n_count: np.ndarray,
    length: int,
    extra_f: np.ndarray,
    extra_r: np.ndarray,
    base_f: int,
    base_r: int,
    thr_f: int,
    thr_r: int,
    hist: np.ndarray,
    hit_idx: np.ndarray,
    hit_score: np.ndarray,
) -> int:
    """One pass over window starts ``0..n_win-1``, both strands: skip N windows, score, histogram, keep hits.

    Args:
        kmer: ``(n + PAD,)`` 6-mer codes.
        packed: ``(n_blocks, 4096)`` int64 packed block tables (forward low, reverse high half).
        offsets: ``(n_blocks,)`` int64 first column of each block.
        n_win: window starts to test.
        n_count: ``(n + 1,)`` prefix count of N codes, or empty when the chunk has none.
        length: motif length.
        extra_f, extra_r: ``(>= n_win,)`` int64 added to each strand's score (1st-order background), or
            empty.
        base_f, base_r: histogram bin of a packed half equal to 0 (sum of block minimums minus ``lo``).
        thr_f, thr_r: smallest packed half kept as a hit (threshold minus the sum of block minimums).
        hist: ``(S,)`` int64 histogram of scores (bin ``score - lo``), updated in place.
        hit_idx: ``(>= 2 n_win,)`` int64 output: window start ``i`` (forward) or ``-1 - i`` (reverse).
        hit_score: ``(>= 2 n_win,)`` int64 output: the hit's integer score minus its block-minimum sum.

    Returns:
        The number of hits written.
    """
    nb = packed.shape[0]
    use_n = n_count.size > 0
    use_extra = extra_f.size > 0
    fast = not use_n and not use_extra
    buf = np.empty(_TILE, dtype=np.int64)
    h = 0
    for s0 in range(0, n_win, _TILE):
        m = min(_TILE, n_win - s0)
        # block by block over a tile of windows, up to four blocks per pass (fewer loads/stores of buf)
        t0 = packed[0]
        o0 = offsets[0] + s0
        if nb == 1:
            for j in range(m):
                buf[j] = t0[kmer[o0 + j]]
        elif nb == 2:
            t1, o1 = packed[1], offsets[1] + s0
            for j in range(m):
                buf[j] = t0[kmer[o0 + j]] + t1[kmer[o1 + j]]
        elif nb == 3:
            t1, o1 = packed[1], offsets[1] + s0
            t2, o2 = packed[2], offsets[2] + s0
            for j in range(m):
                buf[j] = t0[kmer[o0 + j]] + t1[kmer[o1 + j]] + t2[kmer[o2 + j]]
        else:
            t1, o1 = packed[1], offsets[1] + s0
            t2, o2 = packed[2], offsets[2] + s0
            t3, o3 = packed[3], offsets[3] + s0
            for j in range(m):
                buf[j] = t0[kmer[o0 + j]] + t1[kmer[o1 + j]] + t2[kmer[o2 + j]] + t3[kmer[o3 + j]]
            for b in range(4, nb):
                t0, o0 = packed[b], offsets[b] + s0
                for j in range(m):
                    buf[j] += t0[kmer[o0 + j]]
        if fast:  # no N, no background term: histogram, then a vectorised test for any hit in the tile
            for j in range(m):
                p = buf[j]
                hist[(p & _LOW) + base_f] += 1
                hist[(p >> 32) + base_r] += 1
            n_pass = 0
            for j in range(m):
                p = buf[j]
                n_pass += ((p & _LOW) >= thr_f) | ((p >> 32) >= thr_r)
            if n_pass == 0:
                continue
        for j in range(m):
            i = s0 + j
            if use_n and n_count[i + length] != n_count[i]:
                continue
            p = buf[j]
            f = p & _LOW
            r = p >> 32
            if use_extra:
                f += extra_f[i]
                r += extra_r[i]
            if not fast:
                hist[f + base_f] += 1
                hist[r + base_r] += 1
            if f >= thr_f:
                hit_idx[h] = i
                hit_score[h] = f
                h += 1
            if r >= thr_r:
                hit_idx[h] = -1 - i
                hit_score[h] = r
                h += 1
    return h


@functools.cache
def kernels() -> Any:
    """The compiled kernels (numba is imported and the cache loaded on first use only)."""
    import numba

    jit = numba.njit(nogil=True, cache=True)
    return SimpleNamespace(
        kmer_codes=jit(_kmer_codes), block_scores=jit(_block_scores), scan_both=jit(_scan_both)
    )


def pack_tables(forward: np.ndarray, reverse: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Packs two ``(n_blocks, 4096)`` integer tables into one int64 table.

    Returns:
        ``(packed, min_f, min_r)``: the packed table and the sums of the block minimums subtracted from
        each half (add them back to a packed half to get the score).
    """
    mf = forward.min(axis=1).astype(np.int64)
    mr = reverse.min(axis=1).astype(np.int64)
    low = forward.astype(np.int64) - mf[:, None]
    high = reverse.astype(np.int64) - mr[:, None]
    if int(low.max(axis=1).sum()) >= 1 << 31 or int(high.max(axis=1).sum()) >= 1 << 31:
        raise ScanConfigError("motif score range too large for the packed scan tables; lower the scale")
    return low | (high << 32), int(mf.sum()), int(mr.sum())
