"""Greedy and beam search over a step function.

A *step function* advances ``N`` sequences by one step: given the label each sequence emitted last
(``bos`` at the start) and the state, it returns log-probabilities of the next label and the new state::

    def step(labels: Tensor, state: Any) -> tuple[Tensor, Any] | tuple[Tensor, Any, Tensor | None]:
        # labels (N,) int64; returns log_probs (N, V), new state, optional extras (N, ...)

The state is a tensor or a nested tuple / list / dict of tensors (None and non-tensor leaves allowed) whose
batch dimension is dim 0, or dim 1 with ``state_batch_dim=1`` (``nn.LSTM``'s ``(layers, N, H)``
``(h, c)``). The searches reorder and expand it with :func:`select_state`, so a step function never sees
beams. The optional ``extras`` (attention weights, say) are gathered along each hypothesis and returned
with it as a ``(T, ...)`` tensor.

Shapes use ``B`` batch items, ``K`` beam size, ``N`` rows passed to the step function (``B`` or fewer for
greedy search, ``B*K`` or fewer for beam search: finished items are dropped), ``V`` labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.decode.rows import (
    map_state,
    row_limits,
    select_state,
    state_batch_size,
    state_device,
)
from carrousel.core.device import wide_float
from carrousel.core.errors import ConfigError, ShapeError

__all__ = [
    "Hypothesis",
    "StepFunction",
    "beam_search",
    "checked_step",
    "gnmt_coverage_penalty",
    "gnmt_length_penalty",
    "greedy_search",
    "map_state",
    "select_state",
]


class StepFunction(Protocol):
    """Advances ``N`` sequences by one step (see the module docstring)."""

    def __call__(
        self, labels: Tensor, state: Any, /
    ) -> tuple[Tensor, Any] | tuple[Tensor, Any, Tensor | None]:
        """Maps ``(N,)`` int64 labels and a state to ``(N, V)`` log-probs, the new state and optional
        ``(N, ...)`` extras."""
        ...


@dataclass(frozen=True)
class Hypothesis:
    """One decoded sequence.

    Attributes:
        labels: the emitted labels, without ``bos`` and ``eos``.
        score: the ranking score: ``log_prob`` divided by the length penalty, plus the coverage penalty
            (beam search); equal to ``log_prob`` for greedy search.
        log_prob: the sum of the log-probabilities of ``labels`` and of ``eos`` when ``finished``.
        finished: whether the sequence ended with ``eos`` (False: cut at ``max_len``).
        extras: ``(len(labels), ...)`` the extras the step function returned with each label, or None.
    """

    labels: list[int]
    score: float
    log_prob: float
    finished: bool
    extras: Tensor | None = None


def checked_step(step: StepFunction, labels: Tensor, state: Any, n: int) -> tuple[Tensor, Any, Tensor | None]:
    """``step(labels, state)`` with its result checked: ``(log_probs (n, V), state, extras (n, ...) or None)``.

    Raises:
        ShapeError: the step returned no 2- or 3-tuple, or log-probabilities or extras of another shape.
    """
    out = step(labels, state)
    if not isinstance(out, tuple) or len(out) not in (2, 3):
        raise ShapeError("the step function must return (log_probs, state) or (log_probs, state, extras)")
    log_probs = out[0]
    if not isinstance(log_probs, Tensor) or log_probs.dim() != 2 or log_probs.shape[0] != n:
        shape = tuple(log_probs.shape) if isinstance(log_probs, Tensor) else type(log_probs).__name__
        raise ShapeError(
            f"the step function returned log_probs of shape {shape}; expected (N, V) with N = {n}"
        )
    extras = out[2] if len(out) == 3 else None
    if extras is not None and (extras.dim() == 0 or extras.shape[0] != n):
        raise ShapeError(
            f"the step function returned extras of shape {tuple(extras.shape)}; expected ({n}, ...)"
        )
    return log_probs, out[1], extras


def _check(bos: int, eos: int, min_len: int) -> None:
    if bos < 0 or eos < 0:
        raise ConfigError(f"bos and eos must be label indices >= 0, got {bos} and {eos}")
    if min_len < 0:
        raise ConfigError(f"min_len must be >= 0, got {min_len}")


def _check_vocab(log_probs: Tensor, eos: int) -> int:
    V = log_probs.shape[1]
    if V < 2 or eos >= V:
        raise ShapeError(f"the step function returned {V} labels; need at least 2, with eos={eos} below {V}")
    return V


def _read_best(best: Tensor, best_lp: Tensor, vocab: int) -> tuple[list[int], list[float]]:
    """The labels ``(N,)`` and their log-probabilities ``(N,)`` on the host, in one read of the device.

    Both go back as one wide-float tensor (float64; float32 on MPS), which holds every label below
    ``vocab`` and every log-probability of a float type no wider exactly; otherwise they are read apart.
    """
    wide = wide_float(best.device)
    if (
        not best_lp.is_floating_point()
        or best_lp.dtype.itemsize > wide.itemsize
        or vocab > 2 / torch.finfo(wide).eps  # 2**53 (float64), 2**24 (float32): every integer below is exact
    ):
        return best.tolist(), best_lp.tolist()
    labels, lps = torch.stack([best.to(wide), best_lp.to(wide)]).tolist()
    return [int(label) for label in labels], lps


def gnmt_length_penalty(length: int, alpha: float) -> float:
    """GNMT's length normaliser ``((5 + length) / 6) ** alpha`` (Wu et al., 2016); 1 when ``alpha`` is 0."""
    return ((5.0 + length) / 6.0) ** alpha


