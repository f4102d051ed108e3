"""Loaders without a length: a ``DataLoader`` over an ``IterableDataset`` that defines no ``__len__``
(a stream read from disk) trains and validates; as the validation loader it failed before the first
step with PyTorch's ``TypeError: object of type ... has no len()`` (the trainer asked ``bool(loader)``)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.train import TrainConfig, Trainer


class Stream(IterableDataset):  # type: ignore[type-arg]
    """Rows of the linear toy data, one at a time, with no ``__len__``."""

    def __init__(self, n: int) -> None:
        self.x, self.y = linear_data(n)

    def __iter__(self) -> Iterator[Any]:
        yield from zip(self.x, self.y, strict=True)


def test_a_lengthless_validation_loader_is_validated_on() -> None:
    torch.manual_seed(0)
    val = DataLoader(Stream(32), batch_size=8)
    result = Trainer(mlp(), RegressionTask(), TrainConfig(epochs=2, progress=False, device="cpu")).fit(
        DataLoader(Stream(64), batch_size=16), val
    )
    assert all(math.isfinite(row["val_loss"]) for row in result.history)


def test_known_empty_reads_a_length_only_where_there_is_one() -> None:
    from carrousel.core.train.loaders import known_empty

    assert known_empty([])
    assert not known_empty([1])
    assert not known_empty(DataLoader(Stream(8), batch_size=4))
    assert not known_empty(iter([]))  # a generator: not known to be empty
