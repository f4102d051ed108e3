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
from typing import Any, NamedTuple

import numpy as np

from carrousel.bio.errors import MotifError
from carrousel.core.args import check_args

__all__ = [
    "PAD",
    "K",
    "SkipLayout",
    "kernels",
    "kmer_digits",
    "kmer_probabilities",
    "pack_tables",
    "skip_layout",
]

K = 6  # bases per lookup block (tables of 4**6 = 4096 int64 entries: 32 KB, in L1/L2 cache)
PAD = K * 8  # zero k-mer codes past the end, so every block of every window start can be read
_LOW = 0xFFFFFFFF
_TILE = 4096  # windows scored per tile (their packed sums stay in L1 cache)
_LANE = 4  # windows tested together by the first bound test of the hits-only scan


def _kmer_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """``(n,)`` uint8 codes -> ``(n + PAD,)`` uint16 base-4 codes of the 6-mer starting at each position
    (an N is read as A: ``4 & 3 == 0``; N windows are skipped by the scan; positions past the end are A),
    and the number of N/IUPAC codes. Each code is built from its own six bases, with no dependence between
    positions, so the compiler vectorises the loop."""
    n = codes.size
    out = np.zeros(n + PAD, dtype=np.uint16)
    m = max(n - (K - 1), 0)
    for i in range(m):
        out[i] = (
            ((codes[i] & 3) << 10)
            | ((codes[i + 1] & 3) << 8)
            | ((codes[i + 2] & 3) << 6)
            | ((codes[i + 3] & 3) << 4)
            | ((codes[i + 4] & 3) << 2)
            | (codes[i + 5] & 3)
        )
    for i in range(m, n):  # the last k-mers run past the end
        acc = 0
        for t in range(K):
            acc = (acc << 2) | ((codes[i + t] & 3) if i + t < n else 0)
        out[i] = acc
    n_amb = 0
    for i in range(n):
        n_amb += codes[i] > 3
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
    bg_f: tuple[np.ndarray, np.ndarray],
    bg_r: tuple[np.ndarray, np.ndarray],
    n_win: int,
    n_count: np.ndarray,
    length: int,
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
        bg_f, bg_r: each strand's 1st-order background parts ``(first, cs)`` (``(n,)`` int64 first-base
            terms, ``(n + 1,)`` int64 prefix sums of the pair terms; :meth:`~carrousel.bio.pwm.
            SequenceCodes.background_term`), or two empty arrays each (0-order): window ``i`` adds
            ``first[i + head] + cs[i + length - 1] - cs[i]``, ``head`` 0 forward and ``length - 1``
            reverse, read here rather than from two window-length terms built per motif.
        n_win: window starts to test.
        n_count: ``(n + 1,)`` prefix count of N codes, or empty when the chunk has none.
        length: motif length.
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
    first_f, cs_f = bg_f
    first_r, cs_r = bg_r
    use_extra = cs_f.size > 0
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
                f += first_f[i] + cs_f[i + length - 1] - cs_f[i]
                r += first_r[i + length - 1] + cs_r[i + length - 1] - cs_r[i]
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


