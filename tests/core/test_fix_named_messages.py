"""Core messages that named the problem but not the fix: an encoder's initial state of the wrong shape, frame
distillation's lengths of another batch, and the line every rank raises when one failed (the trainer's and the
metrics' gathers spelled it twice, in two wordings; both now use errors.rank_failure)."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import CarrouselError, ShapeError, error_line, rank_failure
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, State
from carrousel.core.train.distill_loss import frame_kl

X = torch.randn(3, 5, 2)


def _lstm() -> RecurrentEncoder:
    return RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=4, cell="lstm", num_layers=2))


def test_a_batch_first_state_names_the_transpose() -> None:
    enc = _lstm()
    h, c = enc.init_hidden(3)
    with pytest.raises(
        ShapeError,
        match=r"^state\.h must be \(num_layers \* num_directions, B, H\) = \(2, 3, 4\), got \(3, 2, 4\); "
        r"the state is layer-major, not batch-first: pass state\.h\.transpose\(0, 1\)$",
    ):
        enc(X, state=State(h.transpose(0, 1), c))


def test_a_state_of_another_batch_names_init_hidden() -> None:
    enc = _lstm()
    h, c = enc.init_hidden(4)
    with pytest.raises(
        ShapeError,
        match=r"got \(2, 4, 4\); the state was made for a batch of 4, the input has 3 rows: "
        r"start from encoder\.init_hidden\(3\)",
    ):
        enc(X, state=State(h[:, :3], c))


def test_a_missing_or_odd_cell_state_names_the_fix() -> None:
    enc = _lstm()
    h, _ = enc.init_hidden(3)
    with pytest.raises(
        ShapeError,
        match=r"^state\.c must be .* = \(2, 3, 4\), got None; start from "
        r"encoder\.init_hidden\(3\)",
    ):
        enc(X, state=State(h, None))
    gru = RecurrentEncoder(RecurrentConfig(input_size=2, hidden_size=4, cell="gru"))
    gh, _ = gru.init_hidden(3)
    with pytest.raises(ShapeError, match=r"has no cell state\); pass State\(state\.h, None\)$"):
        gru(X, state=State(gh, torch.zeros_like(gh)))


def test_frame_kl_lengths_of_another_batch_name_the_fix() -> None:
    s = torch.randn(3, 5, 4)
    with pytest.raises(
        ShapeError,
        match=r"^lengths must be \(B,\) = \(3,\), one valid-frame count per sequence of the batch, got shape "
        r"\(2,\); pass the lengths of this batch",
    ):
        frame_kl(s, s.clone(), torch.tensor([5, 4]))


def test_one_rank_failure_line() -> None:
    line = error_line(ValueError("bad batch"))
    assert line == "ValueError: bad batch"
    error = rank_failure("evaluation", 1, line)
    assert isinstance(error, CarrouselError)
    assert str(error) == (
        "evaluation failed on rank 1 (ValueError: bad batch); this rank stops with it: "
        "fix the error that rank raised"
    )
