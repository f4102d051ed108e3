"""Attention and pooling over the valid steps of a padded batch.

Shapes use ``B`` batch, ``T`` / ``Tk`` time (keys), ``Tq`` query steps, ``D`` features.

* :func:`masked_softmax`: a softmax whose masked positions get exactly zero weight.
* :class:`AdditiveAttention` (Bahdanau et al. 2015): ``score(q, k) = v^T tanh(W q + U k)``.
* :class:`MultiplicativeAttention` (Luong et al. 2015): ``"dot"`` ``q^T k`` and ``"general"`` ``q^T W k``,
  optionally scaled by ``1/sqrt(d)``.
* Pooling of encoder outputs into one vector per sequence: :func:`last_pool`, :func:`mean_pool`,
  :func:`max_pool` and :class:`AttentionPooling` (a learned query, Yang et al. 2016), all picked by name
  through :class:`Pooling`.

Both attention modules accept a ``(B, Dq)`` query (one query per sequence) or ``(B, Tq, Dq)`` (a query
per decoder step), and valid keys given as a ``(B, Tk)`` boolean mask or ``(B,)`` lengths. In a decoding
loop, project the keys once with :meth:`project_keys` and pass them back as ``projected_keys``.

Padding never influences any result here: padded steps are excluded from every softmax, mean and max.
Lengths and masks may be tensors, lists or NumPy arrays (as the encoder takes them); CPU lengths are
checked to be whole numbers in ``[0, T]`` (others are not read: that would wait for the device).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn.input_shape import input_shape_message, lengths_shape_message
from carrousel.core.nn.lengths import check_host_lengths, mask_from_lengths, resolve_mask

__all__ = [
    "POOLINGS",
    "AdditiveAttention",
    "AttentionOutput",
    "AttentionPooling",
    "MultiplicativeAttention",
    "Pooling",
    "last_pool",
    "mask_from_lengths",
    "masked_softmax",
    "max_pool",
    "mean_pool",
    "resolve_mask",
]

POOLINGS = ("last", "mean", "max", "attention")


class AttentionOutput(NamedTuple):
    """What the attention modules return.

    Attributes:
        context: ``(B, Dv)`` for a ``(B, Dq)`` query, ``(B, Tq, Dv)`` for a ``(B, Tq, Dq)`` query.
        weights: ``(B, Tk)`` or ``(B, Tq, Tk)``; each row sums to 1 over valid keys and is exactly 0
            at masked keys.
    """

    context: Tensor
    weights: Tensor


def _check_sizes(owner: str, **sizes: int) -> None:
    """Feature sizes >= 1 (``attention_size`` >= 0, 0 being its default): was torch's "negative dimension"."""
    for name, size in sizes.items():
        if size < (low := 0 if name == "attention_size" else 1):
            raise ConfigError(f"{owner}: {name} must be >= {low}, got {size}")


def masked_softmax(scores: Tensor, mask: Tensor | None, dim: int = -1) -> Tensor:
    """Softmax over ``dim`` in which positions where ``mask`` is False get exactly zero weight.

    Args:
        scores: any shape.
        mask: boolean, broadcastable to ``scores``; None for a plain softmax.
        dim: the dimension to normalise.

    Returns:
        Weights of the shape of ``scores``. A row with no valid position is all zeros (not NaN).
    """
    if mask is None:
        return torch.softmax(scores, dim=dim)
    mask = mask.expand_as(scores)
    filled = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(filled, dim=dim)
    return weights.masked_fill(~mask, 0.0)


def _attend(scores: Tensor, values: Tensor, mask: Tensor | None, single: bool) -> AttentionOutput:
    # scores (B, Tq, Tk), values (B, Tk, Dv), mask (B, Tk)
    if mask is not None:
        values = values.masked_fill(~mask.unsqueeze(-1), 0.0)  # so that even NaN padding cannot leak in
    weights = masked_softmax(scores, mask.unsqueeze(1) if mask is not None else None)
    context = torch.bmm(weights, values)
    if single:
        return AttentionOutput(context.squeeze(1), weights.squeeze(1))
    return AttentionOutput(context, weights)


