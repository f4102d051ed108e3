"""Differentiable backwards of the hand-written LSTM-family loops, for second derivatives.

The loops of :mod:`.lstm_loop`, :mod:`.ln_lstm_loop` and :mod:`.lstm_native` write their backward by
hand (in Python or C++), which autograd cannot differentiate again. Where their backward runs with grad
enabled (``torch.autograd.grad(..., create_graph=True)``: a gradient penalty, a Hessian-vector product)
they call :func:`graph_backward` instead (so does :mod:`.gru_native`, with ``torch.gru``): the layer's forward is recomputed
with plain torch ops (:func:`lstm_reference`, :func:`ln_lstm_reference`, the equations of
:class:`~carrousel.core.nn.cells.PeepholeLSTMCell` / :class:`~carrousel.core.nn.cells.LNLSTMCell`) on the
saved inputs (which keep their graph), with the saved zoneout and recurrent-dropout masks, and
differentiated by autograd with ``create_graph=True``, so second derivatives are those of the autograd
step loop. The fast path (``create_graph=False``) is untouched: one ``torch.is_grad_enabled()`` check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["graph_backward", "ln_lstm_reference", "lstm_reference", "native_ln_lstm_reference"]


def graph_backward(
    needs_input_grad: Sequence[bool],
    inputs: Sequence[Tensor | None],
    run: Callable[..., Tensor | tuple[Tensor, ...]],
    grads_out: Sequence[Tensor | None],
    differentiable: int,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``run(*inputs)`` by autograd, with a graph (differentiable again).

    Args:
        needs_input_grad: the Function's ``ctx.needs_input_grad``.
        inputs: the Function's inputs as saved (tensors keep their graph), non-tensors as they were.
        run: a differentiable recomputation of the Function's forward; returns its outputs.
        grads_out: the incoming gradient of each output (None: none flows in).
        differentiable: only the first ``differentiable`` inputs get a gradient (the rest are masks and
            scalars).

    Returns:
        One gradient (or None) per input, as a Function's backward returns them.
    """
    result: list[Tensor | None] = [None] * len(inputs)
    wanted: list[tuple[int, Tensor]] = []
    for k in range(differentiable):
        t = inputs[k]
        if needs_input_grad[k] and isinstance(t, Tensor) and t.requires_grad:
            wanted.append((k, t))
    if not wanted or all(d is None for d in grads_out):
        return tuple(result)
    out = run(*inputs)
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    pairs = [(o, d) for o, d in zip(outs, grads_out, strict=True) if d is not None]
    grads = torch.autograd.grad(
        [o for o, _ in pairs],
        [t for _, t in wanted],
        [d for _, d in pairs],
        create_graph=True,
        allow_unused=True,
    )
    for (k, _), g in zip(wanted, grads, strict=True):
        result[k] = g
    return tuple(result)


def _zoneout(new: Tensor, old: Tensor, mask: Tensor | None, t: int, p: float) -> Tensor:
    """Zoneout of one step: ``old`` where the mask is 1 (the expectation ``p`` without a mask)."""
    if p <= 0:
        return new
    return torch.lerp(new, old, mask[t] if mask is not None else p)


def lstm_reference(
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
    """The (peephole, zoneout, dropout) LSTM loop of :class:`~carrousel.core.nn.lstm_loop.LSTMLoop` in
    plain torch ops (same arguments). Returns ``h`` and ``c`` of every step, ``(T, B, H)`` each."""
    xw = F.linear(x, weight_ih, bias)  # (T, B, 4H)
    h, c = h0, c0
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    for t in range(x.shape[0]):
        z = xw[t] + torch.mm(h * drop if drop is not None else h, weight_hh.t())
        i, f, g, o = z.chunk(4, dim=1)
        if peephole is not None:
            i, f = i + peephole[0] * c, f + peephole[1] * c
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        if peephole is not None:
            o = o + peephole[2] * c_new
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        h, c = _zoneout(h_new, h, zh, t, p), _zoneout(c_new, c, zc, t, p)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


def ln_lstm_reference(
    xw: Tensor,
    weight_hh: Tensor,
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
    """The ``ln_lstm`` loop of :class:`~carrousel.core.nn.ln_lstm_loop.LNLSTMLoop` in plain torch ops
    (same arguments; ``xw`` ``(T, B, 4H)`` the input side with its LayerNorm and biases). Returns ``h``
    and ``c`` of every step, ``(T, B, H)`` each."""
    H = weight_hh.shape[1]
    h, c = h0, c0
    hs: list[Tensor] = []
    cs: list[Tensor] = []
    for t in range(xw.shape[0]):
        hw = torch.mm(h * drop if drop is not None else h, weight_hh.t())
        z = xw[t] + F.layer_norm(hw, (4 * H,), ln_hh_w, ln_hh_b, eps)
        i, f, g, o = z.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(F.layer_norm(c_new, (H,), ln_c_w, ln_c_b, eps))
        h, c = _zoneout(h_new, h, zh, t, p), _zoneout(c_new, c, zc, t, p)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs), torch.stack(cs)


def native_ln_lstm_reference(
    xw: Tensor,
    bias: Tensor,
    weight_hh: Tensor,
    ln_ih_w: Tensor,
    ln_ih_b: Tensor,
    *args: Tensor | float | None,
) -> tuple[Tensor, Tensor]:
    """The ``ln_lstm`` loop of :class:`~carrousel.core.nn.lstm_native.NativeLNLSTMLoop` in plain torch ops
    (same arguments: ``xw`` ``(T, B, 4H)`` is ``W_ih x`` before ``LN_ih`` and the bias). Returns ``h`` and
    ``c`` of every step, ``(T, B, H)`` each."""
    eps = args[4]
    gates = F.layer_norm(xw, (xw.shape[-1],), ln_ih_w, ln_ih_b, eps) + bias  # type: ignore[arg-type]
    return ln_lstm_reference(gates, weight_hh, *args)  # type: ignore[arg-type]
