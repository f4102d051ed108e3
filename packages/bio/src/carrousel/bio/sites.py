"""Sites inside model windows: PWM scores of candidate sites on both strands, the window-level p-value
of a window's best PWM site, and placement of a site from per-base attribution."""

from __future__ import annotations

import numpy as np

from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.core.args import check_args

__all__ = [
    "best_sites",
    "chunk_window_pvalues",
    "distinct_sites",
    "locate_sites",
    "site_scores",
    "window_pwm_pvalues",
]


def site_scores(codes: np.ndarray, starts: np.ndarray, pwm: IntegerPWM) -> np.ndarray:
    """Integer PWM scores of motif-length sites on both strands.

    Args:
        codes: ``(P, W)`` window codes.
        starts: ``(P, C)`` site offsets inside each window (``0 <= start <= W - L``).
        pwm: the motif.

    Returns:
        ``(P, C, 2)`` scores (forward, reverse strand); sites containing N/IUPAC get a very low score.
    """
    P = codes.shape[0]
    L = pwm.length
    win = codes[np.arange(P)[:, None, None], starts[:, :, None] + np.arange(L)[None, None, :]]  # (P, C, L)
    x = np.where(win < 4, win, 0).astype(np.int64)
    ok = np.all(win < 4, axis=2, keepdims=True)  # (P, C, 1)
    fwd = pwm.matrix[np.arange(L), x].sum(axis=2)
    rev = pwm.matrix[::-1, ::-1][np.arange(L), x].sum(axis=2)
    if pwm.pair is not None and pwm.first is not None:
        c = 3 - x[..., ::-1]
        fwd = fwd + pwm.first[x[..., 0]] + pwm.pair[x[..., :-1], x[..., 1:]].sum(axis=2)
        rev = rev + pwm.first[c[..., 0]] + pwm.pair[c[..., :-1], c[..., 1:]].sum(axis=2)
    both = np.stack([fwd, rev], axis=2)
    return np.where(ok, both, np.iinfo(np.int64).min // 4)


@check_args
def best_sites(codes: np.ndarray, pwm: IntegerPWM, block: int = 2048) -> tuple[np.ndarray, ...]:
    """The best PWM site of each window: every offset, both strands (sites with N/IUPAC never count).

    Args:
        codes: ``(P, W)`` window codes.
        pwm: the motif (its length at most ``W``).
        block: windows scored at a time (bounds memory).

    Returns:
        ``(offset (P,), strand (P,) of +1/-1, integer PWM score (P,), score of the other strand at that
        offset (P,))``; a window without a clean site scores very low. Ties go to the first offset, then
        the forward strand.
    """
    P, W = codes.shape
    L = pwm.length
    n = W - L + 1
    out = [np.empty(P, dtype=np.int64) for _ in range(4)]
    low = np.iinfo(np.int64).min // 4
    rc = pwm.matrix[::-1, ::-1]
    for i in range(0, P, block):
        c = codes[i : i + block]
        x = np.where(c < 4, c, 0).astype(np.intp)
        bad = np.zeros((c.shape[0], n), dtype=bool)
        fwd = np.zeros((c.shape[0], n), dtype=np.int64)
        rev = np.zeros((c.shape[0], n), dtype=np.int64)
        for j in range(L):  # one pass per motif column over every offset at once
            xj = x[:, j : j + n]
            bad |= c[:, j : j + n] >= 4
            fwd += pwm.matrix[j][xj]
            rev += rc[j][xj]
        if pwm.pair is not None and pwm.first is not None:
            for j in range(L - 1):
                a, b = x[:, j : j + n], x[:, j + 1 : j + 1 + n]
                fwd += pwm.pair[a, b]
                rev += pwm.pair[3 - b, 3 - a]
            fwd += pwm.first[x[:, :n]]
            rev += pwm.first[3 - x[:, L - 1 : L - 1 + n]]
        fwd, rev = np.where(bad, low, fwd), np.where(bad, low, rev)
        off = np.maximum(fwd, rev).argmax(axis=1)
        rows = np.arange(c.shape[0])
        f, r = fwd[rows, off], rev[rows, off]
        out[0][i : i + block] = off
        out[1][i : i + block] = np.where(f >= r, 1, -1)
        out[2][i : i + block] = np.maximum(f, r)
        out[3][i : i + block] = np.where(f >= r, r, f)
    return tuple(out)


@check_args
def window_pwm_pvalues(codes: np.ndarray, pwm: IntegerPWM, block: int = 2048) -> np.ndarray:
    """P-value of each window's best PWM site (:func:`best_sites`), Sidak-corrected for the
    ``2 (W - L + 1)`` sites searched: ``1 - (1 - p_best)^n``, the probability that a background window
    holds a site at least that strong.

    Args:
        codes: ``(P, W)`` window codes.
        pwm: the motif (its length at most ``W``).
        block: windows scored at a time (bounds memory).

    Returns:
        ``(P,)`` window-level p-values in (0, 1].
    """
    n = codes.shape[1] - pwm.length + 1
    best = best_sites(codes, pwm, block)[2]
    p_site = np.clip(pwm.pvalue(best), 0.0, 1.0)
    return np.clip(-np.expm1(2 * n * np.log1p(-np.minimum(p_site, 1 - 1e-16))), 1e-300, 1.0)


@check_args
def chunk_window_pvalues(
    pwm: IntegerPWM, threshold: int, seq: SequenceCodes, starts: np.ndarray, window: int
) -> np.ndarray:
    """Window-level p-values (as :func:`window_pwm_pvalues`) of the windows of one chunk, from one compiled
    PWM pass over it: exact where the window's best site scores at least ``threshold``, 1 elsewhere.

    Args:
        pwm: the motif (its length at most ``window``; :meth:`IntegerPWM.prepare_scan` done for
            ``threshold``).
        threshold: the smallest site score needed exactly.
        seq: the chunk's codes.
        starts: ``(P,)`` window starts in the chunk (increasing; each window inside the chunk).
        window: window width.

    Returns:
        ``(P,)`` p-values.
    """
    out = np.ones(starts.size)
    n_sites = int(starts.max()) + window - pwm.length + 1
    hist = np.zeros(pwm.sf.size, dtype=np.int64)
    at, score, _ = scan_windows(pwm, seq, n_sites, threshold, hist, False)
    if not at.size:
        return out
    order = np.argsort(at, kind="stable")
    at, score = at[order], score[order]
    lo = np.searchsorted(at, starts)
    hi = np.searchsorted(at, starts + window - pwm.length, "right")
    has = np.flatnonzero(hi > lo)
    if has.size:
        best = np.array([score[a:b].max() for a, b in zip(lo[has], hi[has], strict=True)])
        p_site = np.clip(pwm.pvalue(best), 0.0, 1.0 - 1e-16)
        n = 2 * (window - pwm.length + 1)
        out[has] = np.clip(-np.expm1(n * np.log1p(-p_site)), 1e-300, 1.0)
    return out


@check_args
def locate_sites(
    codes: np.ndarray, attr: np.ndarray, pwm: IntegerPWM, slack: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Places a motif-length site in each window: the stretch of largest summed attribution, refined to the
    best PWM score (either strand) within ``slack`` bases.

    Returns:
        ``(offset (P,), strand (P,) of +1/-1, integer PWM score (P,), score of the other strand (P,))``,
        offsets inside the windows.
    """
    P, W = codes.shape
    L = pwm.length
    cs = np.concatenate([np.zeros((P, 1)), np.cumsum(attr, axis=1)], axis=1)
    sums = cs[:, L:] - cs[:, : W - L + 1]
    centre = sums.argmax(axis=1)
    cand = np.clip(centre[:, None] + np.arange(-slack, slack + 1)[None, :], 0, W - L)  # (P, C)
    both = site_scores(codes, cand, pwm)  # (P, C, 2)
    flat = both.reshape(P, -1).argmax(axis=1)
    ci, si = flat // 2, flat % 2
    other = both[np.arange(P), ci, 1 - si]  # the same place read on the other strand
    return cand[np.arange(P), ci], np.where(si == 0, 1, -1), both.reshape(P, -1)[np.arange(P), flat], other


@check_args
def distinct_sites(records: np.ndarray, starts: np.ndarray, strands: np.ndarray, length: int) -> np.ndarray:
    """The sites kept of ``length``-base sites given best first: one is dropped where a site kept already
    sits at its place and strand, or overlaps it at another offset in the same record (the same signal
    seen from a neighbouring window, e.g. a site cut by the window edge); the other strand at the same
    place is kept (a palindrome).

    Args:
        records: ``(P,)`` record names.
        starts: ``(P,)`` site starts.
        strands: ``(P,)`` +1/-1.
        length: the sites' length.

    Returns:
        ``(K,)`` int64 indices of the sites kept, in the given order.
    """
    seen: set[tuple[str, int, int]] = set()
    taken: dict[str, set[int]] = {}
    kept = []
    for j in range(starts.size):
        rec, st = records[j], int(starts[j])
        key = (rec, st, int(strands[j]))
        if key in seen:
            continue
        near = taken.setdefault(rec, set())
        if any(st + d in near for d in range(1 - length, length) if d):
            continue
        seen.add(key)
        near.add(st)
        kept.append(j)
    return np.array(kept, dtype=np.int64)
