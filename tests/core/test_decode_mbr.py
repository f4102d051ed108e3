"""Minimum-Bayes-risk selection (carrousel.core.decode.mbr): a hand-computed example, a zero-weight
consensus candidate that wins, MAP as the special case of an exact-match utility, one candidate, weights
from log-probabilities with a temperature, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carrousel.core.decode import mbr_from_matrix, mbr_select, mbr_weights
from carrousel.core.errors import ConfigError, ShapeError

# u[i, j]: candidate i as hypothesis against candidate j as reference
U = np.array([[1.0, 0.2, 0.3], [0.2, 1.0, 0.3], [0.6, 0.6, 1.0]])


def test_hand_computed_example() -> None:
    choice = mbr_from_matrix(U, [0.4, 0.4, 0.2])
    # E_0 = .4*1 + .4*.2 + .2*.3 = .54; E_1 = .54; E_2 = .4*.6 + .4*.6 + .2*1 = .68
    assert np.allclose(choice.expected, [0.54, 0.54, 0.68])
    assert choice.index == 2
    # unnormalised weights give the same expectations (they are normalised)
    assert np.allclose(mbr_from_matrix(U, [2.0, 2.0, 1.0]).expected, choice.expected)


def test_a_candidate_without_weight_can_win_by_consensus() -> None:
    u = U.copy()
    u[2, :2] = 0.7
    choice = mbr_from_matrix(u, [0.5, 0.5, 0.0])
    # E_0 = .5 + .1 = .6, E_1 = .6, E_2 = .7 (its own weight is 0)
    assert np.allclose(choice.expected, [0.6, 0.6, 0.7]) and choice.index == 2


def test_ties_go_to_the_first_candidate() -> None:
    assert mbr_from_matrix(np.ones((3, 3)), [0.1, 0.5, 0.4]).index == 0


def test_exact_match_utility_is_map_and_one_candidate_is_returned() -> None:
    texts = ["a", "b", "c", "b"]
    weights = [0.3, 0.25, 0.2, 0.25]  # "b" twice: 0.5 of the belief
    choice = mbr_select(texts, weights, lambda h, r: float(h == r))
    assert choice.index == 1 and math.isclose(float(choice.expected[1]), 0.5)
    assert mbr_select(["only"], [1.0], lambda h, r: 0.0).index == 0
    assert mbr_select(["only"], [0.0 + 1e-9], lambda h, r: float(h == r)).index == 0


def test_weights_from_log_probabilities() -> None:
    lp = [math.log(0.6), math.log(0.3), math.log(0.1)]
    assert np.allclose(mbr_weights(lp), [0.6, 0.3, 0.1])
    flat = mbr_weights(lp, 2.0)  # p ** (1/2), renormalised
    ref = np.sqrt([0.6, 0.3, 0.1])
    assert np.allclose(flat, ref / ref.sum())
    assert np.allclose(mbr_weights(lp, math.inf), [1 / 3] * 3)
    assert np.allclose(mbr_weights([-1000.0, -1001.0]).sum(), 1.0)  # no underflow


def test_bad_input() -> None:
    with pytest.raises(ConfigError):
        mbr_weights([0.0], 0.0)
    with pytest.raises(ConfigError):
        mbr_weights([], 1.0)
    with pytest.raises(ShapeError):
        mbr_from_matrix(np.ones((2, 3)), [1.0, 1.0])
    with pytest.raises(ShapeError):
        mbr_from_matrix(np.ones((2, 2)), [1.0])
    with pytest.raises(ConfigError):
        mbr_from_matrix(np.ones((2, 2)), [1.0, -0.5])
    with pytest.raises(ConfigError):
        mbr_from_matrix(np.ones((2, 2)), [0.0, 0.0])
    with pytest.raises(ShapeError):
        mbr_select([], [], lambda h, r: 0.0)
