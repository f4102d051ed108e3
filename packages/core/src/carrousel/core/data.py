"""Padding and collation of variable-length sequences into ``(x, lengths, y[, y_lengths])`` batches.

:func:`pad_sequences` stacks ``(T_i, ...)`` arrays into one ``(B, T_max, ...)`` tensor plus their lengths;
:class:`SequenceCollator` is a ``collate_fn`` for :class:`torch.utils.data.DataLoader` built on it. Paired
with :class:`BucketBatchSampler` (re-exported here), which groups samples of similar length, a batch
carries little padding::

    loader = DataLoader(dataset, batch_sampler=BucketBatchSampler(lengths, batch_size=32),
                        collate_fn=SequenceCollator())
    for x, lengths, y in loader:  # x (B, T_max, ...), lengths (B,), y (B,)
        out = encoder(x, lengths)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.train.sampler import BucketBatchSampler

__all__ = ["BucketBatchSampler", "SequenceCollator", "collate", "pad_sequences"]

ArrayLike = Tensor | np.ndarray


def _as_tensor(item: object, index: int, what: str) -> Tensor:
    if isinstance(item, Tensor):
        return item
    if isinstance(item, np.ndarray):
        if item.dtype == object:
            raise DataError(f"{what} {index} is a numpy object array; convert it to a numeric dtype first")
        return torch.from_numpy(item if item.flags.writeable else item.copy())
    raise DataError(
        f"{what} {index} is a {type(item).__name__}; pass torch tensors or numpy arrays of shape (T_i, ...)"
    )


@check_args
def pad_sequences(
    seqs: Sequence[ArrayLike], padding_value: float = 0, dtype: torch.dtype | None = None, multiple: int = 1
) -> tuple[Tensor, Tensor]:
    """Pads sequences of different lengths into one batch.

    Args:
        seqs: ``B`` tensors or numpy arrays of shape ``(T_i, ...)``; every dimension after the first must
            match. ``T_i`` may be 0.
        padding_value: value written past each sequence's length.
        dtype: dtype of the result; None promotes the inputs' dtypes (numpy ``float64`` stays ``float64``).
        multiple: pad the time dimension up to a multiple of this (1: to the longest length): batches of
            bucketed lengths then take ``multiple`` times fewer distinct shapes; the lengths are unchanged.
            On the CPU it measured slower in every domain (oneDNN caches a primitive per shape; the padded
            steps cost every step: core README), so no domain sets it.

    Returns:
        ``(padded, lengths)``: ``padded`` ``(B, T, ...)`` on the first tensor's device, ``T`` the longest
        length rounded up to ``multiple``; ``lengths`` ``(B,)`` int64 on the CPU (where packing wants them).

    Raises:
        DataError: an empty list, or an item that is not a tensor or numeric numpy array.
        ConfigError: ``multiple`` below 1.
        ShapeError: a 0-d item, or an item whose trailing dimensions differ from the first item's.

    Example:
        >>> x, lengths = pad_sequences([torch.ones(3, 2), torch.ones(1, 2)])
        >>> x.shape, lengths.tolist()
        (torch.Size([2, 3, 2]), [3, 1])
    """
    if isinstance(seqs, Tensor | np.ndarray) or not isinstance(seqs, Sequence):
        raise DataError(
            f"pad_sequences takes a list of arrays, got a {type(seqs).__name__}; wrap it in [...]"
        )
    if len(seqs) == 0:
        raise DataError("pad_sequences got an empty list; pass at least one sequence")
    if multiple < 1:
        raise ConfigError(f"pad_sequences got multiple={multiple}; pass 1 (no rounding) or more")
    items = [_as_tensor(s, i, "item") for i, s in enumerate(seqs)]
    trailing = tuple(items[0].shape[1:])
    for i, t in enumerate(items):
        if t.dim() == 0:
            raise ShapeError(f"item {i} is 0-d; sequences need a leading time dimension, e.g. x.reshape(1)")
        if tuple(t.shape[1:]) != trailing:
            raise ShapeError(
                f"item {i} has shape {tuple(t.shape)} but item 0 has trailing dims {trailing}; "
                "all sequences must share every dimension after time"
            )
    if dtype is None:
        dtype = items[0].dtype
        for t in items[1:]:
            dtype = torch.promote_types(dtype, t.dtype)
    lengths = torch.tensor([t.shape[0] for t in items], dtype=torch.long)
    device = items[0].device
    steps = -(-int(lengths.max()) // multiple) * multiple
    out = torch.full((len(items), steps, *trailing), padding_value, dtype=dtype, device=device)
    for i, t in enumerate(items):
        if t.shape[0]:
            out[i, : t.shape[0]] = t.to(device=device, dtype=dtype)
    return out, lengths


def _is_scalar(y: Any) -> bool:
    return isinstance(y, int | float | bool | np.generic) or (
        isinstance(y, Tensor | np.ndarray) and y.ndim == 0
    )


@dataclass(frozen=True)
class SequenceCollator:
    """A ``collate_fn`` that pads variable-length samples and returns their lengths.

    Each sample is ``(x,)``, ``(x, y)`` or a bare ``x``: ``x`` a ``(T_i, ...)`` tensor or array, ``y`` a
    scalar or fixed-shape label (stacked to ``(B, ...)``) or a variable-length ``(S_i, ...)`` sequence
    (padded to ``(B, S_max, ...)`` with its own lengths).

    With ``sequence_targets=None`` the kind of ``y`` is detected per batch: 1-D or larger targets are
    sequences when their lengths differ within the batch or each equals its input's length (per-step
    targets); otherwise they are stacked as fixed-shape labels. A batch of one, or of equal-length targets
    that are shorter or longer than their inputs, cannot be told apart: set ``sequence_targets`` when
    targets are sequences, so that every batch has the same structure. Set ``sequence_targets=False`` for
    fixed-shape vector labels (multi-label, multi-horizon): in a batch whose inputs all have as many steps
    as the label has entries (3 labels, inputs of 3 steps: likely with bucketing) they are taken as per-step
    targets, and that batch gains a fourth item, ``y_lengths`` (a task reading ``batch[-1]`` as its labels
    then reads the lengths).

    Example:
        >>> x, lengths, y = SequenceCollator()([(torch.ones(3, 2), 1), (torch.ones(5, 2), 0)])
        >>> x.shape, lengths.tolist(), y.tolist()
        (torch.Size([2, 5, 2]), [3, 5], [1, 0])
    """

    padding_value: float = 0  # written into x past each length
    target_padding_value: float = -100  # written into sequence targets past each length (-100 is
    # cross_entropy's default ignore_index; ctc_loss ignores the padding, so any value works there)
    sequence_targets: bool | None = None  # y are variable-length sequences (True), fixed-shape labels
    # (False), or None to detect per batch (see the class docstring)
    pad_to_multiple: int = 1  # x's time padded up to a multiple of this (fewer distinct batch shapes;
    # exact for models that mask by lengths; measured slower on the CPU: core README); 1: to the longest
    target_pad_to_multiple: int = 1  # the same for sequence targets (a decoder stepping over them pays
    # for every padded step, so 1 unless its kernels see the whole target at once)

    def __post_init__(self) -> None:
        check_numbers(self)
        if self.pad_to_multiple < 1 or self.target_pad_to_multiple < 1:
            raise ConfigError(
                f"SequenceCollator got pad_to_multiple={self.pad_to_multiple}, target_pad_to_multiple="
                f"{self.target_pad_to_multiple}; pass 1 (pad to the longest) or more"
            )

    def __call__(self, batch: Sequence[Any]) -> tuple[Tensor, ...]:
        """Collates ``B`` samples.

        Args:
            batch: ``B`` samples, all of the same form: ``(x,)``, ``(x, y)`` or a bare ``x``.

        Returns:
            ``(x, lengths)``, ``(x, lengths, y)`` or, for sequence targets, ``(x, lengths, y, y_lengths)``:
            ``x`` ``(B, T, ...)`` (``T`` the longest length rounded up to ``pad_to_multiple``), ``lengths``
            ``(B,)`` int64, ``y`` ``(B, ...)`` or ``(B, S, ...)`` (likewise ``target_pad_to_multiple``), ``y_lengths`` ``(B,)`` int64.

        Raises:
            DataError: an empty batch, samples of different forms, or a sample that is not an array or a
                tuple of one or two items.
            ShapeError: inputs (or sequence targets) whose trailing dimensions differ, or fixed-shape
                labels of different shapes.
        """
        if len(batch) == 0:
            raise DataError("cannot collate an empty batch; drop empty batches or check the sampler")
        samples: list[Any] = [(s,) if isinstance(s, Tensor | np.ndarray) else s for s in batch]
        for i, s in enumerate(samples):
            if not isinstance(s, tuple | list) or len(s) not in (1, 2):
                raise DataError(
                    f"sample {i} is a {type(s).__name__}"
                    + (f" of {len(s)} items" if isinstance(s, tuple | list) else "")
                    + "; every sample must be (x,), (x, y) or a bare array x"
                )
            if len(s) != len(samples[0]):
                raise DataError(
                    f"sample {i} has {len(s)} items but sample 0 has {len(samples[0])}; mix no forms"
                )
        arity = len(samples[0])
        x, lengths = pad_sequences([s[0] for s in samples], self.padding_value, multiple=self.pad_to_multiple)
        if arity == 1:
            return x, lengths
        ys = [s[1] for s in samples]
        if self._are_sequences(ys, lengths):
            y, y_lengths = pad_sequences(ys, self.target_padding_value, multiple=self.target_pad_to_multiple)
            return x, lengths, y, y_lengths
        return x, lengths, self._stack(ys)

    def _are_sequences(self, ys: list[Any], lengths: Tensor) -> bool:
        if self.sequence_targets is not None:
            return self.sequence_targets
        if any(_is_scalar(y) or not isinstance(y, Tensor | np.ndarray) for y in ys):
            return False
        sizes = [int(y.shape[0]) for y in ys]
        return len(set(sizes)) > 1 or sizes == lengths.tolist()

    @staticmethod
    def _stack(ys: list[Any]) -> Tensor:
        items = [
            torch.as_tensor(y) if _is_scalar(y) and not isinstance(y, Tensor) else _as_tensor(y, i, "target")
            for i, y in enumerate(ys)
        ]
        for i, t in enumerate(items):
            if t.shape != items[0].shape:
                raise ShapeError(
                    f"target {i} has shape {tuple(t.shape)} but target 0 has {tuple(items[0].shape)}; "
                    "pass sequence_targets=True if targets are variable-length sequences"
                )
        dtype = items[0].dtype
        for t in items[1:]:
            dtype = torch.promote_types(dtype, t.dtype)
        return torch.stack([t.to(dtype) for t in items])


collate = SequenceCollator()
"""The default collator: pads with 0, sequence targets with -100, detects the target kind per batch."""