def gnmt_coverage_penalty(beta: float, eps: float = 1e-10) -> Callable[[Tensor], float]:
    """GNMT's coverage penalty, for :func:`beam_search`'s ``coverage_penalty``.

    Args:
        beta: weight of the penalty (GNMT used 0.2).
        eps: floor of each position's total attention, so that never attended positions cost
            ``beta * log(eps)`` instead of minus infinity.

    Returns:
        A function of a hypothesis's ``(T, S)`` attention weights (the extras) that returns
        ``beta * sum_s log(min(sum_t a[t, s], 1))``, a value <= 0.
    """

    def penalty(attention: Tensor) -> float:
        total = attention.to(wide_float(attention.device)).sum(dim=0).clamp(min=eps, max=1.0)
        return beta * float(total.log().sum())

    return penalty


@check_args
def greedy_search(
    step: StepFunction,
    state: Any,
    bos: int,
    eos: int,
    max_len: int | Tensor,
    batch_size: int | None = None,
    *,
    min_len: int = 0,
    state_batch_dim: int = 0,
) -> list[Hypothesis]:
    """Decodes a batch by taking the most probable label at every step.

    Sequences that emit ``eos`` are dropped from later step calls.

    Args:
        step: the step function (see the module docstring).
        state: the initial state for ``B`` sequences, or None when the step function keeps none.
        bos: the label fed at the first step.
        eos: the label that ends a sequence.
        max_len: the most steps per sequence (``eos`` included), or a ``(B,)`` integer tensor of each
            sequence's own: a sequence that reaches its limit is cut there, whatever the batch holds.
        batch_size: ``B``; needed only when the state holds no tensor.
        min_len: steps before ``eos`` may be emitted.
        state_batch_dim: the batch dimension of the state tensors, 0 or 1.

    Returns:
        ``B`` hypotheses, one per sequence, with ``score == log_prob``.

    Raises:
        ConfigError: invalid arguments, or no batch size to read.
        ShapeError: a state or step output of the wrong shape.
    """
    _check(bos, eos, min_len)
    B = state_batch_size(state, state_batch_dim, batch_size)
    limits = row_limits(max_len, B)
    rows = [b for b in range(B) if limits[b] > 0]  # the sequence each row belongs to
    labels = torch.full((len(rows),), bos, dtype=torch.long, device=state_device(state))
    if len(rows) < B:
        state = select_state(state, torch.tensor(rows, dtype=torch.long), state_batch_dim)
    emitted: list[list[int]] = [[] for _ in range(B)]
    extras: list[list[Tensor]] = [[] for _ in range(B)]
    log_prob, finished = [0.0] * B, [False] * B
    no_extras: Tensor | None = None  # (0, ...): the extras of a sequence that emitted no label
    for t in range(max(limits[b] for b in rows) if rows else 0):
        log_probs, state, ex = checked_step(step, labels, state, len(rows))
        V = _check_vocab(log_probs, eos)
        if ex is not None and no_extras is None:
            no_extras = ex.new_empty((0, *ex.shape[1:]))
        if t < min_len:
            log_probs = log_probs.clone()
            log_probs[:, eos] = -math.inf
        best_lp, best = log_probs.max(dim=1)
        keep = []
        for r, (b, label, lp) in enumerate(zip(rows, *_read_best(best, best_lp, V), strict=True)):
            log_prob[b] += lp
            if label == eos:
                finished[b] = True
                continue
            emitted[b].append(label)
            if ex is not None:
                extras[b].append(ex[r])
            if t + 1 < limits[b]:
                keep.append(r)
        if not keep:
            break
        labels = best
        if len(keep) < len(rows):
            index = torch.tensor(keep, device=best.device)
            state, labels = select_state(state, index, state_batch_dim), best[index]
            rows = [rows[r] for r in keep]
    return [
        Hypothesis(
            emitted[b],
            log_prob[b],
            log_prob[b],
            finished[b],
            torch.stack(extras[b]) if extras[b] else no_extras,
        )
        for b in range(B)
    ]


