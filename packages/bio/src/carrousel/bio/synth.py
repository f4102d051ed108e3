"""Training data: dinucleotide shuffling, genomic background windows, planted motif instances, decoys,
GC-matched background for peaks.

All functions take a ``numpy.random.Generator`` so a fixed seed gives the same data every time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from carrousel.bio.config import SynthConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta import iter_records, reverse_complement
from carrousel.bio.motifs import Motif

__all__ = [
    "dinucleotide_shuffle",
    "gc_matched_windows",
    "genome_windows",
    "merge_intervals",
    "plant",
    "planted_dataset",
    "sample_instance",
]

logger = logging.getLogger(__name__)


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random sequence with exactly the same dinucleotide counts (Altschul-Erickson / Kandel et al.).

    Args:
        codes: ``(n,)`` codes 0..3 (N is treated as its own letter and kept in the multiset).
        rng: random generator.

    Returns:
        ``(n,)`` uint8 codes, same first and last letter, same dinucleotide multiset.
    """
    n = codes.size
    if n < 3:
        return codes.copy()
    seq = codes.astype(np.int64)
    letters = np.unique(seq)
    last = int(seq[-1])
    edges: dict[int, list[int]] = {int(a): [] for a in letters}
    for a, b in zip(seq[:-1].tolist(), seq[1:].tolist(), strict=True):
        edges[a].append(b)
    # choose a last exit edge per vertex (except the final letter) forming a tree rooted at `last`
    while True:
        last_edge: dict[int, int] = {}
        for v, out in edges.items():
            if v != last and out:
                last_edge[v] = int(out[rng.integers(len(out))])
        ok = True
        for v in last_edge:
            seen = {v}
            u = v
            while u != last:
                u = last_edge.get(u, last)
                if u in seen:
                    ok = False
                    break
                seen.add(u)
            if not ok:
                break
        if ok:
            break
    lists: dict[int, list[int]] = {}
    for v, out in edges.items():
        rest = list(out)
        if v in last_edge:
            rest.remove(last_edge[v])
        perm = rng.permutation(len(rest))
        shuffled = [rest[i] for i in perm]
        if v in last_edge:
            shuffled.append(last_edge[v])
        lists[v] = shuffled
    pos = {v: 0 for v in lists}
    out_seq = np.empty(n, dtype=np.uint8)
    cur = int(seq[0])
    out_seq[0] = cur
    for i in range(1, n):
        nxt = lists[cur][pos[cur]]
        pos[cur] += 1
        out_seq[i] = nxt
        cur = nxt
    return out_seq


Intervals = dict[str, tuple[np.ndarray, np.ndarray]]
"""Excluded regions per record name: sorted, merged ``(starts, ends)`` arrays, half-open."""


def merge_intervals(intervals: Sequence[tuple[str, int, int]]) -> Intervals:
    """Sorts and merges ``(record, start, end)`` intervals into per-record ``(starts, ends)`` arrays."""
    by_rec: dict[str, list[tuple[int, int]]] = {}
    for rec, a, b in intervals:
        by_rec.setdefault(rec, []).append((int(a), int(b)))
    out: Intervals = {}
    for rec, items in by_rec.items():
        items.sort()
        merged: list[list[int]] = []
        for a, b in items:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        arr = np.array(merged, dtype=np.int64)
        out[rec] = (arr[:, 0], arr[:, 1])
    return out


def _overlaps(excluded: tuple[np.ndarray, np.ndarray] | None, start: int, end: int) -> bool:
    if excluded is None:
        return False
    starts, ends = excluded
    i = int(np.searchsorted(starts, end)) - 1  # last interval starting before the window ends
    return i >= 0 and int(ends[i]) > start


def genome_windows(
    path: str | Path,
    window: int,
    n: int,
    rng: np.random.Generator,
    exclude: Intervals | None = None,
) -> np.ndarray:
    """``(n, window)`` random windows without N from a (small to medium) genome, both strands.

    Args:
        path: FASTA to draw from.
        window: window width.
        n: number of windows.
        rng: random generator.
        exclude: regions (e.g. peaks) that no window may overlap, from :func:`merge_intervals`.

    Raises:
        ScanConfigError: when no record is long enough, or too few clean windows lie outside ``exclude``.
    """
    named = [(name, c) for name, c in iter_records(path) if c.size >= window]
    if not named:
        raise ScanConfigError(f"{path}: no record is at least {window} bases long")
    sizes = np.array([c.size - window + 1 for _, c in named], dtype=np.float64)
    out = np.empty((n, window), dtype=np.uint8)
    filled = tries = 0
    while filled < n:
        tries += 1
        if tries > 200 * n + 10_000:
            raise ScanConfigError(
                f"{path}: found only {filled} of {n} background windows of {window} bp without N outside "
                "the peaks; use a larger genome or give --negatives"
            )
        k = int(rng.choice(len(named), p=sizes / sizes.sum()))
        name, codes = named[k]
        s = int(rng.integers(codes.size - window + 1))
        if exclude is not None and _overlaps(exclude.get(name), s, s + window):
            continue
        w = codes[s : s + window]
        if (w >= 4).any():
            continue
        out[filled] = reverse_complement(w) if rng.random() < 0.5 else w
        filled += 1
    return out


