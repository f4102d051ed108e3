"""train.predict over rows of different lengths (a list of sequences): one DataError naming padding
(it was torch's "ValueError: expected sequence of length 6 at dim 1 (got 3)")."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.core.errors import DataError
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from carrousel.core.train import predict


def test_rows_of_several_lengths_name_pad_sequences() -> None:
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8), 3))
    rows = [np.zeros((6, 4)), np.zeros((6, 4)), np.zeros((6, 4)), np.zeros((3, 4))]
    with pytest.raises(DataError, match=r"inputs\[2:4\] .*; pad sequences of different lengths first"):
        predict(model, rows, batch_size=2)
    assert predict(model, rows[:2], batch_size=2).shape == (2, 3)
