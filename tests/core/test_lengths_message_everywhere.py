"""One length for the whole batch (a scalar) names torch.full wherever lengths are taken, not only in the
encoder: explain_backend, the attention helpers and the NumPy reference layer (np.full there) said only
"lengths must be (batch,) ...". All now call nn.input_shape.lengths_shape_message."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from carrousel.core.errors import ShapeError
from carrousel.core.nn import (
    RecurrentConfig,
    RecurrentEncoder,
    explain_backend,
    last_pool,
    mask_from_lengths,
)
from carrousel.core.nn.attention import resolve_mask
from carrousel.core.nn.reference import lstm_forward
from tests.core.test_input_message_everywhere import PARAMS

X = torch.randn(3, 5, 2)
CALLS: dict[str, Callable[[], object]] = {
    "explain_backend": lambda: explain_backend(
        RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=2, cell="gru")), X, torch.tensor(5)
    ),
    "resolve_mask": lambda: resolve_mask(3, 5, X.device, None, torch.tensor(5)),
    "last_pool": lambda: last_pool(X, torch.tensor(5)),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_scalar_length_names_torch_full(name: str) -> None:
    with pytest.raises(
        ShapeError, match=r"got shape \(\); give one length per row, e\.g\. torch\.full\(\(3,\), n\)"
    ):
        CALLS[name]()


def test_the_numpy_reference_layer_names_np_full() -> None:
    """The NumPy reference layer said ``torch.full`` to a caller of arrays; it now says ``np.full``, as its
    input-shape message already said ``x[None]``."""
    with pytest.raises(
        ShapeError, match=r"got shape \(\); give one length per row, e\.g\. np\.full\(\(3,\), n\)"
    ):
        lstm_forward(X.double().numpy(), PARAMS, lengths=np.array(5))


def test_mask_from_lengths_without_a_batch_names_it_batch() -> None:
    with pytest.raises(
        ShapeError, match=r"^lengths must be \(batch,\), got shape \(\); .*torch\.full\(\(batch,\), n\)"
    ):
        mask_from_lengths(torch.tensor(5), 5)


def test_reference_lengths_out_of_range_keep_their_message() -> None:
    with pytest.raises(ShapeError, match=r"with values in \[1, 5\]"):
        lstm_forward(X.double().numpy(), PARAMS, lengths=np.array([5, 0, 2]))