def _prepare(
    query: Tensor, keys: Tensor, values: Tensor | None, mask: Tensor | None, lengths: Tensor | None
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, bool]:
    if keys.dim() != 3:
        raise ShapeError(input_shape_message(tuple(keys.shape), None, name="keys"))
    single = query.dim() == 2
    q = query.unsqueeze(1) if single else query
    if q.dim() != 3 or q.shape[0] != keys.shape[0]:
        raise ShapeError(_query_message(tuple(query.shape), keys.shape[0]))
    v = keys if values is None else values
    if v.dim() != 3:
        raise ShapeError(input_shape_message(tuple(v.shape), None, name="values"))
    if v.shape[:2] != keys.shape[:2]:
        B, Tk = keys.shape[:2]
        raise ShapeError(
            f"values must be (batch, time, features) = ({B}, {Tk}, ...) like keys, got shape "
            f"{tuple(v.shape)}; "
            "give one value vector per key, or values=None to average the keys themselves"
        )
    m = resolve_mask(keys.shape[0], keys.shape[1], keys.device, mask, lengths)
    if m is not None:  # zeros at padded keys: a NaN there reaches neither the scores nor any gradient
        keys = keys.masked_fill(~m.unsqueeze(-1), 0.0)
    return q, keys, v, m, single


def _query_message(shape: tuple[int, ...], B: int) -> str:
    """A query of the wrong shape for keys of batch ``B``, with the likely fix."""
    said = f"query must be (batch, features) or (batch, steps, features) with batch {B}, got shape {shape}"
    if len(shape) == 1:
        return f"{said}; for one sequence add the batch dimension: query.unsqueeze(0)"
    if len(shape) in (2, 3):
        return f"{said}; give one query per sequence of the keys ({B} rows), or keys of {shape[0]} sequences"
    return f"{said}; flatten the extra axes into steps: query.reshape({B}, -1, query.shape[-1])"


class _KeyAttention(nn.Module):
    """What both attention modules share: the checks of query, keys, values and valid keys, the keys
    projected once (:meth:`project_keys`, or given back as ``projected_keys``) and the masked softmax over
    the scores a module gives (:meth:`_scores`)."""

    def project_keys(self, keys: Tensor) -> Tensor:
        """The keys as :meth:`_scores` takes them: ``(B, Tk, Dk) -> (B, Tk, P)``."""
        raise NotImplementedError

    def _scores(self, q: Tensor, projected_keys: Tensor) -> Tensor:
        """Scores ``(B, Tq, Tk)`` of queries ``(B, Tq, Dq)`` against projected keys ``(B, Tk, P)``."""
        raise NotImplementedError

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        values: Tensor | None = None,
        mask: Tensor | None = None,
        lengths: Tensor | None = None,
        projected_keys: Tensor | None = None,
    ) -> AttentionOutput:
        """Attends from ``query`` over ``keys`` and averages ``values``.

        Args:
            query: ``(B, Dq)`` or ``(B, Tq, Dq)``.
            keys: ``(B, Tk, Dk)``.
            values: ``(B, Tk, Dv)``; None uses ``keys``.
            mask: ``(B, Tk)`` boolean, True at valid keys.
            lengths: ``(B,)`` valid key counts, an alternative to ``mask``.
            projected_keys: from :meth:`project_keys` (``(B, Tk, A)`` additive, ``(B, Tk, Dq)``
                multiplicative), to skip recomputing it.

        Returns:
            :class:`AttentionOutput` with context ``(B, Dv)`` / ``(B, Tq, Dv)`` and weights.
        """
        q, keys, v, m, single = _prepare(query, keys, values, mask, lengths)
        pk = self.project_keys(keys) if projected_keys is None else projected_keys
        return _attend(self._scores(q, pk), v, m, single)


class AdditiveAttention(_KeyAttention):
    """Bahdanau (additive) attention: ``score(q, k) = v^T tanh(W q + U k + b)``.

    Args:
        query_size: features of a query ``Dq``.
        key_size: features of a key ``Dk``.
        attention_size: size ``A`` of the hidden scoring layer (defaults to ``key_size``).
    """

    @check_args
    def __init__(self, query_size: int, key_size: int, attention_size: int = 0) -> None:
        _check_sizes(
            "AdditiveAttention", query_size=query_size, key_size=key_size, attention_size=attention_size
        )
        super().__init__()
        size = attention_size or key_size
        self.query_proj = nn.Linear(query_size, size, bias=False)
        self.key_proj = nn.Linear(key_size, size, bias=True)
        self.score = nn.Linear(size, 1, bias=False)

    def project_keys(self, keys: Tensor) -> Tensor:
        """``U k + b`` for every key: ``(B, Tk, Dk) -> (B, Tk, A)``; compute once per decoded sequence."""
        return self.key_proj(keys)

    def _scores(self, q: Tensor, projected_keys: Tensor) -> Tensor:
        hidden = torch.tanh(self.query_proj(q).unsqueeze(2) + projected_keys.unsqueeze(1))  # (B, Tq, Tk, A)
        return self.score(hidden).squeeze(-1)  # (B, Tq, Tk)


