"""A SequenceClassifier/SequenceRegressor with ``num_embeddings`` given an id outside its table: one
ShapeError naming the range and the fix (it was "IndexError: index out of range in self" from inside
F.embedding, and a device-side assert on CUDA)."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import ShapeError
from carrousel.core.nn import (
    RecurrentConfig,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
)


@pytest.mark.parametrize("ids", [[[10, 1]], [[-1, 1]]])
def test_an_id_outside_the_table_names_the_range(ids: list[list[int]]) -> None:
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8), 3, num_embeddings=10))
    with pytest.raises(
        ShapeError, match=r"token ids must lie in \[0, 9\] \(num_embeddings=10; 0 = padding\)"
    ):
        model(torch.tensor(ids))


def test_ids_in_range_and_an_empty_batch_run_as_before() -> None:
    model = SequenceRegressor(SequenceRegressorConfig(RecurrentConfig(4, 8), num_embeddings=10))
    assert model(torch.tensor([[9, 0], [1, 2]]), torch.tensor([1, 2])).shape == (2, 1)
    assert model(torch.zeros(0, 3, dtype=torch.long)).shape == (0, 1)
