"""Several models decoded as one: a step function over the members' step functions.

Ensembling independently trained models is the usual way to make an autoregressive model surer of itself
and more robust (OpenNMT-py's and fairseq's ``--model a b c``): at every step each member sees the same
prefix, and the next label is drawn from the average of their distributions,
``log p(y) = log sum_m w_m p_m(y)`` (weights normalised to sum to 1). :class:`EnsembleStep` does that for
any step functions of :mod:`carrousel.core.decode.search`; the state it passes around is the tuple of the
members' states, so :func:`~carrousel.core.decode.greedy_search` and
:func:`~carrousel.core.decode.beam_search` reorder every member's state with the beams.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from carrousel.core.decode.search import StepFunction, checked_step
from carrousel.core.errors import ConfigError, ShapeError

__all__ = ["EnsembleStep"]


class EnsembleStep:
    """A step function averaging the next-label probabilities of ``M`` step functions.

    Args:
        steps: the members' step functions, all over the same labels (``V`` outputs each).
        weights: ``M`` positive weights (normalised to sum to 1); None: equal.

    The state is a tuple of the ``M`` members' states (build it from each member's initial state).
    The extras are the mean of the members' extras where every member returns extras of one shape (say
    ``(N, S)`` attention weights), else the first member's.

    Example:
        >>> import torch
        >>> def a(labels, state):
        ...     return torch.log(torch.tensor([[0.9, 0.1]])).expand(len(labels), 2), state
        >>> def b(labels, state):
        ...     return torch.log(torch.tensor([[0.1, 0.9]])).expand(len(labels), 2), state
        >>> log_probs, _, _ = EnsembleStep([a, b])(torch.zeros(1, dtype=torch.long), (None, None))
        >>> [round(p, 3) for p in log_probs.exp()[0].tolist()]
        [0.5, 0.5]
    """

    def __init__(self, steps: Sequence[StepFunction], weights: Sequence[float] | None = None) -> None:
        if not steps:
            raise ConfigError("an ensemble needs at least one member")
        w = [1.0] * len(steps) if weights is None else [float(x) for x in weights]
        if len(w) != len(steps) or not all(math.isfinite(x) and x > 0 for x in w):
            raise ConfigError(f"ensemble weights must be {len(steps)} finite numbers above 0, got {list(w)}")
        self.steps = list(steps)
        self.log_weights = [math.log(x / sum(w)) for x in w]

    def __call__(self, labels: Tensor, state: Sequence[Any]) -> tuple[Tensor, tuple[Any, ...], Tensor | None]:
        """``(N,)`` labels and the members' states -> ``(N, V)`` mixed log-probs, new states, extras."""
        if not isinstance(state, tuple | list) or len(state) != len(self.steps):
            raise ShapeError(f"the ensemble's state must be a tuple of {len(self.steps)} member states")
        mixed: list[Tensor] = []
        states: list[Any] = []
        extras: list[Tensor | None] = []
        for step, s, lw in zip(self.steps, state, self.log_weights, strict=True):
            # each member checked as a lone step
            log_probs, new, extra = checked_step(step, labels, s, len(labels))
            if mixed and log_probs.shape != mixed[0].shape:
                raise ShapeError(
                    f"ensemble members disagree on the output shape: {tuple(mixed[0].shape)} vs "
                    f"{tuple(log_probs.shape)}; every member needs the same labels (vocabulary)"
                )
            mixed.append(log_probs.float() + lw)
            states.append(new)
            extras.append(extra)
        extra_out = extras[0]  # the mean where all members return extras of one shape, else the first's
        if extra_out is not None and all(e is not None and e.shape == extra_out.shape for e in extras):
            extra_out = torch.stack([e for e in extras if e is not None]).float().mean(dim=0)
        return torch.logsumexp(torch.stack(mixed), dim=0), tuple(states), extra_out