class MultiplicativeAttention(_KeyAttention):
    """Luong (multiplicative) attention: ``"dot"`` ``q^T k`` or ``"general"`` ``q^T W k``.

    Args:
        query_size: features of a query ``Dq``.
        key_size: features of a key ``Dk`` (must equal ``query_size`` for ``"dot"``).
        mode: ``"dot"`` or ``"general"``.
        scaled: divide scores by ``sqrt(Dq)`` (as in scaled dot-product attention).

    Raises:
        ConfigError: a size below 1, an unknown mode, or ``"dot"`` with different query and key sizes.
    """

    @check_args
    def __init__(self, query_size: int, key_size: int, mode: str = "general", scaled: bool = False) -> None:
        _check_sizes("MultiplicativeAttention", query_size=query_size, key_size=key_size)
        super().__init__()
        if mode not in ("dot", "general"):
            raise ConfigError(f"unknown attention mode {mode!r}; use 'dot' or 'general'")
        if mode == "dot" and query_size != key_size:
            raise ConfigError(
                f"dot attention needs query_size == key_size, got {query_size} and {key_size}; "
                "use mode='general'"
            )
        self.mode = mode
        self.scale = 1.0 / math.sqrt(query_size) if scaled else 1.0
        self.weight: nn.Linear | None = (
            nn.Linear(key_size, query_size, bias=False) if mode == "general" else None
        )

    def project_keys(self, keys: Tensor) -> Tensor:
        """``W k`` for every key (the keys themselves for ``"dot"``): ``(B, Tk, Dk) -> (B, Tk, Dq)``."""
        return keys if self.weight is None else self.weight(keys)

    def _scores(self, q: Tensor, projected_keys: Tensor) -> Tensor:
        return torch.bmm(q, projected_keys.transpose(1, 2)) * self.scale  # (B, Tq, Tk)


def _lengths_of(output: Tensor, lengths: Tensor | None, mask: Tensor | None) -> Tensor:
    B, T = output.shape[0], output.shape[1]
    if lengths is None and mask is not None:  # a mask's counts are whole and in [0, T]: not checked again
        return resolve_mask(B, T, output.device, mask, None).sum(dim=1)  # type: ignore[union-attr]
    if lengths is None:
        return torch.full((B,), T, dtype=torch.long, device=output.device)
    lengths = torch.as_tensor(lengths)
    if lengths.shape != (B,):
        raise ShapeError(lengths_shape_message(tuple(lengths.shape), B, T))
    return check_host_lengths(lengths, T).to(device=output.device, dtype=torch.long)


def last_pool(
    output: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None, directions: int = 1
) -> Tensor:
    """Output at each sequence's last valid step: ``(B, T, D*H) -> (B, D*H)``.

    For a bidirectional output (``directions=2``) the forward half is taken at step ``length-1`` and the
    reverse half at step 0, where the reverse direction has seen the whole sequence. With a
    :class:`~carrousel.core.nn.recurrent.RecurrentEncoder`, ``EncoderOutput.last`` gives the same final
    states directly. A mask is taken as a valid prefix per row; a row of length 0 gives step 0's output
    (zeros in an encoder's output).
    """
    if directions not in (1, 2):
        raise ShapeError(
            f"need directions 1 or 2, got {directions}; pass 2 for a bidirectional encoder's output, else 1"
        )
    if output.dim() != 3:
        raise ShapeError(input_shape_message(tuple(output.shape), None, name="output"))
    if output.shape[-1] % directions:
        raise ShapeError(
            f"need directions 1 or 2, output (B, T, {directions}*H); got {tuple(output.shape)}: "
            f"{output.shape[-1]} features do not split into {directions} directions; pass directions=1 for "
            "a one-directional encoder"
        )
    idx = (_lengths_of(output, lengths, mask) - 1).clamp(min=0)
    rows = torch.arange(output.shape[0], device=output.device)
    fwd = output[rows, idx]  # (B, D*H)
    if directions == 1:
        return fwd
    h = output.shape[-1] // directions
    return torch.cat([fwd[:, :h], output[:, 0, h:]], dim=-1)


