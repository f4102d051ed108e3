"""RecurrentEncoder's ``mask`` as a library user passes it: a list or NumPy array is read as lengths are
(it was AttributeError "'list' object has no attribute 'shape'"), and a State passed as the third
positional argument (``encoder(x, lengths, state)``, nn.LSTM's habit) is one ShapeError naming
``state=`` (it was AttributeError "'State' object has no attribute 'shape'")."""

from __future__ import annotations

import pytest
import torch

from carrousel.core import RecurrentConfig, RecurrentEncoder
from carrousel.core.errors import ShapeError


def _encoder() -> RecurrentEncoder:
    torch.manual_seed(0)
    return RecurrentEncoder(RecurrentConfig(4, 6, bidirectional=True)).eval()


@pytest.mark.parametrize("kind", ["list", "numpy"])
def test_a_mask_given_as_a_list_or_array_equals_the_tensor_mask(kind: str) -> None:
    encoder, x = _encoder(), torch.randn(3, 5, 4)
    mask = torch.arange(5)[None, :] < torch.tensor([5, 3, 1])[:, None]
    given = mask.tolist() if kind == "list" else mask.numpy()
    out, ref = encoder(x, mask=given), encoder(x, mask=mask)
    assert torch.equal(out.output, ref.output) and torch.equal(out.last, ref.last)


def test_a_state_passed_as_the_third_positional_argument_names_state() -> None:
    encoder, x, lengths = _encoder(), torch.randn(3, 5, 4), torch.tensor([5, 3, 1])
    state = encoder(x, lengths).state
    with pytest.raises(
        ShapeError,
        match=r"got a State; the third positional argument is mask: pass an initial state as state=\.\.\.$",
    ):
        encoder(x, lengths, state)
    assert encoder(x, lengths, state=state).last.shape == (3, 12)
