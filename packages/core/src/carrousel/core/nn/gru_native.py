"""``nn.GRU``'s layer on the fused C++ loop of ``csrc/gru_cells.cpp``: :func:`native_gru`.

PyTorch runs ``nn.GRU`` on CPU in ATen's step loop (oneDNN's RNN path in ATen is LSTM-only), and in
training autograd records every step's dozen operations and replays them one by one: at B=128, T=60,
I=4, H=64 a training step of ``nn.GRU`` took about twice ``nn.LSTM``'s on oneDNN although the GRU does
3/4 of the arithmetic (``benchmarks/bench_encoder.py``). :class:`NativeGRU` runs the forward and the
backward over time as one C++ call each (a step: one recurrent GEMM and one vectorised pass over the
gates); the input projection and the weight and input gradients are one GEMM each over all steps.

Same parameters (``weight_ih`` ``(3H, I)``, ``weight_hh`` ``(3H, H)``, biases ``(3H,)``, gate order
``r, z, n``), outputs and gradients as ``torch.gru`` (tested equal in float64, ``tests/core/test_gru_native.py``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from carrousel.core.args import check_args
from carrousel.core.nn.lstm_graph import graph_backward
from carrousel.core.nn.lstm_loop import recurrent_inputs
from carrousel.core.nn.lstm_native import weight_grad
from carrousel.core.nn.native import native_applies, native_ops

__all__ = ["NativeGRU", "choose_gru_kernel", "native_gru"]


class NativeGRU(torch.autograd.Function):
    """Forward and hand-written backward of one GRU layer and direction in C++.

    ``apply(x, weight_ih, weight_hh, bias_ih, bias_hh, h0)`` with ``x`` ``(T, B, I)`` time-major input,
    the weights of ``nn.GRU`` (``(3H, I)``, ``(3H, H)``, ``(3H,)``, ``(3H,)``) and ``h0`` ``(B, H)``.
    Returns ``h`` of every step, ``(T, B, H)``. CPU float32/float64 only.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: Tensor,
        weight_ih: Tensor,
        weight_hh: Tensor,
        bias_ih: Tensor,
        bias_hh: Tensor,
        h0: Tensor,
    ) -> Tensor:
        gi = _input_gates(x, weight_ih, bias_ih)
        hs, saved = native_ops().gru_fwd(gi, bias_hh, weight_hh.t(), h0, True)
        ctx.save_for_backward(x, weight_ih, weight_hh, bias_ih, bias_hh, h0, hs, saved)
        return hs  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, dhs: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True (a gradient penalty...): see _graph_backward
            return _graph_backward(ctx, dhs)
        return _fused_backward(ctx, dhs)


@once_differentiable
def _fused_backward(ctx: Any, dhs: Tensor) -> tuple[Tensor | None, ...]:
    """The C++ backward over time, then the weight and input gradients, one GEMM each."""
    x, weight_ih, weight_hh, _, _, h0, hs, saved = ctx.saved_tensors
    T, B, H = hs.shape
    x2 = x.reshape(T * B, -1)
    dgi, dgh, dh0 = native_ops().gru_bwd(saved, hs, h0, weight_hh, dhs)
    gi_flat, gh_flat = dgi.view(T * B, 3 * H), dgh.view(T * B, 3 * H)
    need = ctx.needs_input_grad
    dx = torch.mm(gi_flat, weight_ih).view(T, B, -1) if need[0] else None
    dw_ih = weight_grad(gi_flat, x2) if need[1] else None
    dw_hh = weight_grad(gh_flat, recurrent_inputs(h0, hs, None)) if need[2] else None
    ones = gi_flat.new_ones(T * B)
    db_ih = _bias_grad(gi_flat, ones) if need[3] else None
    db_hh = _bias_grad(gh_flat, ones) if need[4] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh, dh0 if need[5] else None


def _input_gates(x: Tensor, weight_ih: Tensor, bias_ih: Tensor) -> Tensor:
    """``W_ih x + b_ih`` of every step, one GEMM: ``(T, B, 3H)`` from ``x`` ``(T, B, I)``."""
    return torch.addmm(bias_ih, x.reshape(-1, x.shape[2]), weight_ih.t()).view(x.shape[0], x.shape[1], -1)


