"""Multiple-testing corrections: Benjamini-Hochberg q-values, also over a histogram of tests."""

from __future__ import annotations

import numpy as np

from carrousel.core.errors import DataError, ShapeError

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(
    pvalues: np.ndarray, n_tests: float | None = None, counts: np.ndarray | None = None
) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values): ``q_i = min over p_j >= p_i of p_j m / rank_j``.

    Tied p-values share the largest rank, so this equals ``scipy.stats.false_discovery_control``. Two
    extensions serve large scans that cannot keep every test:

    * ``counts`` gives each p-value a multiplicity (e.g. ``pvalues`` are the p-values of score bins and
      ``counts`` the histogram of tested scores); an entry with count 0 gets the q-value of the nearest
      counted p-value at or above its own (1 when there is none).
    * ``n_tests`` (m) may exceed the tests given: the others count as larger p-values. The q-values are
      then exact wherever they are at most the smallest p-value left out, and upper bounds elsewhere.

    Args:
        pvalues: ``(n,)`` p-values, any order.
        n_tests: m, the number of tests (default: ``counts.sum()``, or ``n``).
        counts: ``(n,)`` non-negative multiplicities (default: one each).

    Returns:
        ``(n,)`` float64 q-values in the order of ``pvalues``, at most 1 (all 1 when m is 0).

    Raises:
        ShapeError: ``pvalues`` is not 1-D or ``counts`` has another shape.
        DataError: a p-value that is NaN or outside ``[0, 1]``.

    Example:
        >>> benjamini_hochberg(np.array([0.01, 0.001, 0.5]))
        array([0.015, 0.003, 0.5  ])
    """
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise ShapeError(f"benjamini_hochberg: p-values must be 1-D, got shape {p.shape}")
    bad = ~((p >= 0.0) & (p <= 1.0))  # NaN included: one made every q-value NaN, the valid ones too
    if bad.any():
        raise DataError(
            f"benjamini_hochberg: p-values must lie in [0, 1], got {int(bad.sum())} outside (first: "
            f"{p[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}); drop or fix those tests first"
        )
    c = np.ones(p.size) if counts is None else np.asarray(counts, dtype=np.float64)
    if c.shape != p.shape:
        raise ShapeError(f"benjamini_hochberg: counts {c.shape} do not match p-values {p.shape}")
    m = float(c.sum()) if n_tests is None else float(n_tests)
    if p.size == 0:
        return p.copy()
    if m == 0:
        return np.ones_like(p)
    counted = c > 0
    order = np.lexsort((counted, p))  # by p; within ties, uncounted entries first (they take the tie's q)
    rank = np.cumsum(c[order])  # tests with a p-value at most this one's
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(counted[order], p[order] * m / np.maximum(rank, 1.0), np.inf)
    q = np.minimum.accumulate(raw[::-1])[::-1]  # q_i = min over j >= i (larger p-values)
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out
