"""The statistics of ``bio enrich``'s 2x2 table (:mod:`carrousel.bio.enrich`): the one-sided
hypergeometric p-value (Fisher's exact test) summed in log space, and the fold enrichment."""

from __future__ import annotations

import functools
import math

import numpy as np

from carrousel.core.args import check_args

__all__ = ["fold_enrichment", "hypergeometric_log_sf"]


@check_args
def hypergeometric_log_sf(k: int, n: int, hits: int, total: int) -> float:
    """Natural log of ``P(X >= k)`` for ``X ~ Hypergeometric``: ``n`` sequences drawn (the targets) from
    ``total`` (targets and background) of which ``hits`` hold a hit; the one-sided Fisher exact test of
    the 2x2 table. Summed in log space over the upper tail (``math.lgamma``), so it never underflows.

    Args:
        k: targets with a hit.
        n: targets.
        hits: sequences with a hit, targets and background together.
        total: all sequences.

    Returns:
        ``log P(X >= k)``, at most 0 (0 where ``k`` is at most the smallest possible count).

    Raises:
        ValueError: counts that do not fit together (negative, ``k > n``, ``n > total``...).
    """
    if not (0 <= k <= n <= total and 0 <= hits <= total and k <= hits):
        raise ValueError(f"impossible counts: {k} of {n} targets, {hits} of {total} sequences with a hit")
    low = max(0, n + hits - total)  # the fewest targets that can hold a hit
    high = min(n, hits)
    if k <= low:
        return 0.0

    lf = _log_factorials(total)

    def log_choose(a: int, b: np.ndarray) -> np.ndarray:
        return lf[a] - lf[b] - lf[a - b]

    i = np.arange(k, high + 1)
    terms = log_choose(hits, i) + log_choose(total - hits, n - i) - log_choose(total, np.array([n]))[0]
    top = float(terms.max())
    return min(0.0, top + math.log(float(np.exp(terms - top).sum())))


@functools.lru_cache(maxsize=8)
def _log_factorials(n: int) -> np.ndarray:
    """``(n + 1,)`` float64 ``log(i!)`` for ``i = 0..n`` (``math.lgamma(i + 1)``)."""
    return np.array([math.lgamma(i + 1.0) for i in range(n + 1)], dtype=np.float64)


@check_args
def fold_enrichment(target_hits: int, targets: int, background_hits: int, background: int) -> float:
    """Target fraction over background fraction, the background's count floored at 0.5 (finite)."""
    return (target_hits / targets) / (max(background_hits, 0.5) / background)
