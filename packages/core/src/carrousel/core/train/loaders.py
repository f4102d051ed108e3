"""What the Trainer takes as data: an iterable of batches (a ``DataLoader``), checked before any work.

``Trainer.fit(None)``, ``fit(x)`` (a tensor or an array: the dataset itself), ``fit("train.csv")`` or a dict
of tensors failed deep inside the loop with Python's or PyTorch's words ("'NoneType' object is not
iterable", "linear(): argument 'input' must be Tensor, not str", "both arguments to linear need to be at
least 1D"). They are refused here in one line naming what was given and what the Trainer takes.

A list or tuple of bare tensors (``fit([x, y])``: the inputs and targets, not batches) cannot be told from
a list of tensor batches before training (a task whose batch is one tensor takes one): when the first
epoch fails on one (``[x, y]`` trained a step on ``x`` and failed on ``y``), the failure is raised as one
:class:`DataError` saying each tensor was taken for a batch, the original error chained; and two or three
tensors of one length but different shapes (``[x, y]``, ``(x, y, w)``) are warned of before training, as a
step can also run on them without failing.

A map-style ``Dataset`` (``fit(TensorDataset(x, y))``) was iterated row by row: each "batch" one sample
without its batch dimension, the model seeing ``(feature,)`` for ``(batch, feature)``, slowly and with
the losses averaged per sample. It is refused too, naming ``DataLoader(dataset, batch_size=32)``; an
``IterableDataset`` (which may yield batches) is taken as it is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset

from carrousel.core.errors import CarrouselError, DataError, NonFiniteLossError

__all__ = ["check_loader", "known_empty", "loader_length", "tensors_taken_for_batches"]

logger = logging.getLogger(__name__)

_FIX = "e.g. DataLoader(TensorDataset(x, y), batch_size=32), or a list of (x, y) batches"


def _given(value: Any) -> str:
    """``None``, ``a Tensor of shape (64, 8)``, ``a str``: what was passed, for the message."""
    if value is None:
        return "None"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, torch.Tensor | np.ndarray):
        return f"{article} {name} of shape {tuple(value.shape)}"
    return f"{article} {name}"


def check_loader(loader: Any, call: str) -> None:
    """Refuses a value that is no iterable of batches, before any work.

    Args:
        loader: what was passed as the loader.
        call: the call and argument, for the message (``"Trainer.fit(train_loader=...)"``).

    Raises:
        DataError: ``loader`` is None, a tensor or array (the data itself, not its batches), a string, a
            path or a mapping (whose iteration yields characters or keys), not iterable at all, or a
            map-style ``Dataset`` (whose iteration yields single unbatched samples).
    """
    not_batches = (torch.Tensor, np.ndarray, str, bytes, os.PathLike, Mapping)
    iterable = isinstance(loader, Iterable) or hasattr(type(loader), "__getitem__")  # sequence-like
    if loader is None or isinstance(loader, not_batches) or not iterable:
        raise DataError(f"{call} takes an iterable of batches (a DataLoader), got {_given(loader)}; {_FIX}")
    if isinstance(loader, Dataset) and not isinstance(loader, IterableDataset):
        raise DataError(
            f"{call} takes an iterable of batches (a DataLoader), got {_given(loader)}, a Dataset of single "
            f"samples (each would be one unbatched step); e.g. DataLoader(dataset, batch_size=32)"
        )
    if _bare_tensors(loader) and 2 <= len(loader) <= 3:
        shapes = [tuple(item.shape) for item in loader]
        if len({s[:1] for s in shapes}) == 1 and len(set(shapes)) > 1:  # one length, different shapes
            logger.warning(
                "%s got a %s of %d tensors %s: each is taken for one batch; if they are inputs and "
                "targets, pass batches: %s",
                call,
                type(loader).__name__,
                len(loader),
                ", ".join(map(str, shapes)),
                _FIX,
            )


def known_empty(loader: Any) -> bool:
    """Whether ``loader`` is known to yield no batches: its ``len`` is 0. A loader without a length (a
    ``DataLoader`` over an ``IterableDataset`` that defines no ``__len__``, a generator) is not known to
    be empty; ``bool(loader)`` raised PyTorch's ``TypeError: object of type ... has no len()`` for the
    former."""
    return loader_length(loader) == 0


def loader_length(loader: Any) -> int | None:
    """``len(loader)``, or None for a loader without a length (an iterable ``DataLoader``, a generator)."""
    try:
        return len(loader)
    except TypeError:
        return None


def _bare_tensors(loader: Any) -> bool:
    """A non-empty list or tuple of tensors or arrays (no batch of several parts among them)."""
    return (
        isinstance(loader, list | tuple)
        and bool(loader)
        and all(isinstance(item, torch.Tensor | np.ndarray) for item in loader)
    )


def tensors_taken_for_batches(loader: Any, exc: Exception, call: str) -> DataError | None:
    """The error to raise instead of ``exc``, a failure of a fit's first epoch, when ``loader`` is a list
    or tuple of bare tensors or arrays (``[x, y]``: each taken for one batch); None otherwise.

    Args:
        loader: the train loader given to ``fit``.
        exc: the first epoch's failure (a non-finite loss is left as it is).
        call: the call, for the message (``"Trainer.fit"``).
    """
    if isinstance(exc, NonFiniteLossError) or not _bare_tensors(loader):
        return None
    shapes = ", ".join(str(tuple(item.shape)) for item in loader[:3]) + (", ..." if len(loader) > 3 else "")
    why = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    failure = why if isinstance(exc, CarrouselError) else f"{type(exc).__name__}: {why}"
    return DataError(
        f"{call} got a {type(loader).__name__} of {len(loader)} tensors ({shapes}) and took each for one "
        f"batch, and the first epoch failed ({failure}). To train on inputs and targets pass batches: {_FIX}"
    )
