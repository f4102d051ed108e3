"""Minimum-Bayes-risk (consensus) selection among candidate outputs.

Given candidates ``c_1..c_C`` (the n-best of a search, the outputs of other systems) and a belief
``w_1..w_C >= 0`` over them, MBR picks the candidate of highest expected utility against the others
(Kumar & Byrne 2004; Eikema & Aziz 2020 for neural translation)::

    E_i = sum_j w_j u(c_i, c_j) / sum_j w_j        pick argmax_i E_i (the lowest index among ties)

``u(hyp, ref)`` is any similarity (sentence chrF or BLEU for text); it need not be symmetric. A candidate
with weight 0 is still a candidate (a hypothesis), only not evidence. The sum includes ``j = i``, so with
one candidate of weight or a single candidate the pick is that candidate, and with a utility of 1 for
equal and 0 for different candidates MBR is the candidate of highest weight (MAP).

:func:`mbr_select` scores candidates through a utility function; :func:`mbr_from_matrix` takes the
``(C, C)`` utilities computed elsewhere (batched, or cached features); :func:`mbr_weights` turns
log-probabilities into weights with a temperature (``T > 1`` flattens the belief).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from carrousel.core.errors import ConfigError, ShapeError

__all__ = ["MBRChoice", "mbr_from_matrix", "mbr_select", "mbr_weights"]

T = TypeVar("T")


@dataclass(frozen=True)
class MBRChoice:
    """The outcome of an MBR selection.

    Attributes:
        index: the chosen candidate.
        expected: ``(C,)`` expected utility of every candidate under the weights.
    """

    index: int
    expected: np.ndarray


def mbr_weights(log_probs: Sequence[float], temperature: float = 1.0) -> np.ndarray:
    """Normalised weights ``(C,)``: ``softmax(log_probs / temperature)``.

    Args:
        log_probs: ``C`` log-probabilities (or any log-scores) of the candidates.
        temperature: ``> 0``; 1 keeps the model's probabilities, larger values flatten them, ``inf``
            gives uniform weights.

    Raises:
        ConfigError: the temperature is not > 0 or there is no candidate.
    """
    if not temperature > 0:
        raise ConfigError(f"temperature must be > 0, got {temperature}")
    lp = np.asarray(log_probs, dtype=np.float64)
    if lp.ndim != 1 or lp.size == 0:
        raise ConfigError("mbr_weights needs a non-empty list of log-probabilities")
    if math.isinf(temperature):
        return np.full(lp.size, 1.0 / lp.size)
    z = lp / temperature
    z = np.exp(z - z.max())
    return np.asarray(z / z.sum())


def mbr_from_matrix(utilities: np.ndarray, weights: Sequence[float]) -> MBRChoice:
    """MBR over precomputed utilities.

    Args:
        utilities: ``(C, C)`` with ``utilities[i, j] = u(c_i as hypothesis, c_j as reference)``.
        weights: ``(C,)`` non-negative weights (not all 0), normalised here.

    Returns:
        The :class:`MBRChoice`; among equal expected utilities the lowest index wins.

    Raises:
        ShapeError: the shapes disagree.
        ConfigError: a weight is negative or not finite, or all are 0.
    """
    u = np.asarray(utilities, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != u.shape[1] or w.shape != (u.shape[0],) or w.size == 0:
        raise ShapeError(f"need (C, C) utilities and (C,) weights with C >= 1, got {u.shape} and {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ConfigError("MBR weights must be finite, >= 0 and not all 0")
    expected = u @ (w / w.sum())
    best = int(np.flatnonzero(expected >= expected.max() - 1e-12)[0])
    return MBRChoice(best, expected)


def mbr_select(
    candidates: Sequence[T], weights: Sequence[float], utility: Callable[[T, T], float]
) -> MBRChoice:
    """MBR over ``candidates`` with ``utility(hypothesis, reference)``.

    Args:
        candidates: ``C >= 1`` candidates of any type.
        weights: ``(C,)`` non-negative belief over them (normalised here; 0: candidate, not evidence).
        utility: ``u(hyp, ref)``, higher is better; called ``C * C`` times (a candidate against itself
            included), so pass :func:`mbr_from_matrix` cached utilities for expensive ones.

    Returns:
        The :class:`MBRChoice`; among equal expected utilities the lowest index (list the preferred
        candidate, the search's best, first).
    """
    n = len(candidates)
    if n == 0:
        raise ShapeError("MBR needs at least one candidate")
    u = np.array([[utility(h, r) for r in candidates] for h in candidates], dtype=np.float64).reshape(n, n)
    return mbr_from_matrix(u, weights)