def mean_pool(output: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
    """Mean over valid steps: ``(B, T, D) -> (B, D)``."""
    m = resolve_mask(output.shape[0], output.shape[1], output.device, mask, lengths)
    if m is None:
        return output.mean(dim=1)
    valid = m.unsqueeze(-1)
    total = output.masked_fill(~valid, 0.0).sum(dim=1)
    return total / valid.sum(dim=1).clamp(min=1).to(output.dtype)


def max_pool(output: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
    """Feature-wise maximum over valid steps: ``(B, T, D) -> (B, D)`` (zeros for an empty row)."""
    m = resolve_mask(output.shape[0], output.shape[1], output.device, mask, lengths)
    if m is None:
        return output.amax(dim=1)
    filled = output.masked_fill(~m.unsqueeze(-1), float("-inf")).amax(dim=1)
    return filled.masked_fill(~m.any(dim=1, keepdim=True), 0.0)


class AttentionPooling(nn.Module):
    """Attention pooling with a learned query (Yang et al. 2016): ``a_t = softmax_t(u^T tanh(W h_t + b))``.

    Args:
        input_size: features per step ``D``.
        attention_size: size of the scoring layer (defaults to ``input_size``).
    """

    @check_args
    def __init__(self, input_size: int, attention_size: int = 0) -> None:
        _check_sizes("AttentionPooling", input_size=input_size, attention_size=attention_size)
        super().__init__()
        size = attention_size or input_size
        self.proj = nn.Linear(input_size, size)
        self.query = nn.Parameter(torch.empty(size).normal_(0.0, 1.0 / math.sqrt(size)))

    def forward(
        self, output: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None
    ) -> AttentionOutput:
        """Pools ``(B, T, D)`` into context ``(B, D)`` with weights ``(B, T)`` (zero at padding)."""
        if output.dim() != 3:
            raise ShapeError(input_shape_message(tuple(output.shape), None, name="output"))
        m = resolve_mask(output.shape[0], output.shape[1], output.device, mask, lengths)
        values = output if m is None else output.masked_fill(~m.unsqueeze(-1), 0.0)
        scores = torch.tanh(self.proj(values)) @ self.query  # (B, T)
        weights = masked_softmax(scores, m)
        context = torch.bmm(weights.unsqueeze(1), values).squeeze(1)
        return AttentionOutput(context, weights)


class Pooling(nn.Module):
    """Pools encoder outputs over valid steps, by name: ``"last"``, ``"mean"``, ``"max"``, ``"attention"``.

    Args:
        mode: one of :data:`POOLINGS`.
        input_size: features per step ``D`` (needed for ``"attention"``).
        directions: 2 for a bidirectional output (used by ``"last"``).
        attention_size: scoring layer size of ``"attention"`` (0: ``input_size``).

    Raises:
        ConfigError: on an unknown mode or ``directions`` other than 1 and 2.
    """

    @check_args
    def __init__(self, mode: str, input_size: int, directions: int = 1, attention_size: int = 0) -> None:
        super().__init__()
        if mode not in POOLINGS:
            raise ConfigError(f"unknown pooling {mode!r}; choose one of: {', '.join(POOLINGS)}")
        if directions not in (1, 2):  # 3 cut the features in thirds silently, 0: ZeroDivisionError
            raise ConfigError(f"Pooling: directions must be 1 or 2, got {directions}")
        self.mode = mode
        self.directions = directions
        self.attention = AttentionPooling(input_size, attention_size) if mode == "attention" else None

    def forward(self, output: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
        """Pools ``(B, T, D)`` over valid steps into ``(B, D)``."""
        if self.attention is not None:
            return self.attention(output, lengths, mask).context
        if self.mode == "mean":
            return mean_pool(output, lengths, mask)
        if self.mode == "max":
            return max_pool(output, lengths, mask)
        return last_pool(output, lengths, mask, self.directions)
