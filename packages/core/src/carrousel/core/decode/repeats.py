"""A repetition guard for greedy and beam search: no sequence may repeat an n-gram of its own.

OpenNMT-py's ``block_ngram_repeat`` and fairseq's ``no_repeat_ngram_size``: at every step, each label
that would complete an ``n``-gram the sequence has already emitted gets log-probability ``-inf``, so a
decoder caught in a loop (``a b c a b c ...``) must leave it after at most ``n - 1`` repeated labels.
``eos`` is never blocked (it is never part of an emitted sequence), so every sequence can still end.

:class:`NgramBlockedStep` wraps a step function and carries each sequence's emitted labels inside the
search state, so :func:`~carrousel.core.decode.greedy_search` and
:func:`~carrousel.core.decode.beam_search` reorder, expand and drop them with the rest of the state and
need no change::

    blocked = NgramBlockedStep(model.step, 4)
    hyps = beam_search(blocked, blocked.start(state), bos, eos, max_len, 5)

The log-probabilities of the labels left open are not renormalised (as in OpenNMT-py and fairseq), so a
hypothesis's ``log_prob`` is still the model's own score of its labels.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.decode.search import StepFunction, checked_step
from carrousel.core.errors import ConfigError

__all__ = ["NgramBlockedStep", "blocked_labels"]


@check_args
def blocked_labels(emitted: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """The labels that would complete an ``n``-gram each row of ``emitted`` already holds.

    Args:
        emitted: ``(N, T)`` int64 labels each sequence has emitted so far, oldest first.
        n: the n-gram size, >= 1 (1: no label may be emitted twice).

    Returns:
        ``(rows, labels)``: two ``(M,)`` int64 tensors, row ``rows[m]`` may not emit ``labels[m]`` next
        (pairs may repeat).

    Example:
        >>> rows, labels = blocked_labels(torch.tensor([[7, 8, 9, 7, 8]]), 3)
        >>> rows.tolist(), labels.tolist()
        ([0], [9])
    """
    if n < 1:
        raise ConfigError(f"the n-gram size must be >= 1, got {n}")
    return _blocked(emitted, n)


def _blocked(emitted: Tensor, n: int) -> tuple[Tensor, Tensor]:
    T = emitted.shape[1]
    empty = emitted.new_empty((0,))
    if n > T:  # no complete n-gram yet
        return empty, empty
    windows = emitted.unfold(1, n, 1)  # (N, T - n + 1, n)
    suffix = emitted[:, T - n + 1 :]  # (N, n - 1): the last n - 1 labels (none for n = 1: every window)
    match = (windows[:, :, : n - 1] == suffix.unsqueeze(1)).all(dim=2)  # (N, T - n + 1)
    rows, at = match.nonzero(as_tuple=True)
    return rows, windows[rows, at, n - 1]


class NgramBlockedStep:
    """A step function that forbids every label completing an ``n``-gram its sequence already emitted.

    Its state is ``(inner state, emitted labels)``: start a search with :meth:`start`. The emitted labels
    are a ``(N, t)`` int64 tensor (``(t, N)`` with ``batch_dim=1``) whose first column is the first label
    fed (``bos``), never counted as emitted.

    Args:
        step: the step function to guard (see :mod:`carrousel.core.decode.search`).
        n: the n-gram size, >= 1.
        batch_dim: the batch dimension of the search's state tensors (its ``state_batch_dim``), 0 or 1.
    """

    @check_args
    def __init__(self, step: StepFunction, n: int, batch_dim: int = 0) -> None:
        if n < 1:
            raise ConfigError(f"block_ngram_repeat must be >= 1 to block anything, got {n}")
        if batch_dim not in (0, 1):
            raise ConfigError(f"batch_dim must be 0 or 1, got {batch_dim}")
        self.step, self.n, self.batch_dim = step, n, batch_dim

    def start(self, state: Any) -> tuple[Any, None]:
        """The search's initial state: ``state`` with no label fed yet."""
        return state, None

    def __call__(self, labels: Tensor, state: Any) -> tuple[Tensor, Any, Tensor | None]:
        """One step of the guarded function: its log-probs with the blocked labels at ``-inf``.

        Args:
            labels: ``(N,)`` int64, the label each sequence emitted last (``bos`` at the first step).
            state: ``(inner state, fed labels or None)``.

        Returns:
            ``(N, V)`` log-probs, the new state and the inner step's extras (or None).
        """
        inner, fed = state
        column = labels.unsqueeze(1) if self.batch_dim == 0 else labels.unsqueeze(0)
        fed = column if fed is None else torch.cat([fed, column], dim=1 - self.batch_dim)
        # checked as a lone step
        log_probs, inner, extras = checked_step(self.step, labels, inner, len(labels))
        emitted = (fed if self.batch_dim == 0 else fed.t())[:, 1:]  # (N, t): without the first label fed
        rows, banned = _blocked(emitted.to(log_probs.device), self.n)
        if rows.numel():
            log_probs = log_probs.clone()
            log_probs[rows, banned] = -math.inf
        return log_probs, (inner, fed), extras