def _scan_hits(
    kmer: np.ndarray,
    packed: np.ndarray,
    offsets: np.ndarray,
    rest_f: np.ndarray,
    rest_r: np.ndarray,
    first: np.ndarray,
    n_first: int,
    sign: Any,
    n_win: int,
    n_count: np.ndarray,
    length: int,
    base_f: int,
    base_r: int,
    thr_f: int,
    thr_r: int,
    hist: np.ndarray,
    hit_idx: np.ndarray,
    hit_score: np.ndarray,
) -> int:
    """Both strands, hits only: a window is abandoned as soon as it cannot reach the threshold.

    The first test reads ``n_first`` (2 or 3) blocks of ``_LANE`` windows at a time through biased
    tables (:func:`skip_layout`): a window can still be a hit on a strand exactly when the top bit of
    that strand's half of the sum is set, so a lane costs its look-ups, adds and one OR-ed test. Windows of a
    lane that passes are then scored block by block, each strand dropped once its partial score plus the
    most the remaining blocks can add falls below the threshold. Only hits are counted in ``hist``.

    Args:
        kmer: ``(n + PAD,)`` 6-mer codes.
        packed: ``(n_blocks >= 2, 4096)`` int64 packed block tables (forward low, reverse high half).
        offsets: ``(n_blocks,)`` int64 first column of each block.
        rest_f, rest_r: ``(n_blocks + 1,)`` int64 largest packed-half sum of blocks ``b..`` (0 at the end).
        first: ``(3, 4096)`` biased tables of the first blocks (unused rows zero): uint32 with 16-bit
            halves when their sums fit (half the cache footprint, ~12% faster), else uint64.
        n_first: blocks in the first test (2 or 3).
        sign: the top bit of each half, of ``first``'s dtype.
        n_win, n_count, length, base_f, base_r, thr_f, thr_r, hit_idx, hit_score: as :func:`_scan_both`.
        hist: ``(S,)`` int64 histogram of the hits' scores, updated in place.

    Returns:
        The number of hits written.
    """
    nb = packed.shape[0]
    use_n = n_count.size > 0
    f0, f1, f2 = first[0], first[1], first[2]
    o0 = offsets[0]
    o1 = offsets[1]
    o2 = offsets[min(2, nb - 1)]
    h = 0
    x = 0
    while x < n_win:
        # whole lanes while none of their windows passes the first test
        if n_first == 2:
            while x + _LANE <= n_win:
                acc = sign & 0
                for v in range(x, x + _LANE):
                    acc |= f0[kmer[v + o0]] + f1[kmer[v + o1]]
                if acc & sign:
                    break
                x += _LANE
        else:
            while x + _LANE <= n_win:
                acc = sign & 0
                for v in range(x, x + _LANE):
                    acc |= f0[kmer[v + o0]] + f1[kmer[v + o1]] + f2[kmer[v + o2]]
                if acc & sign:
                    break
                x += _LANE
        xb = min(x + _LANE, n_win)
        while x < xb:
            p = packed[0, kmer[x + o0]] + packed[1, kmer[x + o1]]
            live_f = (p & _LOW) + rest_f[2] >= thr_f
            live_r = (p >> 32) + rest_r[2] >= thr_r
            g = 2
            while g < nb and (live_f or live_r):
                p += packed[g, kmer[x + offsets[g]]]
                live_f = live_f and (p & _LOW) + rest_f[g + 1] >= thr_f
                live_r = live_r and (p >> 32) + rest_r[g + 1] >= thr_r
                g += 1
            if (live_f or live_r) and not (use_n and n_count[x + length] != n_count[x]):
                f = p & _LOW
                r = p >> 32
                if live_f:
                    hist[f + base_f] += 1
                    hit_idx[h] = x
                    hit_score[h] = f
                    h += 1
                if live_r:
                    hist[r + base_r] += 1
                    hit_idx[h] = -1 - x
                    hit_score[h] = r
                    h += 1
            x += 1
    return h