@check_args
def beam_search(
    step: StepFunction,
    state: Any,
    bos: int,
    eos: int,
    max_len: int | Tensor,
    beam_size: int = 5,
    *,
    length_penalty: float = 0.0,
    n_best: int = 1,
    min_len: int = 0,
    coverage_penalty: Callable[[Tensor], float] | None = None,
    batch_size: int | None = None,
    state_batch_dim: int = 0,
) -> list[list[Hypothesis]]:
    """Decodes a batch with beam search, all beams of all items in one step call.

    At each step every live beam is extended by every label; per item the ``2K`` best extensions are
    taken, those ending in ``eos`` among the top ``K`` are set aside as finished (never extended again)
    and the ``K`` best others live on. An item stops when it has ``n_best`` finished hypotheses and the
    ``n_best``-th best scores at least as well as any live beam could at any later length (exact when the
    log-probs are <= 0 and the coverage penalty is <= 0), or at its ``max_len``, where its live beams join the
    finished ones as unfinished hypotheses.

    Args:
        step: the step function (see the module docstring); it is called with ``N <= B*K`` rows, the
            beams of item ``b`` in rows ``b*K .. b*K+K-1`` of the items still searching.
        state: the initial state for ``B`` items (expanded to ``K`` beams each), or None.
        bos: the label fed at the first step.
        eos: the label that ends a hypothesis.
        max_len: the most steps per hypothesis (``eos`` included), or a ``(B,)`` integer tensor of each
            item's own: an item's search, and so its result, does not depend on the other items' limits.
            An item whose limit is 0 is never stepped: it gets one empty, unfinished hypothesis (score and
            log-prob 0, no extras), with or without a coverage penalty, which has no attention to measure
            (an EOS-only hypothesis would take a step past the limit).
        beam_size: ``K``, live beams per item.
        length_penalty: GNMT's ``alpha``: scores are ``log_prob / ((5 + length) / 6) ** alpha`` with
            ``length`` the scored steps (``eos`` included); 0 ranks by raw log-prob, larger values favour
            longer hypotheses.
        n_best: hypotheses returned per item, at most ``beam_size``.
        min_len: steps before ``eos`` may be emitted.
        coverage_penalty: maps a hypothesis's ``(T, ...)`` extras to a log-domain term added to its score
            (e.g. :func:`gnmt_coverage_penalty`); needs a step function that returns extras.
        batch_size: ``B``; needed only when the state holds no tensor.
        state_batch_dim: the batch dimension of the state tensors, 0 or 1.

    Returns:
        Per item, its ``n_best`` distinct hypotheses sorted by score, best first.

    Raises:
        ConfigError: invalid arguments, or no batch size to read.
        ShapeError: a state or step output of the wrong shape, or a coverage penalty without extras.
    """
    _check(bos, eos, min_len)
    if beam_size < 1 or not 1 <= n_best <= beam_size:
        raise ConfigError(f"need beam_size >= 1 and 1 <= n_best <= beam_size, got {beam_size} and {n_best}")
    B, K = state_batch_size(state, state_batch_dim, batch_size), beam_size
    limits, device = row_limits(max_len, B), state_device(state)
    items = [b for b in range(B) if limits[b] > 0]  # the item each group of K rows belongs to
    done: list[list[Hypothesis]] = [
        [] if limits[b] > 0 else [Hypothesis([], 0.0, 0.0, False)] for b in range(B)
    ]
    state = select_state(state, torch.tensor(items, dtype=torch.long).repeat_interleave(K), state_batch_dim)
    labels = torch.full((len(items) * K,), bos, dtype=torch.long, device=device)
    wide = wide_float(device)  # beam scores in float64 (float32 on MPS, which has no float64)
    beam_lp = torch.full((len(items), K), -math.inf, dtype=wide, device=device)
    beam_lp[:, 0] = 0.0  # all beams start equal: only the first one is extended at the first step
    history = torch.zeros((len(items), K, 0), dtype=torch.long, device=device)
    ex_history: Tensor | None = None  # (n, K, t, ...) extras along each live beam

    def hypothesis(
        seq: list[int], log_prob: float, length: int, finished: bool, ex: Tensor | None
    ) -> Hypothesis:
        score = log_prob / gnmt_length_penalty(length, length_penalty)
        if coverage_penalty is not None:
            if ex is None:
                raise ShapeError(
                    "coverage_penalty needs extras: return (log_probs, state, attention) from step"
                )
            score += coverage_penalty(ex)
        # a copy: a view of the beams' (n, K, t, ...) history would keep the whole batch's alive with it
        return Hypothesis(seq, score, log_prob, finished, ex.clone() if ex is not None else None)

    for t in range(max(limits[b] for b in items) if items else 0):
        n = len(items)
        log_probs, state, ex = checked_step(step, labels, state, n * K)
        V = _check_vocab(log_probs, eos)
        log_probs = log_probs.to(wide).view(n, K, V)
        if t < min_len:
            log_probs = log_probs.clone()
            log_probs[..., eos] = -math.inf
        top_lp, top = (beam_lp.unsqueeze(2) + log_probs).view(n, K * V).topk(2 * K, dim=1)
        source, label = top // V, top % V
        is_eos = label == eos
        # The K best extensions that do not end in eos live on (there are at least K: one eos per beam).
        order = torch.argsort(is_eos.to(torch.int8), dim=1, stable=True)[:, :K]
        live_source, live_label, live_lp = (
            source.gather(1, order),
            label.gather(1, order),
            top_lp.gather(1, order),
        )
        if ex is not None and ex_history is None:
            ex_history = ex.new_empty((n, K, 0, *ex.shape[1:]))
        ended = is_eos[:, :K] & torch.isfinite(top_lp[:, :K])
        if bool(ended.any()):
            sources, lps = source[:, :K].tolist(), top_lp[:, :K].tolist()
            for i, j in ended.nonzero().tolist():
                s = sources[i][j]
                ex_s = ex_history[i, s] if ex_history is not None else None
                done[items[i]].append(hypothesis(history[i, s].tolist(), lps[i][j], t + 1, True, ex_s))
        rows = torch.arange(n, device=device).unsqueeze(1)
        history = torch.cat([history[rows, live_source], live_label.unsqueeze(2)], dim=2)
        if ex is not None:
            assert ex_history is not None
            new = ex.view(n, K, *ex.shape[1:])[rows, live_source].unsqueeze(2)
            ex_history = torch.cat([ex_history[rows, live_source], new], dim=2)
        beam_lp, labels = live_lp, live_label.reshape(-1)
        # An item is done when its n_best-th finished hypothesis beats the best any live beam can reach:
        # log-probs only fall, so a beam's score is at most its log-prob over the largest penalty ahead.
        # At its own max_len, its live beams join the finished ones as unfinished hypotheses.
        best_live = live_lp[:, 0].tolist()
        keep = []
        for i, b in enumerate(items):
            if t + 1 >= limits[b]:
                for k, lp in enumerate(beam_lp[i].tolist()):
                    if math.isfinite(lp):
                        ex_k = ex_history[i, k] if ex_history is not None else None
                        done[b].append(hypothesis(history[i, k].tolist(), lp, t + 1, False, ex_k))
                continue
            bound = max(best_live[i] / gnmt_length_penalty(L, length_penalty) for L in (t + 2, limits[b]))
            scores = sorted((h.score for h in done[b]), reverse=True)
            if len(scores) < n_best or scores[n_best - 1] < bound:
                keep.append(i)
        reorder = (rows * K + live_source).reshape(-1)
        if not keep:
            break
        if len(keep) < n:
            kept = torch.tensor(keep, device=device)
            reorder = reorder.view(n, K)[kept].reshape(-1)
            beam_lp, labels = beam_lp[kept], labels.view(n, K)[kept].reshape(-1)
            history = history[kept]
            ex_history = ex_history[kept] if ex_history is not None else None
            items = [items[i] for i in keep]
        state = select_state(state, reorder, state_batch_dim)
    return [sorted(hyps, key=lambda h: -h.score)[:n_best] for hyps in done]
