"""An input of the wrong shape names its likely fix wherever an encoder's input is taken, not only in the
encoder: explain_backend and the NumPy reference layer said only "x must be (batch, time, features), got
shape ...". Both now call nn.input_shape.input_shape_message (the reference layer with NumPy spellings)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

from carrousel.core.errors import ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, explain_backend
from carrousel.core.nn.input_shape import input_shape_message
from carrousel.core.nn.reference import lstm_forward

RNG = np.random.default_rng(0)
PARAMS = {
    "weight_ih": RNG.normal(size=(8, 2)),
    "weight_hh": RNG.normal(size=(8, 2)),
    "bias_ih": np.zeros(8),
    "bias_hh": np.zeros(8),
}
ENCODER = RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=2, cell="gru"))
CASES: dict[str, tuple[Callable[[], object], str]] = {
    "explain_backend, one sequence": (
        lambda: explain_backend(ENCODER, torch.randn(5, 2)),
        "input must be (batch, time, 2), got shape (5, 2); for one sequence add the batch dimension: "
        "x.unsqueeze(0)",
    ),
    "explain_backend, a torch.nn RNN, one step": (
        lambda: explain_backend(nn.LSTM(2, 3, batch_first=True), torch.randn(2)),
        "input must be (batch, time, 2), got shape (2,); for one step of one sequence: x.view(1, 1, -1)",
    ),
    "explain_backend, a container: its feature count unknown": (
        lambda: explain_backend(nn.Sequential(nn.GRU(2, 2, batch_first=True)), torch.randn(5, 2)),
        "input must be (batch, time, features), got shape (5, 2); for one sequence add the batch dimension: "
        "x.unsqueeze(0)",
    ),
    "reference, one sequence": (
        lambda: lstm_forward(np.zeros((5, 2)), PARAMS),
        "input must be (batch, time, 2), got shape (5, 2); for one sequence add the batch dimension: x[None]",
    ),
    "reference, channels-first": (
        lambda: lstm_forward(np.zeros((3, 2, 5)), PARAMS),
        "input must be (batch, time, 2), got shape (3, 2, 5); the input looks channels-first "
        "(batch, features, time): x.transpose(0, 2, 1)",
    ),
    "reference, other features": (
        lambda: lstm_forward(np.zeros((3, 5, 3)), PARAMS),
        "input must be (batch, time, 2), got shape (3, 5, 3); the encoder was built for 2 features",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_input_shape_names_the_fix(name: str) -> None:
    call, message = CASES[name]
    with pytest.raises(ShapeError, match="^" + re.escape(message)):
        call()


def test_the_numpy_fixes_run_on_an_array() -> None:
    """The NumPy spellings the reference layer names do what they say on an array."""
    assert np.zeros((5, 2))[None].shape == (1, 5, 2)
    assert np.zeros(2).reshape(1, 1, -1).shape == (1, 1, 2)
    assert np.zeros((3, 2, 5)).transpose(0, 2, 1).shape == (3, 5, 2)
    assert (
        input_shape_message((2, 3, 4), None) == "input must be (batch, time, features), got shape (2, 3, 4)"
    )
