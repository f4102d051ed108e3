"""RecurrentEncoder rows of length 0 given a state (a truncated-BPTT chunk past a sequence's end): zeros
out, the state kept, the other rows as if run alone, on every backend; and the trainer's TBPTT on
variable-length batches, which the encoder refused before (lengths must lie in [1, T])."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from carrousel.core.errors import ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, State
from carrousel.core.train import Task, TrainConfig, Trainer
from tests.core.test_recurrent import PATHS as BASE_PATHS

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see tests/conftest.py

IN, H = 3, 5
PATHS: list[dict[str, Any]] = [  # the encoder paths of test_recurrent, and both variable-length ones
    BASE_PATHS[0],
    dict(cell="lstm", num_layers=2, varlen="packed"),
    dict(cell="gru", num_layers=2, varlen="padded"),
    *BASE_PATHS[1:],
]
IDS = ["-".join(f"{k}={v}" for k, v in p.items()) for p in PATHS]


def make(device: torch.device, dtype: torch.dtype, **kw: Any) -> RecurrentEncoder:
    return RecurrentEncoder(RecurrentConfig(input_size=IN, hidden_size=H, **kw)).to(device, dtype).eval()


def random_state(enc: RecurrentEncoder, b: int, device: torch.device, dtype: torch.dtype) -> State:
    zero = enc.init_hidden(b, device)
    g = torch.Generator().manual_seed(3)
    h = torch.randn(zero.h.shape, generator=g, dtype=dtype).to(device)
    c = None if zero.c is None else torch.randn(zero.c.shape, generator=g, dtype=dtype).to(device)
    return State(h, c)


def rows(state: State, idx: list[int]) -> State:
    return State(state.h[:, idx], None if state.c is None else state.c[:, idx])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kw", PATHS, ids=IDS)
def test_empty_rows_keep_their_state_and_the_others_run_alone(
    kw: dict[str, Any], dtype: torch.dtype, device: torch.device
) -> None:
    enc = make(device, dtype, **kw)
    lengths = torch.tensor([4, 0, 2, 0, 1])
    x = torch.randn(5, 4, IN, device=device, dtype=dtype)
    state = random_state(enc, 5, device, dtype)
    out = enc(x, lengths, state=state)  # before: ShapeError "lengths must lie in [1, 4], got min 0"
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    for empty in (1, 3):
        assert torch.equal(out.output[empty], torch.zeros_like(out.output[empty]))
        assert torch.equal(out.state.h[:, empty], state.h[:, empty])
        if state.c is not None:
            assert out.state.c is not None and torch.equal(out.state.c[:, empty], state.c[:, empty])
    alone = enc(x[[0, 2, 4]], lengths[[0, 2, 4]], state=rows(state, [0, 2, 4]))
    torch.testing.assert_close(out.output[[0, 2, 4]], alone.output, **tol)
    torch.testing.assert_close(out.last[[0, 2, 4]], alone.last, **tol)
    torch.testing.assert_close(rows(out.state, [0, 2, 4]), alone.state, **tol)
    D, Hout = enc.config.directions, enc.config.proj_size or H
    top = state.h.view(enc.config.num_layers, D, 5, Hout)[-1, :, 1]  # (D, H_out) of row 1
    assert torch.equal(out.last[1], top.reshape(-1))


@pytest.mark.parametrize("kw", PATHS, ids=IDS)
def test_gradients_skip_empty_rows_and_pass_their_state_through(
    kw: dict[str, Any], device: torch.device
) -> None:
    enc = make(device, torch.float64, **kw)
    lengths = torch.tensor([3, 0, 2])
    x = torch.randn(3, 3, IN, device=device, dtype=torch.float64, requires_grad=True)
    state = random_state(enc, 3, device, torch.float64)
    state = State(state.h.requires_grad_(), None if state.c is None else state.c.requires_grad_())
    w = torch.randn(state.h.shape, device=device, dtype=torch.float64)
    out = enc(x, lengths, state=state)
    (out.output.square().sum() + (out.state.h * w).sum() + out.last.sum()).backward()
    grads = [p.grad.clone() for p in enc.parameters()]  # type: ignore[union-attr]
    assert all(bool(torch.isfinite(g).all()) for g in grads)
    assert x.grad is not None and not bool(x.grad[1].any())  # the empty row's input is never read
    assert state.h.grad is not None
    # the empty row's state goes straight to the output state (and, for the top layer, to ``last``)
    D, Hout, L = enc.config.directions, enc.config.proj_size or H, enc.config.num_layers
    want = w[:, 1].clone().view(L, D, Hout)
    want[-1] += 1.0
    torch.testing.assert_close(state.h.grad[:, 1], want.view(L * D, Hout), rtol=0, atol=1e-12)
    enc.zero_grad()
    alone = enc(x.detach()[[0, 2]], lengths[[0, 2]], state=rows(state, [0, 2]))
    (alone.output.square().sum() + (alone.state.h * w[:, [0, 2]]).sum() + alone.last.sum()).backward()
    for p, g in zip(enc.parameters(), grads, strict=True):
        torch.testing.assert_close(g, p.grad, rtol=1e-10, atol=1e-12)


def test_all_rows_empty_return_zeros_and_the_state(device: torch.device) -> None:
    enc = make(device, torch.float64, cell="lstm", num_layers=2, bidirectional=True)
    state = random_state(enc, 2, device, torch.float64)
    out = enc(torch.randn(2, 3, IN, device=device, dtype=torch.float64), torch.tensor([0, 0]), state=state)
    assert out.output.shape == (2, 3, 2 * H) and not bool(out.output.any())
    assert out.state.h is state.h and out.state.c is state.c


def test_length_zero_without_a_state_is_still_refused() -> None:
    enc = make(torch.device("cpu"), torch.float64, cell="gru")
    x = torch.randn(2, 3, IN, dtype=torch.float64)
    with pytest.raises(ShapeError, match=r"lengths must lie in \[1, 3\], got min 0 max 3"):
        enc(x, torch.tensor([3, 0]))
    with pytest.raises(ShapeError, match=r"lengths must lie in \[0, 3\], got min 0 max 4"):
        enc(x, torch.tensor([4, 0]), state=enc.init_hidden(2))


class Tagger(nn.Module):
    """Per-step GRU tagger with lengths and a state."""

    def __init__(self, **kw: Any) -> None:
        super().__init__()
        self.encoder = RecurrentEncoder(RecurrentConfig(2, 8, **kw))
        self.head = nn.Linear(self.encoder.output_size, 2)

    def forward(self, x: Tensor, lengths: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out = self.encoder(x, lengths, state=state)
        return self.head(out.output), out.state


class TagTask(Task):
    """Per-step classification, masked past each chunk's lengths (a row of length 0 adds nothing)."""

    stateful = True

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> tuple[Tensor, Any]:
        return model(batch["x"], batch["lengths"], state[0] if state else None)

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        ce = nn.functional.cross_entropy(outputs.transpose(1, 2), batch["y"], reduction="none")
        T = batch["x"].shape[1]
        valid = (torch.arange(T).unsqueeze(0) < batch["lengths"].unsqueeze(1)).to(ce.dtype)
        return (ce * valid).sum() / valid.sum().clamp(min=1)


