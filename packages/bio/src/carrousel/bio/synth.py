"""Synthetic sequence: dinucleotide shuffles (null windows, negatives), motif instances sampled from a
matrix, and planting them into windows. The training sets built from them are in :mod:`carrousel.bio.data`.

Functions that draw take a ``numpy.random.Generator`` so a fixed seed gives the same data every time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from carrousel.bio.config import SynthConfig
from carrousel.bio.fasta import reverse_complement
from carrousel.bio.motifs import Motif
from carrousel.core.args import check_args

__all__ = ["dinucleotide_shuffle", "dinucleotide_shuffle_runs", "plant", "plant_dataset", "sample_instance"]


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


def dinucleotide_shuffle_runs(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A dinucleotide shuffle of each run of A/C/G/T of ``codes``, N (codes >= 4) left in place."""
    out = np.array(codes, dtype=np.uint8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (out < 4).view(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        out[a:b] = dinucleotide_shuffle(out[a:b], rng)
    return out


def sample_instance(motif: Motif, rng: np.random.Generator, sharpen: float = 1.0) -> np.ndarray:
    """A site drawn from the motif's frequencies (``sharpen`` > 1 favours the consensus)."""
    f = motif.frequencies(pseudocount=0.05) ** sharpen
    f = f / f.sum(axis=1, keepdims=True)
    u = rng.random(motif.length)
    return (u[:, None] > np.cumsum(f, axis=1)).sum(axis=1).clip(0, 3).astype(np.uint8)


@check_args
def plant(window: np.ndarray, site: np.ndarray, pos: int, strand: int) -> np.ndarray:
    """Writes ``site`` (or its reverse complement for strand -1) into ``window`` at ``pos`` (in place)."""
    window[pos : pos + site.size] = site if strand == 1 else reverse_complement(site)
    return window


def plant_dataset(
    motifs: Sequence[Motif], bg: np.ndarray, cfg: SynthConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The planted training set of :func:`carrousel.bio.data.planted_dataset` from its background windows.

    Args:
        motifs: one task per motif.
        bg: ``(n_per_motif * K + n_background + n_decoy, window)`` genome windows without N.
        cfg: the numbers of each kind of window.
        rng: random generator (the one that drew ``bg``).

    Returns:
        ``(x (N, window) uint8 codes, y (N, K) float32 multi-task labels)``, shuffled.
    """
    K = len(motifs)
    w = bg.shape[1]
    n_pos = cfg.n_per_motif * K
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
