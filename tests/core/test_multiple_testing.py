"""Benjamini-Hochberg q-values: against SciPy, with multiplicities, with tests left out."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from carrousel.core.errors import ShapeError
from carrousel.core.metrics import benjamini_hochberg


def test_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(0)
    p = np.round(rng.random(500) ** 3, 3)  # many ties
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"), rtol=1e-12)
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.01, 0.001, 0.5]), 3), [0.015, 0.003, 0.5])


def test_counts_equal_the_expanded_tests() -> None:
    rng = np.random.default_rng(1)
    bins = np.sort(rng.random(40))[::-1]  # p-values of score bins, falling as the score rises
    counts = rng.integers(0, 5, size=40)
    counts[[3, 17]] = 0
    q = benjamini_hochberg(bins, counts=counts)
    expanded = np.repeat(bins, counts)
    want = false_discovery_control(expanded, method="bh")
    for i in np.flatnonzero(counts):
        assert q[i] == pytest.approx(want[np.flatnonzero(expanded == bins[i])[0]], rel=1e-12)
    # an uncounted bin takes the q-value of the nearest counted p-value above it
    above = [j for j in np.flatnonzero(counts) if bins[j] >= bins[3]]
    assert q[3] == q[min(above, key=lambda j: bins[j])]


def test_tests_left_out_and_edges() -> None:
    p = np.array([1e-6, 1e-4, 0.3])
    np.testing.assert_allclose(benjamini_hochberg(p, n_tests=1000), [1e-3, 1e-4 * 1000 / 2, 1.0])
    assert benjamini_hochberg(np.zeros(0)).size == 0
    np.testing.assert_array_equal(benjamini_hochberg(p, counts=np.zeros(3)), np.ones(3))
    with pytest.raises(ShapeError):
        benjamini_hochberg(np.ones((2, 2)))
    with pytest.raises(ShapeError):
        benjamini_hochberg(p, counts=np.ones(2))


@pytest.mark.parametrize("bad", [float("nan"), 1.5, -0.01])
def test_p_values_outside_zero_one_are_refused(bad: float) -> None:
    """One NaN p-value made every q-value NaN, the valid ones too ([0.01, nan] -> [nan, nan]), and p-values
    outside [0, 1] were adjusted as if valid, without a word (SciPy's false_discovery_control refuses them)."""
    from carrousel.core.errors import DataError

    with pytest.raises(
        DataError, match=r"p-values must lie in \[0, 1\], got 1 outside \(first: .* at index 1\)"
    ):
        benjamini_hochberg(np.array([0.01, bad, 0.2]))
    with pytest.raises(ValueError):  # what SciPy says of the same input
        false_discovery_control(np.array([0.01, bad, 0.2]), method="bh")
