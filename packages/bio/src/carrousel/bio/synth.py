"""Synthetic sequence: dinucleotide shuffles (null windows, negatives), motif instances sampled from a
matrix, and planting them into windows. The training sets built from them are in :mod:`carrousel.bio.data`.

Functions that draw take a ``numpy.random.Generator`` so a fixed seed gives the same data every time.
"""

from __future__ import annotations

import numpy as np

from carrousel.bio.fasta import reverse_complement
from carrousel.bio.motifs import Motif

__all__ = ["dinucleotide_shuffle", "plant", "sample_instance"]


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
