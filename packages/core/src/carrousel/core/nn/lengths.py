"""The lengths and masks of a padded batch: one rule for what valid lengths are, and the conversions.

:func:`check_lengths` is the one owner of the rule ``(B,)`` whole step counts in ``[1, T]`` (``[0, T]``
where an empty sequence is allowed): the encoder, the attention and pooling helpers, CTC decoding and the
ONNX runner (:class:`~carrousel.core.export.runtime.OnnxModule`, with NumPy spellings of the fixes for
arrays) call it. :func:`lengths_from_mask` and :func:`mask_from_lengths` convert between ``(B,)`` lengths
and a ``(B, T)`` mask of valid steps; :func:`resolve_mask` takes either. Shape messages come from
:mod:`carrousel.core.nn.input_shape`, so each names the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from carrousel.core.errors import ShapeError
from carrousel.core.nn.input_shape import lengths_shape_message, mask_shape_message

__all__ = ["check_host_lengths", "check_lengths", "lengths_from_mask", "mask_from_lengths", "resolve_mask"]


def lengths_from_mask(mask: Tensor) -> Tensor:
    """Returns ``(B,)`` lengths from a ``(B, T)`` mask of valid steps.

    Raises:
        ShapeError: when the mask is not 2-D or a row is not a prefix of valid steps followed by padding.
    """
    if mask.dim() != 2:
        raise ShapeError(mask_shape_message(tuple(mask.shape), None))
    valid = mask.to(torch.bool)
    lengths = valid.to(torch.long).sum(dim=1)
    prefix = torch.arange(mask.shape[1], device=mask.device).unsqueeze(0) < lengths.unsqueeze(1)
    if not bool((prefix == valid).all()):
        raise ShapeError(
            "mask must mark a prefix of valid steps in every row (True...True False...False); "
            "left-pad or holes are not supported, pass right-padded sequences"
        )
    return lengths


def check_lengths(
    lengths: Tensor | np.ndarray | Sequence[int],
    B: int,
    T: int,
    empty_ok: bool = False,
    *,
    numpy: bool = False,
) -> Tensor:
    """``lengths`` as a CPU ``long`` tensor ``(B,)``, checked to lie in ``[1, T]`` (``[0, T]`` when
    ``empty_ok``), as :class:`~carrousel.core.nn.recurrent.RecurrentEncoder` takes them (see the module's
    docstring for its other callers).

    Args:
        lengths: ``(B,)`` step counts: a tensor, a NumPy array or a list (whole floats read as integers).
        B: the input's batch size.
        T: the input's time steps.
        empty_ok: accept 0 (an empty sequence).
        numpy: spell the fixes and dtypes for a caller of NumPy arrays (``np.full``, ``float32``), as
            :func:`~carrousel.core.nn.input_shape.lengths_shape_message` does.

    Raises:
        ShapeError: not ``(B,)``, not integers, or a length outside the range.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != B:
        raise ShapeError(lengths_shape_message(tuple(lengths.shape), B, T, numpy=numpy))
    whole = lengths.is_floating_point() and bool((lengths.isfinite() & (lengths == lengths.round())).all())
    if (lengths.is_floating_point() and not whole) or lengths.is_complex() or lengths.dtype == torch.bool:
        dtype = str(lengths.dtype).removeprefix("torch.") if numpy else str(lengths.dtype)
        raise ShapeError(
            f"lengths must be whole step counts, got {lengths.tolist()[:8]} ({dtype}); give integers"
        )
    lengths = lengths.to(device="cpu", dtype=torch.long)
    low = 0 if empty_ok else 1
    if bool((lengths < low).any()) or bool((lengths > T).any()):
        fixes = []  # each problem found names its own fix: a negative length is no empty sequence
        if bool((lengths < 0).any()):
            fixes.append(
                "a length is negative: fix how the lengths are computed (each counts a sequence's steps)"
            )
        if not empty_ok and bool((lengths == 0).any()):
            fixes.append("drop empty sequences before encoding")
        if bool((lengths > T).any()):
            fixes.append(
                f"a length is past the input's {T} time steps: pad the input to max(lengths) = "
                f"{int(lengths.max())} steps or clip the lengths to {T}"
            )
        raise ShapeError(
            f"lengths must lie in [{low}, {T}], got min {int(lengths.min())} max {int(lengths.max())}; "
            + "; ".join(fixes)
        )
    return lengths


def check_host_lengths(lengths: Tensor, steps: int) -> Tensor:
    """``lengths`` ``(B,)`` checked as :func:`check_lengths` does (whole numbers in ``[0, steps]``) where
    that costs no device read: CPU lengths, outside tracing and compiling (no data-dependent branch there)."""
    if lengths.device.type != "cpu" or torch.jit.is_tracing() or torch.compiler.is_compiling():
        return lengths
    if steps < 0:
        raise ShapeError(
            f"max_len must be >= 0 (time steps of the mask), got {steps}; pass the padded input's time "
            "steps (x.shape[1])"
        )
    return check_lengths(lengths, lengths.shape[0], steps, empty_ok=True)


def mask_from_lengths(lengths: Tensor, max_len: int, device: torch.device | None = None) -> Tensor:
    """Returns a ``(B, max_len)`` boolean mask, True at steps ``t < lengths[b]``.

    Args:
        lengths: ``(B,)`` step counts (a tensor, list or NumPy array; whole floats are read as integers).
        max_len: time steps ``T`` of the mask.
        device: where the mask is made (default: that of ``lengths``).

    Raises:
        ShapeError: lengths not ``(B,)``; CPU lengths (not when tracing) outside ``[0, max_len]``, fractional.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1:
        raise ShapeError(lengths_shape_message(tuple(lengths.shape), None))
    lengths = check_host_lengths(lengths, max_len)
    dev = device if device is not None else lengths.device
    steps = torch.arange(max_len, device=dev)
    return steps.unsqueeze(0) < lengths.to(dev).unsqueeze(1)


def resolve_mask(
    batch: int, steps: int, device: torch.device, mask: Tensor | None, lengths: Tensor | None
) -> Tensor | None:
    """Returns a ``(B, T)`` boolean mask of valid steps from ``mask`` or ``lengths`` (None when neither).

    Raises:
        ShapeError: when the mask or lengths do not fit ``(batch, steps)``.
    """
    if mask is not None:
        mask = torch.as_tensor(mask)  # a list or NumPy array, as the encoder takes (was AttributeError)
        if mask.shape != (batch, steps):
            raise ShapeError(mask_shape_message(tuple(mask.shape), batch, steps))
        return mask.to(device=device, dtype=torch.bool)
    if lengths is not None:
        lengths = torch.as_tensor(lengths)
        if lengths.shape != (batch,):
            raise ShapeError(lengths_shape_message(tuple(lengths.shape), batch, steps))
        return mask_from_lengths(lengths, steps, device)
    return None
