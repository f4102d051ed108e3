"""The LSTM step loops of :mod:`.lstm_loop` and :mod:`.ln_lstm_loop` on the fused C++ kernels of :mod:`.native`.

Same arguments, results and gradients as :class:`~carrousel.core.nn.lstm_loop.LSTMLoop` (tested equal in
float64 and by gradcheck, ``tests/core/test_lstm_native.py``), but no Python runs per step: the forward
and the backward over time are one C++ call each (``lstm_fwd`` / ``lstm_bwd``, ``ln_lstm_fwd`` /
``ln_lstm_bwd`` for ``ln_lstm`` with its three LayerNorms and their backward inside), where a step is one
recurrent GEMM (``addmm_`` / ``mm_out``) and one vectorised pass over the gate arithmetic. The GEMMs over
all steps (the input projection, the weight and input gradients) stay here, one call each. Where no
backward follows (``torch.no_grad``, or nothing requires grad) a forward alone runs (``lstm_fwd_infer``,
``ln_lstm_fwd`` with ``keep=False``): each step's input projection and gates in a cache-resident scratch,
nothing saved for a backward.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable
from torch.nn import functional as F

from carrousel.core.nn.lstm_graph import graph_backward, lstm_reference, native_ln_lstm_reference
from carrousel.core.nn.lstm_loop import recurrent_inputs
from carrousel.core.nn.native import native_ops

__all__ = ["NativeLNLSTMLoop", "NativeLSTMLoop", "native_ln_lstm_loop", "native_lstm_loop", "weight_grad"]


def weight_grad(dz: Tensor, inputs: Tensor) -> Tensor:
    """``dz^T inputs`` ``(N, K)`` for ``dz`` ``(M, N)`` and ``inputs`` ``(M, K)`` over all steps and rows:
    computed as ``(inputs^T dz)^T``, which BLAS runs several times faster for a long ``M`` and a small ``K``
    (at ``I=4``, ``M=7680``, ``N=256``: 0.6 ms against 3.1 ms; ``K=H=64``: 3.3 against 4.3 ms, scratch
    timings)."""
    return torch.mm(inputs.t(), dz).t().contiguous()


def _backward_follows(*inputs: Tensor | None) -> bool:
    """Whether autograd records the loop: grad mode is on and one of ``inputs`` requires grad."""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in inputs)


class NativeLSTMLoop(torch.autograd.Function):
    """Forward and hand-written backward of an (optionally peephole, zoneout, dropout) LSTM loop in C++.

    ``apply(x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, p)`` exactly as
    :class:`~carrousel.core.nn.lstm_loop.LSTMLoop`: ``x`` ``(T, B, I)``, ``weight_ih`` ``(4H, I)``,
    ``bias`` ``(4H,)``, ``weight_hh`` ``(4H, H)`` (PyTorch gate order), ``peephole`` ``(3, H)`` or None,
    ``h0``/``c0`` ``(B, H)``, ``drop`` ``(B, H)`` or None, ``zh``/``zc`` ``(T, B, H)`` or None, ``p``.
    Returns ``h`` and ``c`` of every step, ``(T, B, H)``. CPU float32/float64 only.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: Tensor,
        weight_ih: Tensor,
        bias: Tensor,
        weight_hh: Tensor,
        peephole: Tensor | None,
        h0: Tensor,
        c0: Tensor,
        drop: Tensor | None,
        zh: Tensor | None,
        zc: Tensor | None,
        p: float,
    ) -> tuple[Tensor, Tensor]:
        ops = native_ops()
        T, B, In = x.shape
        H = weight_hh.shape[1]
        x2 = x.reshape(T * B, In)
        gates = torch.mm(x2, weight_ih.t()).view(T, B, 4 * H)  # input projection, i f g o; + bias in C++
        hs, cs, ct = ops.lstm_fwd(gates, bias, weight_hh.t(), peephole, h0, c0, drop, zh, zc, float(p))
        # x, bias and c0 (inputs: no copies) only for a backward with a graph
        ctx.save_for_backward(
            x2, weight_ih, weight_hh, gates, h0, hs, cs, ct, peephole, drop, zh, zc, x, bias, c0
        )
        ctx.p = float(p)
        ctx.set_materialize_grads(False)
        return hs, cs[1:]

    @staticmethod
    def backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True (a gradient penalty...): see lstm_graph.py
            _, weight_ih, weight_hh, _, h0, _, _, _, peephole, drop, zh, zc, x, bias, c0 = ctx.saved_tensors
            inputs = (x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, ctx.p)
            return graph_backward(ctx.needs_input_grad, inputs, lstm_reference, (dhs, dcs), 7)
        return NativeLSTMLoop.fused_backward(ctx, dhs, dcs)

    @staticmethod
    @once_differentiable
    def fused_backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:
        """The C++ backward over time, then the weight and input gradients (no graph)."""
        x2, weight_ih, weight_hh, gates, h0, hs, cs, ct, peephole, drop, zh, zc = ctx.saved_tensors[:12]
        ops = native_ops()
        T, B, H4 = gates.shape
        H = H4 // 4
        dz, dh0, dc0 = ops.lstm_bwd(gates, cs, ct, weight_hh, peephole, drop, zh, zc, ctx.p, dhs, dcs)
        flat = dz.view(T * B, H4)
        dw_hh = weight_grad(flat, recurrent_inputs(h0, hs, drop))
        dw_ih = weight_grad(flat, x2)
        dbias = flat.sum(0)
        dx = torch.mm(flat, weight_ih).view(T, B, -1) if ctx.needs_input_grad[0] else None
        dpeep = None
        if peephole is not None:
            c_prev = cs[:-1]
            c_new = ct if ctx.p > 0 else cs[1:]
            dpeep = torch.stack(
                [
                    (dz[..., :H] * c_prev).sum((0, 1)),
                    (dz[..., H : 2 * H] * c_prev).sum((0, 1)),
                    (dz[..., 3 * H :] * c_new).sum((0, 1)),
                ]
            )
        return dx, dw_ih, dbias, dw_hh, dpeep, dh0, dc0, None, None, None, None


