"""The rows of a search: a step function's nested state (its batch size, device, selected rows) and the
most steps each sequence may take (:func:`row_limits`).

The state is a tensor or a nested tuple / list / dict of tensors (None and non-tensor leaves allowed) whose
batch dimension is dim 0, or dim 1 (``nn.LSTM``'s ``(layers, N, H)`` ``(h, c)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from carrousel.core.args import as_int, check_args
from carrousel.core.errors import ConfigError, ShapeError

__all__ = ["map_state", "row_limits", "select_state", "state_batch_size", "state_device", "state_leaves"]


def map_state(fn: Callable[[Tensor], Tensor], state: Any) -> Any:
    """Applies ``fn`` to every tensor in a nested state, keeping its structure.

    Tuples (named tuples included), lists and dicts are rebuilt; None and other leaves are returned as is.

    Example:
        >>> h, c = map_state(lambda t: t * 2, (torch.ones(2), torch.ones(3)))
        >>> h.tolist(), c.tolist()
        ([2.0, 2.0], [2.0, 2.0, 2.0])
    """
    if isinstance(state, Tensor):
        return fn(state)
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(map_state(fn, s) for s in state))
    if isinstance(state, tuple | list):
        return type(state)(map_state(fn, s) for s in state)
    if isinstance(state, Mapping):
        items = {k: map_state(fn, v) for k, v in state.items()}
        return type(state)(items) if isinstance(state, dict) else items
    return state


def select_state(state: Any, index: Tensor, batch_dim: int = 0) -> Any:
    """Picks the rows ``index`` of every tensor in a nested state along its batch dimension.

    Args:
        state: a tensor or nested tuple / list / dict of tensors, batch on ``batch_dim``.
        index: ``(M,)`` int64 rows to take (repeats allowed: this expands and reorders beams).
        batch_dim: the batch dimension of every state tensor, 0 or 1.

    Returns:
        The state with ``M`` rows.
    """
    return map_state(lambda t: t.index_select(batch_dim, index.to(t.device)), state)


def state_leaves(state: Any) -> list[Tensor]:
    """The tensors of a nested state, in order."""
    found: list[Tensor] = []
    map_state(lambda t: found.append(t) or t, state)  # type: ignore[func-returns-value]
    return found


@check_args
def state_batch_size(state: Any, batch_dim: int, batch_size: int | None) -> int:
    """The batch size every state tensor shares on ``batch_dim`` (and equal to ``batch_size`` if given).

    Raises:
        ConfigError: ``batch_dim`` not 0 or 1, or no tensor and no ``batch_size``.
        ShapeError: the tensors disagree.
    """
    if batch_dim not in (0, 1):
        raise ConfigError(f"state_batch_dim must be 0 or 1, got {batch_dim}")
    shapes = [tuple(t.shape) for t in state_leaves(state)]
    sizes = {s[batch_dim] if len(s) > batch_dim else None for s in shapes}
    if batch_size is not None:
        sizes.add(batch_size)
    if not shapes and batch_size is None:
        raise ConfigError("the state holds no tensor to read the batch size from; pass batch_size")
    if None in sizes or len(sizes) != 1:
        raise ShapeError(
            f"state tensors {shapes} do not share one batch size on dim {batch_dim}"
            + (f" equal to batch_size={batch_size}" if batch_size is not None else "")
            + "; pass state_batch_dim=1 for (layers, batch, hidden) states"
        )
    size = sizes.pop()
    assert size is not None
    return size


def state_device(state: Any) -> torch.device:
    """The device of the state's first tensor (the CPU when it holds none)."""
    leaves = state_leaves(state)
    return leaves[0].device if leaves else torch.device("cpu")


@check_args
def row_limits(max_len: int | Tensor, batch: int) -> list[int]:
    """The most steps of each of ``batch`` sequences: ``max_len`` for all, or ``max_len[b]`` for sequence
    ``b`` when it is a ``(batch,)`` integer tensor (or a list of ints).

    Raises:
        ConfigError: ``max_len`` not an integer, a limit below 0, or a tensor of another shape or dtype.
    """
    if not isinstance(max_len, Tensor | list | tuple):
        limits = [as_int(max_len, "max_len", example=100)] * batch
    else:
        given = torch.as_tensor(max_len)
        if given.shape != (batch,) or (
            given.numel() and (given.is_floating_point() or given.dtype == torch.bool)
        ):
            raise ConfigError(
                f"max_len as a tensor must hold one integer per sequence, shape ({batch},); got shape "
                f"{tuple(given.shape)} of {given.dtype}; give an int64 tensor of {batch} limits or one int"
            )
        limits = [int(n) for n in given.tolist()]
    if any(n < 0 for n in limits):
        raise ConfigError(f"max_len must be >= 0, got {min(limits)}")
    return limits
