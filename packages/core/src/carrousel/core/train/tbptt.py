"""Truncated backpropagation through time: cutting nested batches along time and detaching states.

Batches are nested dicts / tuples / lists of tensors laid out ``(B, T, ...)``. :func:`split_time` cuts
every tensor with at least two dimensions along dim 1; 1-D tensors (labels, ids) go whole to every
chunk, except a dict entry or namedtuple field named ``"lengths"`` ``(B,)``, which becomes each chunk's
own valid length.
How the trainer uses these is described in :mod:`carrousel.core.train.task`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor

__all__ = ["detach_tree", "first_tensor", "past_end", "slice_time", "split_time", "time_steps"]


def first_tensor(obj: Any) -> Tensor | None:
    """Returns the first tensor found in a nested batch (dict values in order, then sequences)."""
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, Mapping):
        obj = list(obj.values())
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        for item in obj:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


def detach_tree(obj: Any) -> Any:
    """Detaches every tensor in a nested structure (tuples, namedtuples, lists, dicts)."""
    if isinstance(obj, Tensor):
        return obj.detach()
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(detach_tree(v) for v in obj))
    if isinstance(obj, tuple | list):
        return type(obj)(detach_tree(v) for v in obj)
    if isinstance(obj, Mapping):
        return {k: detach_tree(v) for k, v in obj.items()}
    return obj


def _lengths(obj: Any) -> Tensor | None:
    """The ``"lengths"`` entry (dict key or namedtuple field) of a nested batch, or None."""
    if isinstance(obj, Mapping):
        found = obj.get("lengths")
        if isinstance(found, Tensor):
            return found
        obj = list(obj.values())
    elif isinstance(obj, tuple) and hasattr(obj, "_fields") and "lengths" in obj._fields:
        found = getattr(obj, "lengths")  # noqa: B009 (a namedtuple field; mypy sees a plain tuple)
        if isinstance(found, Tensor):
            return found
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        for item in obj:
            found = _lengths(item)
            if found is not None:
                return found
    return None


def past_end(chunk: Any) -> bool:
    """Whether a chunk of :func:`split_time` lies past the end of every sequence of its batch (all its
    ``"lengths"`` are 0: the batch was padded beyond its longest sequence). Training and evaluation skip
    such a chunk: it holds no valid step, its loss would be 0/0, and an optimiser step on it would still
    move the weights (momentum)."""
    lengths = _lengths(chunk)
    return lengths is not None and lengths.numel() > 0 and not bool(lengths.any())


def slice_time(obj: Any, start: int, stop: int, key: str | None = None) -> Any:
    """Time steps ``start:stop`` of every ``(B, T, ...)`` tensor in ``obj`` (lengths clipped)."""
    if isinstance(obj, Tensor):
        if key == "lengths" and obj.dim() == 1:
            return (obj - start).clamp(min=0, max=stop - start)
        return obj[:, start:stop] if obj.dim() >= 2 else obj
    if isinstance(obj, Mapping):
        return {k: slice_time(v, start, stop, k) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(slice_time(v, start, stop, k) for k, v in zip(obj._fields, obj, strict=True)))
    if isinstance(obj, tuple | list):
        return type(obj)(slice_time(v, start, stop) for v in obj)
    return obj


def time_steps(obj: Any) -> int:
    """Longest dim 1 among the tensors of ``obj`` with at least two dimensions (0 when none)."""
    if isinstance(obj, Tensor):
        return obj.shape[1] if obj.dim() >= 2 else 0
    values = obj.values() if isinstance(obj, Mapping) else obj
    if isinstance(values, Sequence | type({}.values())) and not isinstance(values, str | bytes):
        return max((time_steps(v) for v in values), default=0)
    return 0


def split_time(batch: Any, steps: int) -> list[Any]:
    """Cuts ``batch`` into consecutive chunks of at most ``steps`` time steps (dim 1).

    Args:
        batch: nested tensors laid out ``(B, T, ...)``.
        steps: chunk length; 0 (or a batch without a time axis) returns ``[batch]``.

    Returns:
        ``ceil(T / steps)`` chunks, the last one possibly shorter.
    """
    total = time_steps(batch)
    if total == 0 or steps <= 0:
        return [batch]
    return [slice_time(batch, s, min(s + steps, total)) for s in range(0, total, steps)]
