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


def test_reference_lengths_out_of_range_name_their_fix() -> None:
    """The reference layer said only "lengths must be (batch,) = (3,) with values in [1, 5]"; it now goes
    through nn.lengths.check_lengths, as the encoder does, and names each fix."""
    with pytest.raises(
        ShapeError,
        match=r"^lengths must lie in \[1, 5\], got min 0 max 5; drop empty sequences before encoding$",
    ):
        lstm_forward(X.double().numpy(), PARAMS, lengths=np.array([5, 0, 2]))
    with pytest.raises(
        ShapeError, match=r"pad the input to max\(lengths\) = 7 steps or clip the lengths to 5"
    ):
        lstm_forward(X.double().numpy(), PARAMS, lengths=[5, 7, 2])


def test_explain_backend_checks_the_lengths_range_as_the_encoder_does() -> None:
    """explain_backend checked only the lengths' shape (its own copy of the rule): a length past the input's
    steps went unnoticed. It now calls nn.lengths.check_lengths."""
    enc = RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=2, cell="gru"))
    with pytest.raises(ShapeError, match=r"^lengths must lie in \[1, 5\], got min 2 max 6; a length is past"):
        explain_backend(enc, X, torch.tensor([6, 5, 2]))
    assert explain_backend(enc, X, torch.tensor([5, 3, 2])).layers