def gc_matched_windows(
    genome: str | Path,
    targets: np.ndarray,
    n_per: int,
    rng: np.random.Generator,
    exclude: Intervals | None = None,
) -> np.ndarray:
    """Genome windows whose GC content matches each target window (within 2.5%, nearest otherwise).

    Args:
        genome: FASTA to draw from.
        targets: ``(m, w)`` codes of the windows to match.
        n_per: background windows per target.
        rng: random generator.
        exclude: regions no background window may overlap (the peaks), from :func:`merge_intervals`.
    """
    w = targets.shape[1]
    pool = genome_windows(genome, w, max(20 * targets.shape[0] * n_per, 2000), rng, exclude)
    pool_gc = ((pool == 1) | (pool == 2)).mean(axis=1)
    order = np.argsort(pool_gc)
    sorted_gc = pool_gc[order]
    tgc = ((targets == 1) | (targets == 2)).mean(axis=1)
    used = np.zeros(pool.shape[0], dtype=bool)
    picks = []
    for g in np.repeat(tgc, n_per):
        j = int(np.searchsorted(sorted_gc, g))
        for d in range(pool.shape[0]):
            cand = [j + d, j - d - 1]
            hit = next((c for c in cand if 0 <= c < pool.shape[0] and not used[order[c]]), None)
            if hit is not None:
                used[order[hit]] = True
                picks.append(order[hit])
                break
    return pool[np.array(picks, dtype=np.int64)]


def sample_instance(motif: Motif, rng: np.random.Generator, sharpen: float = 1.0) -> np.ndarray:
    """A site drawn from the motif's frequencies (``sharpen`` > 1 favours the consensus)."""
    f = motif.frequencies(pseudocount=0.05) ** sharpen
    f = f / f.sum(axis=1, keepdims=True)
    u = rng.random(motif.length)
    return (u[:, None] > np.cumsum(f, axis=1)).sum(axis=1).clip(0, 3).astype(np.uint8)


def plant(window: np.ndarray, site: np.ndarray, pos: int, strand: int) -> np.ndarray:
    """Writes ``site`` (or its reverse complement for strand -1) into ``window`` at ``pos`` (in place)."""
    window[pos : pos + site.size] = site if strand == 1 else reverse_complement(site)
    return window


def planted_dataset(
    motifs: Sequence[Motif], genome: str | Path, cfg: SynthConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Planted training set: motif instances in real genomic windows, with three kinds of negatives.

    Positives: a genomic window with one instance of motif ``k`` (sampled from its frequencies, random
    strand and position), sometimes a second motif as well. Negatives: dinucleotide-shuffled positives,
    plain genomic windows, and windows with a decoy (the motif's columns shuffled) planted.

    Returns:
        ``(x (N, window) uint8 codes, y (N, K) float32 multi-task labels)``.
    """
    cfg = cfg or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    K = len(motifs)
    w = cfg.window
    if max(m.length for m in motifs) > w:
        raise ScanConfigError(f"a motif is longer than the training window ({w})")
    n_pos = cfg.n_per_motif * K
    n_bg = n_pos + cfg.n_background + cfg.n_decoy
    bg = genome_windows(genome, w, n_bg, rng)
    x_pos = bg[:n_pos].copy()
    y_pos = np.zeros((n_pos, K), dtype=np.float32)
    for i in range(n_pos):
        ks = [i % K]
        if rng.random() < cfg.multi_fraction:
            ks.append(int((i % K + 1 + rng.integers(K - 1)) % K) if K > 1 else i % K)
        taken: list[tuple[int, int]] = []
        for k in ks:
            m = motifs[k]
            for _ in range(20):
                pos = int(rng.integers(w - m.length + 1))
                if all(pos + m.length <= a or pos >= b for a, b in taken):
                    break
            taken.append((pos, pos + m.length))
            plant(x_pos[i], sample_instance(m, rng, 1.5), pos, 1 if rng.random() < 0.5 else -1)
            y_pos[i, k] = 1.0
    shuf_src = x_pos[rng.integers(n_pos, size=cfg.n_shuffled)]
    x_shuf = (
        np.stack([dinucleotide_shuffle(s, rng) for s in shuf_src])
        if cfg.n_shuffled
        else np.zeros((0, w), np.uint8)
    )
    x_plain = bg[n_pos : n_pos + cfg.n_background]
    x_decoy = bg[n_pos + cfg.n_background :].copy()
    for i in range(x_decoy.shape[0]):
        m = motifs[int(rng.integers(K))]
        decoy = Motif("decoy", "decoy", m.counts[rng.permutation(m.length)])
        pos = int(rng.integers(w - m.length + 1))
        plant(x_decoy[i], sample_instance(decoy, rng, 1.5), pos, 1 if rng.random() < 0.5 else -1)
    x = np.concatenate([x_pos, x_shuf, x_plain, x_decoy])
    y = np.concatenate([y_pos, np.zeros((x.shape[0] - n_pos, K), dtype=np.float32)])
    order = rng.permutation(x.shape[0])
    return x[order], y[order]
