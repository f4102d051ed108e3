"""Second derivatives through the hand-written LSTM-family loops (lstm_loop.py, ln_lstm_loop.py,
lstm_native.py): their backward with ``create_graph=True`` recomputes the forward with plain torch ops
(lstm_graph.py), so a gradient penalty through an encoder on them equals the autograd step loop's and the
Functions pass gradgradcheck (with zoneout masks and recurrent dropout)."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.ln_lstm_loop import LNLSTMLoop
from carrousel.core.nn.lstm_loop import LSTMLoop
from carrousel.core.nn.lstm_native import NativeLNLSTMLoop, NativeLSTMLoop, _Projection
from carrousel.core.nn.native import native_applies
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder

DT = torch.float64
T, B, IN, H = 4, 3, 2, 3

pytestmark = pytest.mark.usefixtures("one_thread")


def _penalty_grads(layer: LoopLayer, x: Tensor, lengths: Tensor | None, seed: int) -> list[Tensor]:
    """A gradient penalty ``|d loss / d x|^2`` and its gradient with respect to ``x`` and every parameter."""
    torch.manual_seed(seed)  # the same zoneout / dropout masks on every path
    out, (h_n, c_n) = layer(x, lengths, None)
    loss = out.pow(2).sum() + h_n.sum() + c_n.pow(2).sum()  # type: ignore[union-attr]
    (g,) = torch.autograd.grad(loss, x, create_graph=True)
    penalty = g.pow(2).sum()
    return list(torch.autograd.grad(penalty, [x, *layer.parameters()]))


def _layers(cell: str, native: bool) -> tuple[LoopLayer, LoopLayer]:
    """A training layer on the hand-written loop (``native``: the C++ one) and the autograd step loop
    with the same weights, zoneout and recurrent dropout."""
    torch.manual_seed(0)
    fast = LoopLayer(cell, IN, H, bidirectional=True, zoneout=0.3, recurrent_dropout=0.25).to(DT)
    for p in fast.parameters():  # peepholes and LayerNorm affines away from their zero / one init
        p.data.add_(0.3 * torch.randn_like(p))
    fast.native = native
    ref = LoopLayer(cell, IN, H, bidirectional=True, zoneout=0.3, recurrent_dropout=0.25).to(DT)
    ref.load_state_dict(fast.state_dict())
    ref.fused_loop = False
    return fast, ref


def _check_layer(cell: str, native: bool, lengths: Tensor | None, train: bool) -> None:
    fast, ref = _layers(cell, native)
    fast.train(train)
    ref.train(train)
    x = torch.randn(B, T, IN, dtype=DT, requires_grad=True)
    ours = _penalty_grads(fast, x, lengths, seed=5)
    theirs = _penalty_grads(ref, x, lengths, seed=5)
    assert ours[0].abs().sum() > 0
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
@pytest.mark.parametrize("lengths", [None, [4, 2, 1]])
@pytest.mark.parametrize("train", [True, False])
def test_gradient_penalty_equals_the_autograd_loop_python(
    cell: str, lengths: list[int] | None, train: bool
) -> None:
    """lstm_loop.py / ln_lstm_loop.py: the penalty's gradients equal the autograd step loop's (training:
    zoneout masks and recurrent dropout; evaluation: zoneout's expectation)."""
    _check_layer(cell, False, None if lengths is None else torch.tensor(lengths), train)


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "ln_lstm"])
@pytest.mark.parametrize("lengths", [None, [4, 2, 1]])
@pytest.mark.parametrize("train", [True, False])
def test_gradient_penalty_equals_the_autograd_loop_native(
    cell: str, lengths: list[int] | None, train: bool
) -> None:
    """The C++ loops of lstm_native.py: as above."""
    fast, _ = _layers(cell, True)
    x = torch.randn(B, T, IN, dtype=DT)
    assert fast.native and fast.fused_loop and native_applies(x)[0]
    _check_layer(cell, True, None if lengths is None else torch.tensor(lengths), train)