@functools.cache
def kernels() -> Any:
    """The compiled kernels (numba is imported and the cache loaded on first use only)."""
    import numba

    jit = numba.njit(nogil=True, cache=True)
    return SimpleNamespace(
        kmer_codes=jit(_kmer_codes),
        block_scores=jit(_block_scores),
        scan_both=jit(_scan_both),
        scan_hits=jit(_scan_hits),
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
        raise MotifError("motif score range too large for the packed scan tables; lower the scale")
    return low | (high << 32), int(mf.sum()), int(mr.sum())


class SkipLayout(NamedTuple):
    """Tables and bounds of the hits-only scan of one motif at one threshold (:func:`skip_layout`), in the
    order :func:`_scan_hits` takes them."""

    packed: np.ndarray  # (n_blocks >= 2, 4096) int64 packed tables, most informative block first
    offsets: np.ndarray  # (n_blocks,) int64 first column of each block
    rest_f: np.ndarray  # (n_blocks + 1,) int64 largest forward sum of blocks b.. (0 at the end)
    rest_r: np.ndarray  # (n_blocks + 1,) int64 the same for the reverse strand
    first: np.ndarray  # (3, 4096) uint32 or uint64 biased tables of the first test's blocks
    n_first: int  # blocks in the first test (2 or 3)
    sign: Any  # the top bit of each half of a `first` entry (numpy scalar of its dtype)


# cost of one window surviving the first test, in table look-ups (a lane re-read one window at a time,
# mispredicted branches): fitted on E. coli scans, 2 blocks cost ~6.3 ms and 3 ~10.2 ms per 4.9 Mb, and
# each 1% of windows surviving 2 blocks ~2.3 ms
_SURVIVOR_COST = 72.0


@check_args
def skip_layout(
    packed: np.ndarray, offsets: np.ndarray, thr_f: int, thr_r: int, kmer_prob: np.ndarray
) -> SkipLayout:
    """Block order, bounds and first test of :func:`_scan_hits` for one motif and threshold.

    Blocks are sorted by how much they separate windows (spread between their best and their mean entry,
    both strands), so those read first rule out the most windows; a single block gets an all-zero
    partner. Block sums do not depend on the order, so scores stay exact. The first test reads 2 or 3
    blocks, whichever costs less: its look-ups plus the expected survivors, from the exact probability
    (under the background) that a window passes it on either strand. Its tables pack the two strands in
    halves of ``h`` bits (16 when the first blocks' sums stay below ``2**15``, else 32) and carry a bias
    so that the top bit of a strand's half is set exactly when the window can still reach ``thr``: half
    ``v`` of the first blocks' sum, at most ``2**(h-1) - 1``, plus ``2**(h-1) - c`` sets that bit iff
    ``v >= c``.

    Args:
        packed: ``(n_blocks, 4096)`` int64 packed tables (:func:`pack_tables`).
        offsets: ``(n_blocks,)`` first column of each block.
        thr_f, thr_r: the threshold in packed-half units (threshold minus each strand's minimum sum).
        kmer_prob: ``(4096,)`` probability of each 6-mer under the background.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    if packed.shape[0] == 1:  # an all-zero partner (no spread: it sorts last)
        packed = np.vstack([packed, np.zeros_like(packed)])
        offsets = np.concatenate([offsets, offsets])
    low = packed & _LOW
    high = packed >> 32
    spread = (low.max(axis=1) - low.mean(axis=1)) + (high.max(axis=1) - high.mean(axis=1))
    order = np.argsort(-spread, kind="stable")
    packed, offsets, low, high = packed[order], offsets[order], low[order], high[order]
    zero = np.zeros(1, dtype=np.int64)
    rest_f = np.concatenate([np.cumsum(low.max(axis=1)[::-1])[::-1], zero]).astype(np.int64)
    rest_r = np.concatenate([np.cumsum(high.max(axis=1)[::-1])[::-1], zero]).astype(np.int64)
    nb = packed.shape[0]

    def cut(g: int) -> tuple[int, int]:
        return max(int(thr_f - rest_f[g]), 0), max(int(thr_r - rest_r[g]), 0)

    def survive(g: int) -> float:  # P(a window passes the first g blocks' test), a cost estimate
        p = 0.0
        for half, c in zip((low, high), cut(g), strict=True):
            step = max(1, int(half[:g].max(axis=1).sum()) // 1024)  # coarse bins: an estimate is enough
            dists = [np.bincount(half[b] // step, weights=kmer_prob) for b in range(g)]
            size = 1 << sum(d.size for d in dists).bit_length()  # a power of two: fast FFT
            dist = np.fft.irfft(np.prod([np.fft.rfft(d, size) for d in dists], axis=0), size)
            p += float(dist[c // step :].sum())
        return min(max(p, 0.0), 1.0)

    n_first = 2
    if nb >= 3:
        cost2 = 2 + _SURVIVOR_COST * survive(2)
        if cost2 > 3 and 3 + _SURVIVOR_COST * survive(3) < cost2:  # 3 blocks cost at least 3
            n_first = 3
    lo_max, hi_max = (int(h[:n_first].max(axis=1).sum()) for h in (low, high))
    bits = 16 if max(lo_max, hi_max) < 1 << 15 else 32
    dtype = np.uint32 if bits == 16 else np.uint64
    top = 1 << (bits - 1)
    first = np.zeros((3, packed.shape[1]), dtype=np.uint64)
    first[:n_first] = (low[:n_first] | (high[:n_first] << bits)).astype(np.uint64)
    c_f, c_r = (min(c, top) for c in cut(n_first))  # a cut above every sum: no window passes
    first[0] += np.uint64((top - c_f) | ((top - c_r) << bits))
    sign = dtype(top | (top << bits))
    return SkipLayout(
        np.ascontiguousarray(packed),
        np.ascontiguousarray(offsets),
        rest_f,
        rest_r,
        first.astype(dtype),
        n_first,
        sign,
    )


@functools.cache
def kmer_digits() -> np.ndarray:
    """``(K, 4**K)`` the bases of every k-mer code, first base first (read-only, shared)."""
    codes = np.arange(4**K)
    digits = np.stack([(codes >> (2 * (K - 1 - t))) & 3 for t in range(K)])
    digits.flags.writeable = False
    return digits


def kmer_probabilities(mono: np.ndarray) -> np.ndarray:
    """``(4096,)`` probability of each 6-mer code under a 0-order background ``(4,)``."""
    return np.asarray(mono, dtype=np.float64)[kmer_digits()].prod(axis=0)