def _batches() -> list[dict[str, Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(4):
        lengths = torch.tensor([12, 3, 7, 1, 10, 5])
        x = torch.randn(6, 12, 2, generator=g)
        y = (x[..., 0] > 0).long()
        mask = torch.arange(12).unsqueeze(0) < lengths.unsqueeze(1)
        out.append({"x": x * mask.unsqueeze(-1), "lengths": lengths, "y": y * mask})
    return out


@pytest.mark.parametrize("kw", [dict(cell="gru"), dict(cell="lstm", num_layers=2, backend="loop")])
def test_tbptt_trains_on_variable_length_batches_and_predicts_as_one_pass(kw: dict[str, Any]) -> None:
    batches = _batches()
    torch.manual_seed(0)
    model = Tagger(**kw)
    cfg = TrainConfig(epochs=2, lr=1e-2, tbptt_steps=4, progress=False, device="cpu")
    trainer = Trainer(model, TagTask(), cfg)
    result = trainer.fit(batches)  # before: ShapeError at the second chunk (row 3's length 0)
    assert all(torch.isfinite(torch.tensor(h["train_loss"])) for h in result.history)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    chunked = trainer.predict(batches[:1])[0]  # three chunks of 4 steps, state carried per row
    whole = Trainer(model, TagTask(), TrainConfig(progress=False, device="cpu")).predict(batches[:1])[0]
    assert chunked.shape == whole.shape == (6, 12, 2)
    valid = torch.arange(12).unsqueeze(0) < batches[0]["lengths"].unsqueeze(1)
    torch.testing.assert_close(chunked[valid], whole[valid], rtol=1e-5, atol=1e-6)


class MeanTagTask(TagTask):
    """As :class:`TagTask`, but the mean over valid steps without a floor: 0/0 = NaN on a chunk of none."""

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        ce = nn.functional.cross_entropy(outputs.transpose(1, 2), batch["y"], reduction="none")
        T = batch["x"].shape[1]
        valid = (torch.arange(T).unsqueeze(0) < batch["lengths"].unsqueeze(1)).to(ce.dtype)
        return (ce * valid).sum() / valid.sum()


def test_a_chunk_past_every_sequence_end_is_skipped_in_training_and_evaluation() -> None:
    batches = []
    for b in _batches():  # padded to 16 steps, longest sequence 12: the fourth 4-step chunk is all padding
        lengths = b["lengths"]
        batches.append({"x": nn.functional.pad(b["x"], (0, 0, 0, 4)), "lengths": lengths,
                        "y": nn.functional.pad(b["y"], (0, 4))})  # fmt: skip
    torch.manual_seed(0)
    model = Tagger(cell="gru")
    cfg = TrainConfig(epochs=1, lr=1e-2, tbptt_steps=4, progress=False, device="cpu", optimizer="adam")
    trainer = Trainer(model, MeanTagTask(), cfg)
    result = trainer.fit(batches, val_loader=batches[:1])
    assert trainer.step == 4 * 3  # three chunks per batch take a step; the all-padding fourth does not
    assert all(torch.isfinite(torch.tensor(h["train_loss"])) for h in result.history)
    assert all(torch.isfinite(torch.tensor(h["val_loss"])) for h in result.history)
    assert all(bool(torch.isfinite(p).all()) for p in model.parameters())
    assert trainer.predict(batches[:1])[0].shape == (6, 16, 2)  # prediction keeps every step
