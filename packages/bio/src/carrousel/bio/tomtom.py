"""Motif-to-motif comparison with analytic p-values, after Tomtom (Gupta et al. 2007, Genome Biology).

Column score: the Pearson correlation of a query column with a target column (``[-1, 1]``). An
alignment's score is the sum of its column scores over the columns that overlap (ungapped, at least
``min_overlap`` columns; both strands of the target).

Null: each query column's score against a random target column follows the empirical distribution of
its scores against *every* column of the collection (both strands), and columns are independent. The
scores are rounded to ``1 / RESOLUTION`` so these distributions are exact probability vectors; the
distribution of a sum over a run of query columns is their convolution (computed once per query for
every run ``i0..i1``). An alignment's p-value is the probability that the sum over the same query
columns reaches its score. A target's p-value is the best alignment's, corrected for the number of
alignments tried (``1 - (1 - p_min) ** n``, Sidak); its E-value is that times the number of targets,
and q-values (Benjamini-Hochberg) run over the targets of one query. Like Tomtom's, the p-values assume
a target's columns are independent draws from the collection's columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carrousel.bio.motifs import Motif
from carrousel.core.args import check_args

__all__ = [
    "RESOLUTION",
    "Match",
    "alignment_pvalues",
    "column_scores",
    "compare_motifs",
    "search",
    "standardized_columns",
]

RESOLUTION = 100  # column scores are rounded to 1/RESOLUTION (Pearson r in [-1, 1] -> [-100, 100])


@dataclass(frozen=True)
class Match:
    """One query-target comparison (the target's best alignment)."""

    target_id: str
    target_name: str
    offset: int  # target column aligned to query column 0 (may be negative)
    strand: str  # + or - (target reverse-complemented)
    score: float  # summed Pearson correlation over the overlapping columns
    overlap: int  # number of aligned columns
    pvalue: float  # chance a random target (columns drawn from the collection) aligns this well
    evalue: float  # pvalue x number of targets
    qvalue: float = 1.0  # Benjamini-Hochberg over the targets of this query


def standardized_columns(m: Motif) -> np.ndarray:
    """``(L, 4)`` frequencies centred and scaled per column: ``a @ b / 4`` is the Pearson correlation
    (a column without information gives zeros: no correlation with anything)."""
    return _standardize(m.frequencies(pseudocount=0.01))


def _standardize(f: np.ndarray) -> np.ndarray:
    sd = f.std(axis=1, keepdims=True)
    return np.where(sd > 1e-9, (f - f.mean(axis=1, keepdims=True)) / np.maximum(sd, 1e-9), 0.0)


def column_scores(query: np.ndarray, columns: np.ndarray, metric: str = "pearson") -> np.ndarray:
    """``(Lq, N)`` column scores in ``[-1, 1]`` of query frequency columns against frequency columns.

    ``pearson``: the correlation of the two columns; ``ed``: minus their Euclidean distance over its
    largest value (``sqrt 2``), Tomtom's default.
    """
    if metric == "pearson":
        return _standardize(query) @ _standardize(columns).T / 4.0
    if metric == "ed":
        d2 = (query**2).sum(1)[:, None] + (columns**2).sum(1)[None, :] - 2.0 * query @ columns.T
        return -np.sqrt(np.maximum(d2, 0.0) / 2.0)
    raise ValueError(f"unknown column metric {metric!r}: use pearson or ed")


def _survival_tables(null_scores: np.ndarray) -> tuple[np.ndarray, int]:
    """``P(sum over query columns i0..i1-1 >= s)`` for every run, from per-column integer scores.

    Args:
        null_scores: ``(Lq, N)`` integer scores of each query column against the collection's columns.

    Returns:
        ``(table, shift)``: ``table[i0, i1, s + shift]`` (``(Lq + 1, Lq + 1, 2 * shift + 2)``; 0 above
        the largest sum, 1 at and below the smallest).
    """
    lq = null_scores.shape[0]
    shift = RESOLUTION * lq
    pmfs = [np.bincount(row + RESOLUTION, minlength=2 * RESOLUTION + 1) / row.size for row in null_scores]
    width = 2 * shift + 2
    table = np.zeros((lq + 1, lq + 1, width))
    table[:, :, : shift + 1] = 1.0  # empty runs sum to 0
    for i0 in range(lq):
        dist = np.ones(1)
        for i1 in range(i0 + 1, lq + 1):
            dist = np.convolve(dist, pmfs[i1 - 1])  # sums from -R*(i1-i0) to R*(i1-i0)
            low = shift - RESOLUTION * (i1 - i0)
            sf = np.cumsum(dist[::-1])[::-1]  # summed from the tail: small p-values stay accurate
            table[i0, i1, :low] = 1.0
            table[i0, i1, low : low + sf.size] = np.minimum(sf, 1.0)
            table[i0, i1, low + sf.size :] = 0.0
    return table, shift


@dataclass(frozen=True)
class _Collection:
    """Targets (both strands) laid out as one column matrix, with every allowed alignment listed."""

    columns: np.ndarray  # (P + total columns + P, 4) standardized, P = padding
    starts: np.ndarray  # (2 n,) first column of each target strand in `columns`
    lengths: np.ndarray  # (2 n,)


def _layout(targets: list[Motif], pad: int) -> _Collection:
    blocks = [t.frequencies(pseudocount=0.01) for t in targets]
    blocks += [t.reverse_complement().frequencies(pseudocount=0.01) for t in targets]
    lengths = np.array([b.shape[0] for b in blocks])
    starts = pad + np.concatenate([[0], np.cumsum(lengths)[:-1]])
    cols = np.concatenate([np.full((pad, 4), 0.25), *blocks, np.full((pad, 4), 0.25)])
    return _Collection(cols, starts, lengths)


def _alignments(lq: int, lengths: np.ndarray, min_overlap: int) -> tuple[np.ndarray, ...]:
    """Every (target strand, offset) with at least ``min(min_overlap, Lq, Lt)`` aligned columns.

    Returns:
        ``(strand index, offset, i0, i1)`` arrays: query columns ``i0..i1-1`` face target columns
        ``i0 + offset ..``.
    """
    idx, offs = [], []
    for t, lt in enumerate(lengths):
        mo = min(min_overlap, lq, int(lt))
        o = np.arange(-(lq - mo), int(lt) - mo + 1)
        idx.append(np.full(o.size, t))
        offs.append(o)
    ti, off = np.concatenate(idx), np.concatenate(offs)
    i0 = np.maximum(0, -off)
    i1 = np.minimum(lq, lengths[ti] - off)
    return ti, off, i0, i1


@check_args
def alignment_pvalues(
    query: Motif, targets: list[Motif], min_overlap: int = 5, metric: str = "pearson"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The best alignment of ``query`` with each target and its corrected p-value.

    Returns:
        ``(pvalue, score, offset, strand (0 = +, 1 = -), overlap)``, each ``(len(targets),)``.
    """
    n = len(targets)
    q = query.frequencies(pseudocount=0.01)
    lq = q.shape[0]
    coll = _layout(targets, lq)
    sim = column_scores(q, coll.columns, metric)  # (Lq, columns)
    isim = np.rint(np.clip(sim, -1.0, 1.0) * RESOLUTION).astype(np.int64)
    inner = np.concatenate([np.arange(s, s + ln) for s, ln in zip(coll.starts, coll.lengths, strict=True)])
    table, shift = _survival_tables(isim[:, inner])
    # diagonal sums as column sums of row-shifted scores: row i moved left by i, then summed cumulatively
    width = coll.columns.shape[0] - lq
    ints = np.zeros((lq + 1, width), dtype=np.int64)
    reals = np.zeros((lq + 1, width))
    for i in range(lq):
        ints[i + 1] = ints[i] + isim[i, i : i + width]
        reals[i + 1] = reals[i] + sim[i, i : i + width]
    ti, off, i0, i1 = _alignments(lq, coll.lengths, min_overlap)
    c = coll.starts[ti] + off
    s_int = ints[i1, c] - ints[i0, c]
    p = table[i0, i1, s_int + shift]
    # best alignment per target (both strands), and the number of alignments tried
    target = ti % n
    order = np.lexsort((-(reals[i1, c] - reals[i0, c]), p, target))
    first = order[np.r_[0, np.flatnonzero(np.diff(target[order])) + 1]]
    tries = np.bincount(target, minlength=n)
    p_min = p[first]
    with np.errstate(divide="ignore"):
        corrected = -np.expm1(tries * np.log1p(-np.minimum(p_min, 1.0 - 1e-16)))
    corrected = np.where(p_min >= 1.0, 1.0, np.clip(corrected, p_min, 1.0))
    score = reals[i1[first], c[first]] - reals[i0[first], c[first]]
    return corrected, score, off[first], (ti[first] >= n).astype(np.int64), i1[first] - i0[first]


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values."""
    m = p.size
    order = np.argsort(p)
    q = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


@check_args
def search(query: Motif, targets: list[Motif], min_overlap: int = 5, metric: str = "pearson") -> list[Match]:
    """``query`` against every target, sorted by p-value (then score); E-values by ``len(targets)``,
    q-values over the targets."""
    if not targets:
        return []
    p, score, offset, strand, overlap = alignment_pvalues(query, targets, min_overlap, metric)
    q = _bh(p)
    return [
        Match(
            targets[k].id,
            targets[k].name,
            int(offset[k]),
            "-" if strand[k] else "+",
            float(score[k]),
            int(overlap[k]),
            float(p[k]),
            float(p[k] * len(targets)),
            float(q[k]),
        )
        for k in np.lexsort((-score, p))
    ]


@check_args
def compare_motifs(
    queries: list[Motif], targets: list[Motif], top: int = 3, min_overlap: int = 5
) -> dict[str, list[Match]]:
    """Tomtom-style comparison of each query with every target (see the module docstring).

    Returns:
        For each query ID, its ``top`` matches sorted by p-value (then score).
    """
    return {q.id: search(q, targets, min_overlap)[:top] for q in queries}