def native_lstm_loop(
    x: Tensor,
    weight_ih: Tensor,
    bias: Tensor,
    weight_hh: Tensor,
    peephole: Tensor | None,
    h0: Tensor,
    c0: Tensor,
    drop: Tensor | None = None,
    zh: Tensor | None = None,
    zc: Tensor | None = None,
    p: float = 0.0,
) -> tuple[Tensor, Tensor]:
    """Runs :class:`NativeLSTMLoop` where a backward may follow, else the C++ forward alone (``lstm_fwd_infer``:
    each step projected in cache, nothing kept for a backward); see there for the arguments. Returns ``h``
    and ``c`` ``(T, B, H)``."""
    if not _backward_follows(x, weight_ih, bias, weight_hh, peephole, h0, c0):
        ops = native_ops()
        hs, cs = ops.lstm_fwd_infer(
            x, weight_ih.t(), bias, weight_hh.t(), peephole, h0, c0, drop, zh, zc, float(p)
        )
        return hs, cs[1:]
    out: tuple[Tensor, Tensor] = NativeLSTMLoop.apply(  # type: ignore[no-untyped-call]
        x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, p
    )
    return out


class _Projection(torch.autograd.Function):
    """``W_ih x`` of every step, ``x`` ``(T, B, I)`` and ``weight_ih`` ``(4H, I)`` -> ``(T, B, 4H)``, as
    ``F.linear`` but with the weight gradient in the form BLAS runs fast for a small ``I``
    (:func:`weight_grad`; ``F.linear``'s backward took 3.1 ms of ``ln_lstm``'s H=64 training step)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight_ih: Tensor) -> Tensor:  # type: ignore[override]
        T, B, In = x.shape
        x2 = x.reshape(T * B, In)
        ctx.save_for_backward(x2, weight_ih, x)  # x (an input: no copy) only for a backward with a graph
        return torch.mm(x2, weight_ih.t()).view(T, B, -1)

    @staticmethod
    def backward(ctx: Any, dxw: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True: see lstm_graph.py
            _, weight_ih, x = ctx.saved_tensors
            return graph_backward(ctx.needs_input_grad, (x, weight_ih), F.linear, (dxw,), 2)
        return _Projection.fused_backward(ctx, dxw)

    @staticmethod
    @once_differentiable
    def fused_backward(ctx: Any, dxw: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """The input and weight gradients (no graph)."""
        x2, weight_ih, _ = ctx.saved_tensors
        T, B, H4 = dxw.shape
        flat = dxw.reshape(T * B, H4)
        dx = torch.mm(flat, weight_ih).view(T, B, -1) if ctx.needs_input_grad[0] else None
        dw = weight_grad(flat, x2) if ctx.needs_input_grad[1] else None
        return dx, dw


class NativeLNLSTMLoop(torch.autograd.Function):
    """Forward and hand-written backward of the ``ln_lstm`` loop in C++.

    ``apply(xw, bias, weight_hh, ln_ih_w, ln_ih_b, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, eps, h0, c0, drop, zh,
    zc, p)`` as :class:`~carrousel.core.nn.ln_lstm_loop.LNLSTMLoop` but with ``xw`` ``(T, B, 4H)`` =
    ``W_ih x`` of every step before ``LN_ih`` (whose forward and backward run in the C++ pass, with the
    data in cache) and the bias ``b_ih + b_hh`` ``(4H,)`` apart (added in the pass). The LayerNorms'
    parameter gradients are summed in the C++ backward pass. Returns ``h`` and ``c`` of every step,
    ``(T, B, H)``. CPU float32/float64 only.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        xw: Tensor,
        bias: Tensor,
        weight_hh: Tensor,
        ln_ih_w: Tensor,
        ln_ih_b: Tensor,
        ln_hh_w: Tensor,
        ln_hh_b: Tensor,
        ln_c_w: Tensor,
        ln_c_b: Tensor,
        eps: float,
        h0: Tensor,
        c0: Tensor,
        drop: Tensor | None,
        zh: Tensor | None,
        zc: Tensor | None,
        p: float,
    ) -> tuple[Tensor, Tensor]:
        lns = (ln_ih_w, ln_ih_b, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b)
        args = (*lns, float(eps), h0, c0, drop, zh, zc, float(p))
        gates, hs, cs, ct, hw, st_hh, st_c, st_ih = native_ops().ln_lstm_fwd(xw, bias, weight_hh.t(), *args)
        buffers = (gates, cs, ct, hw, st_hh, st_c, xw, st_ih)
        graph_only = (bias, ln_ih_b, ln_hh_b, c0)  # inputs (no copies) only for a backward with a graph
        ctx.save_for_backward(*buffers, ln_ih_w, h0, hs, weight_hh, ln_hh_w, ln_c_w, ln_c_b, *graph_only)
        ctx.others = (drop, zh, zc, float(p))
        ctx.eps = float(eps)
        ctx.set_materialize_grads(False)
        return hs, cs[1:]

    @staticmethod
    def backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True (a gradient penalty...): see lstm_graph.py
            saved = ctx.saved_tensors
            xw, (ln_ih_w, h0, _, weight_hh, ln_hh_w, ln_c_w, ln_c_b, bias, ln_ih_b, ln_hh_b, c0) = (
                saved[6],
                saved[8:],
            )
            lns = (ln_ih_w, ln_ih_b, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b)
            inputs = (xw, bias, weight_hh, *lns, ctx.eps, h0, c0, *ctx.others)
            return graph_backward(ctx.needs_input_grad, inputs, native_ln_lstm_reference, (dhs, dcs), 12)
        return NativeLNLSTMLoop.fused_backward(ctx, dhs, dcs)

    @staticmethod
    @once_differentiable
    def fused_backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:
        """The C++ backward over time, then the recurrent weight gradient (no graph)."""
        gates, cs, ct, hw, st_hh, st_c, xw, st_ih, ln_ih_w, h0, hs, weight_hh, ln_hh_w, ln_c_w, ln_c_b = (
            ctx.saved_tensors[:15]
        )
        drop, zh, zc, p = ctx.others
        T, B, H4 = gates.shape
        buffers = (gates, cs, ct, hw, st_hh, st_c, xw, st_ih)
        weights = (ln_ih_w, weight_hh, ln_hh_w, ln_c_w, ln_c_b)
        dxw, dhw, dln, dh0, dc0 = native_ops().ln_lstm_bwd(*buffers, *weights, drop, zh, zc, p, dhs, dcs)
        dw_hh = weight_grad(dhw.view(T * B, H4), recurrent_inputs(h0, hs, drop))
        # the LayerNorms' weight and bias gradients, summed over steps and rows in the C++ pass
        d_hh_w, d_hh_b, d_c_w, d_c_b, d_ih_w = torch.split(dln, [H4, H4, H4 // 4, H4 // 4, H4])
        # LN_ih's bias and the cell bias add to the same pre-activations as LN_hh's bias: the same gradient
        # (copies: autograd may take a gradient tensor over as a .grad)
        d_ih_b = d_hh_b.clone() if ctx.needs_input_grad[4] else None
        dbias = d_hh_b.clone() if ctx.needs_input_grad[1] else None
        grads = (dxw, dbias, dw_hh, d_ih_w, d_ih_b, d_hh_w, d_hh_b, d_c_w, d_c_b, None, dh0, dc0)
        return (*grads, None, None, None, None)


def native_ln_lstm_loop(
    x: Tensor,
    weight_ih: Tensor,
    bias: Tensor,
    weight_hh: Tensor,
    ln_ih: torch.nn.LayerNorm,
    ln_hh: torch.nn.LayerNorm,
    ln_c: torch.nn.LayerNorm,
    h0: Tensor,
    c0: Tensor,
    drop: Tensor | None = None,
    zh: Tensor | None = None,
    zc: Tensor | None = None,
    p: float = 0.0,
) -> tuple[Tensor, Tensor]:
    """Runs the ``ln_lstm`` loop on ``x`` ``(T, B, I)`` with ``weight_ih`` ``(4H, I)`` and the cell's three
    LayerNorms (same ``eps``): :class:`NativeLNLSTMLoop` on ``W_ih x`` where a backward may follow, else
    the C++ forward alone, projecting each step into a scratch. Returns ``h``, ``c`` ``(T, B, H)``.

    Raises:
        ValueError: the LayerNorms' ``eps`` differ (the C++ pass takes one).
    """
    if not ln_ih.eps == ln_hh.eps == ln_c.eps:
        raise ValueError(
            f"the fused ln_lstm loop takes one LayerNorm eps (got {ln_ih.eps}, {ln_hh.eps}, {ln_c.eps}); set them equal"
        )
    lns = (ln_ih.weight, ln_ih.bias, ln_hh.weight, ln_hh.bias, ln_c.weight, ln_c.bias)
    inputs = (x, weight_ih, bias, weight_hh, h0, c0, *lns)
    if not _backward_follows(*inputs):
        # no backward follows: the C++ pass projects each step and keeps one step of the gates (all in
        # cache; no (T, B, 4H) buffers written and read back)
        args = (*lns, float(ln_hh.eps), h0, c0, drop, zh, zc, float(p), False, weight_ih.t())
        _, hs, cs, *_ = native_ops().ln_lstm_fwd(x, bias, weight_hh.t(), *args)
        return hs, cs[1:]
    xw = _Projection.apply(x, weight_ih)  # type: ignore[no-untyped-call]
    out: tuple[Tensor, Tensor] = NativeLNLSTMLoop.apply(  # type: ignore[no-untyped-call]
        xw,
        bias,
        weight_hh,
        ln_ih.weight,
        ln_ih.bias,
        ln_hh.weight,
        ln_hh.bias,
        ln_c.weight,
        ln_c.bias,
        ln_hh.eps,
        h0,
        c0,
        drop,
        zh,
        zc,
        p,
    )
    return out