def _bias_grad(g: Tensor, ones: Tensor) -> Tensor:
    """The bias gradient, the column sums of ``g`` ``(T*B, 3H)``, as one GEMV with ``ones`` ``(T*B,)``:
    about 3x faster than ``g.sum(0)`` at ``6400 x 768`` on one thread (scratch timing, 1.1 against 3.3 ms)."""
    return torch.mv(g.t(), ones)


def _graph_backward(ctx: Any, dhs: Tensor) -> tuple[Tensor | None, ...]:
    """A backward that autograd can differentiate again (``create_graph=True``): the layer's forward is
    recomputed with ``torch.gru`` on the saved inputs (which keep their graph) and differentiated by
    autograd (core's :func:`~carrousel.core.nn.lstm_graph.graph_backward`), so second derivatives are those
    of ``nn.GRU`` (the C++ backward has none)."""
    inputs = ctx.saved_tensors[:6]  # x, weight_ih, weight_hh, bias_ih, bias_hh, h0
    return graph_backward(ctx.needs_input_grad, inputs, _gru_reference, (dhs,), len(inputs))


def _gru_reference(
    x: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor, bias_hh: Tensor, h0: Tensor
) -> Tensor:
    """:class:`NativeGRU`'s forward by ``torch.gru`` (differentiable twice): ``h`` of every step."""
    params = [weight_ih, weight_hh, bias_ih, bias_hh]
    return torch.gru(x, h0.unsqueeze(0), params, True, 1, 0.0, False, False, False)[0]


def native_gru(
    x: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    h0: Tensor,
) -> Tensor:
    """One GRU layer and direction over ``x`` ``(T, B, I)`` from ``h0`` ``(B, H)`` on the fused C++ loop.

    Args:
        x: time-major input ``(T, B, I)``.
        weight_ih: ``(3H, I)``, gate order ``r, z, n`` as ``nn.GRU``.
        weight_hh: ``(3H, H)``.
        bias_ih: ``(3H,)`` or None (a module built with ``bias=False``).
        bias_hh: ``(3H,)`` or None.
        h0: ``(B, H)`` initial state.

    Returns:
        ``h`` of every step, ``(T, B, H)``; the final state is its last row.
    """
    if bias_ih is None or bias_hh is None:
        bias_ih = bias_hh = weight_ih.new_zeros(weight_ih.shape[0])
    if not (
        torch.is_grad_enabled()
        and any(t.requires_grad for t in (x, weight_ih, weight_hh, bias_ih, bias_hh, h0))
    ):
        gi = _input_gates(x, weight_ih, bias_ih)
        hs: Tensor = native_ops().gru_fwd(gi, bias_hh, weight_hh.t(), h0, False)[0]
        return hs
    out: Tensor = NativeGRU.apply(x, weight_ih, weight_hh, bias_ih, bias_hh, h0)  # type: ignore[no-untyped-call]
    return out


@check_args
def choose_gru_kernel(rnn: nn.RNNBase, x: Tensor, grad: bool | None = None) -> tuple[bool, str]:
    """Whether an encoder's fused ``nn.GRU`` runs on :func:`native_gru` instead of ATen's loop, and why.

    Chosen where autograd records on CPU (float32/float64, no autocast or tracing, the extension built):
    ``benchmarks/bench_encoder.py`` measures the training step at about half ``nn.GRU``'s time. Without a
    backward ATen's forward is kept: the C++ forward alone (the bench's ``raw_native`` / ``padded_native``
    rows) measured 0.83-1.67x ``nn.GRU`` without lengths and 0.77-1.50x packing with lengths over three
    runs, not a clear win at every shape (core README).

    Args:
        rnn: the fused module.
        x: its input (device and dtype matter).
        grad: whether autograd is on (default: the grad mode); it records if ``x`` or a weight needs grad.

    Returns:
        ``(native, reason)``.
    """
    if rnn.mode != "GRU":
        return False, f"the fused C++ loop is for GRU only, not {rnn.mode}"
    grad = torch.is_grad_enabled() if grad is None else grad
    if not (grad and (x.requires_grad or any(p.requires_grad for p in rnn.parameters()))):
        return False, "no backward follows, so ATen's GRU forward runs (the C++ loop is chosen for training)"
    ok, why = native_applies(x)
    if not ok:
        return False, f"ATen's GRU loop: {why}"
    return True, (
        "training on CPU: the fused C++ GRU loop (csrc/gru_cells.cpp, hand-written backward, exact to "
        "nn.GRU) measures about twice as fast as ATen's recorded step loop (benchmarks/bench_encoder.py)"
    )