def _masks(seed: int) -> tuple[Tensor, Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    drop = (torch.rand(B, H, generator=g, dtype=DT) > 0.3).to(DT) / 0.7
    zh = (torch.rand(T, B, H, generator=g, dtype=DT) < 0.3).to(DT)
    zc = (torch.rand(T, B, H, generator=g, dtype=DT) < 0.3).to(DT)
    return drop, zh, zc


def _leaf(*shape: int) -> Tensor:
    return (0.5 * torch.randn(*shape, dtype=DT)).requires_grad_()


def _lstm_args() -> tuple[list[Tensor], tuple[Tensor, Tensor, Tensor]]:
    torch.manual_seed(1)
    x, w_ih, bias, w_hh = _leaf(T, B, IN), _leaf(4 * H, IN), _leaf(4 * H), _leaf(4 * H, H)
    return [x, w_ih, bias, w_hh, _leaf(3, H), _leaf(B, H), _leaf(B, H)], _masks(2)


@pytest.mark.parametrize("native", [False, True])
def test_lstm_loops_pass_gradgradcheck(native: bool, request: pytest.FixtureRequest) -> None:
    """LSTMLoop / NativeLSTMLoop (peephole, recurrent dropout, zoneout masks): gradgradcheck."""
    if native:
        request.getfixturevalue("native")  # skips where the C++ loop cannot be built
    fn = NativeLSTMLoop if native else LSTMLoop
    diff, (drop, zh, zc) = _lstm_args()

    def run(*a: Tensor) -> tuple[Tensor, Tensor]:
        out: tuple[Tensor, Tensor] = fn.apply(*a, drop, zh, zc, 0.3)  # type: ignore[no-untyped-call]
        return out

    assert torch.autograd.gradgradcheck(run, tuple(diff))


def _ln_args() -> tuple[list[Tensor], tuple[Tensor, Tensor, Tensor]]:
    torch.manual_seed(3)
    w = [_leaf(4 * H, H), 1 + _leaf(4 * H).detach(), _leaf(4 * H), 1 + _leaf(H).detach(), _leaf(H)]
    w = [t.detach().requires_grad_() for t in w]
    return w, _masks(4)


def test_ln_lstm_loop_passes_gradgradcheck() -> None:
    """LNLSTMLoop (recurrent dropout, zoneout masks): gradgradcheck."""
    (w_hh, hh_w, hh_b, c_w, c_b), (drop, zh, zc) = _ln_args()
    xw = _leaf(T, B, 4 * H)

    def run(xw: Tensor, *a: Tensor) -> tuple[Tensor, Tensor]:
        w_hh, hh_w, hh_b, c_w, c_b, h0, c0 = a
        out: tuple[Tensor, Tensor] = LNLSTMLoop.apply(  # type: ignore[no-untyped-call]
            xw, w_hh, hh_w, hh_b, c_w, c_b, 1e-5, h0, c0, drop, zh, zc, 0.3
        )
        return out

    assert torch.autograd.gradgradcheck(run, (xw, w_hh, hh_w, hh_b, c_w, c_b, _leaf(B, H), _leaf(B, H)))


@pytest.mark.usefixtures("native")
def test_native_ln_lstm_loop_and_projection_pass_gradgradcheck() -> None:
    """_Projection and NativeLNLSTMLoop (its LN_ih inside; recurrent dropout, zoneout masks): gradgradcheck."""
    (w_hh, hh_w, hh_b, c_w, c_b), (drop, zh, zc) = _ln_args()
    x, w_ih = _leaf(T, B, IN), _leaf(4 * H, IN)
    assert torch.autograd.gradgradcheck(_Projection.apply, (x, w_ih))
    ih_w, ih_b, bias = (1 + _leaf(4 * H)).detach().requires_grad_(), _leaf(4 * H), _leaf(4 * H)

    def run(x: Tensor, w_ih: Tensor, *a: Tensor) -> tuple[Tensor, Tensor]:
        xw = _Projection.apply(x, w_ih)  # type: ignore[no-untyped-call]
        bias, w_hh, ih_w, ih_b, hh_w, hh_b, c_w, c_b, h0, c0 = a
        lns = (ih_w, ih_b, hh_w, hh_b, c_w, c_b)
        out: tuple[Tensor, Tensor] = NativeLNLSTMLoop.apply(  # type: ignore[no-untyped-call]
            xw, bias, w_hh, *lns, 1e-5, h0, c0, drop, zh, zc, 0.3
        )
        return out

    inputs = (x, w_ih, bias, w_hh, ih_w, ih_b, hh_w, hh_b, c_w, c_b, _leaf(B, H), _leaf(B, H))
    assert torch.autograd.gradgradcheck(run, inputs)


@pytest.mark.parametrize("cell", ["peephole_lstm", "ln_lstm", "lstm"])
def test_encoder_gradient_penalty_equals_the_python_loop(cell: str) -> None:
    """The issue's repro: a gradient penalty through a RecurrentEncoder on the hand-written loop (``lstm``
    with ``backend="loop"``) gives the autograd step loop's numbers (it raised "appears to not have been
    used in the graph" before)."""
    backend = "loop" if cell == "lstm" else "auto"
    torch.manual_seed(0)
    cfg = RecurrentConfig(input_size=3, hidden_size=4, cell=cell, backend=backend, zoneout=0.2)
    enc = RecurrentEncoder(cfg).to(DT).eval()
    x = torch.randn(2, 5, 3, dtype=DT, requires_grad=True)
    lengths = torch.tensor([5, 3])

    def penalty() -> list[Tensor]:
        out = enc(x, lengths=lengths)
        y = out.output if hasattr(out, "output") else out[0]
        (g,) = torch.autograd.grad(y.pow(2).sum(), x, create_graph=True)
        return list(torch.autograd.grad(g.pow(2).sum(), [x, *enc.parameters()]))

    layer = enc.layers[0]
    assert isinstance(layer, LoopLayer) and layer.fused_loop
    ours = penalty()
    layer.fused_loop = False
    theirs = penalty()
    assert ours[0].abs().sum() > 0
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
