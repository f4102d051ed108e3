"""The hand-written LSTM loops in Python (lstm_loop.py, ln_lstm_loop.py) against the autograd step loop they
replace, and numerically."""

from __future__ import annotations

import copy

import pytest
import torch

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.lstm_loop import lstm_loop

DT = torch.float64

pytestmark = pytest.mark.usefixtures("one_thread")


def _pair(cell: str, **kw: object) -> tuple[LoopLayer, LoopLayer]:
    fast = LoopLayer(cell, 3, 5, **kw).to(DT)  # type: ignore[arg-type]
    for c in fast.cells:
        if cell == "peephole_lstm":
            torch.nn.init.normal_(c.peephole)  # type: ignore[arg-type]
        if cell == "ln_lstm":
            for ln in (c.ln_ih, c.ln_hh, c.ln_c):  # type: ignore[union-attr]
                torch.nn.init.normal_(ln.weight)
                torch.nn.init.normal_(ln.bias)
    assert fast.fused_loop
    fast.native = False  # the Python loops (the C++ ones: test_lstm_native.py)
    ref = copy.deepcopy(fast)
    ref.fused_loop = False
    return fast, ref


def _run(layer: LoopLayer, x: torch.Tensor, lengths: torch.Tensor | None, state: tuple) -> list[torch.Tensor]:
    torch.manual_seed(7)  # the same dropout / zoneout masks for both paths
    out, (h, c) = layer(x, lengths, state)
    weight = torch.linspace(-1, 1, out.numel(), dtype=DT).view_as(out)
    loss = (out * weight).sum() + (h * 1.3).sum() + (c * c).sum()
    grads = torch.autograd.grad(loss, [x, *state, *layer.parameters()])
    return [out, h, c, *grads]


@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
@pytest.mark.parametrize(
    ("kw", "train"),
    [
        ({}, True),
        ({"bidirectional": True, "zoneout": 0.2}, True),
        ({"bidirectional": True, "zoneout": 0.2, "recurrent_dropout": 0.3}, True),
        ({"zoneout": 0.3, "recurrent_dropout": 0.3}, False),
    ],
)
def test_matches_the_autograd_loop_with_gradients(cell: str, kw: dict, train: bool) -> None:
    """Outputs, final states and every gradient (input, initial state, weights) equal the autograd step
    loop's under the same masks, with lengths and an initial state."""
    fast, ref = _pair(cell, **kw)
    fast.train(train)
    ref.train(train)
    D = 2 if kw.get("bidirectional") else 1
    x = torch.randn(4, 6, 3, dtype=DT, requires_grad=True)
    state = (
        torch.randn(D, 4, 5, dtype=DT, requires_grad=True),
        torch.randn(D, 4, 5, dtype=DT, requires_grad=True),
    )
    for lengths in (torch.tensor([6, 3, 5, 1]), None):
        got, want = _run(fast, x, lengths, state), _run(ref, x, lengths, state)
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("peephole", [False, True])
def test_gradcheck_with_zoneout_and_dropout_masks(peephole: bool) -> None:
    torch.manual_seed(0)
    T, B, In, H = 4, 2, 2, 3
    x = torch.randn(T, B, In, dtype=DT, requires_grad=True)
    w_ih = torch.randn(4 * H, In, dtype=DT, requires_grad=True)
    bias = torch.randn(4 * H, dtype=DT, requires_grad=True)
    w = torch.randn(4 * H, H, dtype=DT, requires_grad=True)
    p = torch.randn(3, H, dtype=DT, requires_grad=True) if peephole else None
    h0 = torch.randn(B, H, dtype=DT, requires_grad=True)
    c0 = torch.randn(B, H, dtype=DT, requires_grad=True)
    drop = torch.bernoulli(torch.full((B, H), 0.7, dtype=DT)) / 0.7
    zh = torch.bernoulli(torch.full((T, B, H), 0.3, dtype=DT))
    zc = torch.bernoulli(torch.full((T, B, H), 0.3, dtype=DT))

    def f(*args: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x_, w_ih_, b_, w_, h0_, c0_, *rest = args
        return lstm_loop(x_, w_ih_, b_, w_, rest[0] if rest else None, h0_, c0_, drop, zh, zc, 0.3)

    inputs = (x, w_ih, bias, w, h0, c0, *([p] if p is not None else []))
    assert torch.autograd.gradcheck(f, inputs)


def test_zoneout_masks_follow_the_probability() -> None:
    """Training zoneout keeps about p of the units at their previous value (here: the zero state when the
    new value is non-zero), the same fraction as the mask drawn by the autograd loop."""
    torch.manual_seed(3)
    p = 0.25
    layer = LoopLayer("lstm", 2, 64, zoneout=p).train()
    with torch.no_grad():
        layer.cells[0].bias_ih.fill_(2.0)  # every new h is clearly non-zero
    out, _ = layer(torch.randn(32, 1, 2), None, None)
    kept = float((out == 0).double().mean())
    assert abs(kept - p) < 0.03


def test_encoder_default_path_is_the_fused_loop() -> None:
    enc = RecurrentEncoder(RecurrentConfig(3, 5, cell="peephole_lstm", num_layers=2, zoneout=0.1))
    assert all(isinstance(layer, LoopLayer) and layer.fused_loop for layer in enc.layers)
    ln = RecurrentEncoder(RecurrentConfig(3, 5, cell="ln_lstm"))
    assert ln.layers[0].fused_loop  # type: ignore[union-attr]  # C++ where built, else the autograd loop
    proj = RecurrentEncoder(RecurrentConfig(3, 5, zoneout=0.1, proj_size=2))
    gru = RecurrentEncoder(RecurrentConfig(3, 5, cell="gru", zoneout=0.1))
    assert not any(e.layers[0].fused_loop for e in (proj, gru))  # the autograd loop
