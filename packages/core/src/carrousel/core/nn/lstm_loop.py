"""The LSTM step loop with a hand-written backward, the default path of the loop cells ``lstm`` and
``peephole_lstm`` (with zoneout and recurrent dropout).

Autograd records a dozen nodes per step of a Python LSTM loop and replays them one by one in backward,
each weight gradient a small per-step matrix multiply. :class:`LSTMLoop` instead runs the forward under
no-grad into preallocated buffers (6 tensor ops a step, the recurrent matrix multiply added in place:
``addmm`` with a separate input measured 4-5x slower at B=128, H=64), and its backward is a reverse loop
of 6-10 ops a step whose per-step factors (gate derivatives) are computed for all steps at once
beforehand. The input projection of all steps is one GEMM written straight into the gate buffer, and
the weight gradients are one GEMM each after the loop (``(4H, T*B) @ (T*B, H)`` for ``W_hh``).

Internally the gates are kept in the order ``o, i, f, g`` (PyTorch's is ``i, f, g, o``) so that the
three sigmoids of a plain LSTM step are one call, and the backward writes ``dz`` for ``i, f, g`` in one
broadcast multiply. Gradients are checked against autograd of the step loop and numerically
(``tests/core/test_lstm_loop.py``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from carrousel.core.nn.lstm_graph import graph_backward, lstm_reference

__all__ = ["LSTMLoop", "lstm_loop", "recurrent_inputs"]

_ORDER = (3, 0, 1, 2)  # PyTorch's i, f, g, o blocks -> o, i, f, g
_BACK = (1, 2, 3, 0)  # o, i, f, g -> i, f, g, o


def recurrent_inputs(h0: Tensor, hs: Tensor, drop: Tensor | None) -> Tensor:
    """``h_{t-1}`` of every step as fed to ``W_hh`` (after recurrent dropout), ``(T * B, H)``: the left
    factor of the recurrent weight gradient, from ``h0`` ``(B, H)`` and the outputs ``hs`` ``(T, B, H)``."""
    hin = torch.cat([h0.unsqueeze(0), hs[:-1]])
    if drop is not None:
        hin = hin * drop
    return hin.reshape(-1, hin.shape[-1])


def _blocks(t: Tensor, order: tuple[int, ...]) -> Tensor:
    """Reorders the four gate blocks along the last dimension."""
    return torch.cat([b for b in (t.chunk(4, dim=-1)[k] for k in order)], dim=-1)


class LSTMLoop(torch.autograd.Function):
    """Forward and hand-written backward of an (optionally peephole, zoneout, dropout) LSTM step loop.

    ``apply(x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, p)`` with ``x`` ``(T, B, I)``
    time-major input, ``weight_ih`` ``(4H, I)``, ``bias`` ``(4H,)`` (``b_ih + b_hh``), ``weight_hh``
    ``(4H, H)`` (PyTorch gate order), ``peephole`` ``(3, H)`` or None, ``h0``/``c0`` ``(B, H)``, ``drop``
    ``(B, H)`` the scaled recurrent-dropout mask or None, ``zh`` / ``zc`` ``(T, B, H)`` zoneout masks
    (1 = keep the previous value) or None, ``p`` the zoneout probability used as the mask when ``zh`` is
    None (evaluation: the expectation), 0 for none. Returns ``h`` and ``c`` of every step, ``(T, B, H)``.
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
        T, B, In = x.shape
        H = weight_hh.shape[1]
        w = _blocks(weight_hh.t(), _ORDER)  # (H, 4H)
        x2 = x.reshape(T * B, In)
        # activated gates o, i, f, g of every step: the input projection of all steps in one GEMM, then
        # each step adds W_hh h in place and activates in place
        gates = torch.addmm(_blocks(bias, _ORDER), x2, _blocks(weight_ih.t(), _ORDER)).view(T, B, 4 * H)
        o_, i_, f_, g_ = gates.chunk(4, dim=2)
        sig3, sig_if, tg = gates[..., : 3 * H], gates[..., H : 3 * H], gates[..., 3 * H :]
        hs = gates.new_empty(T, B, H)
        cs = gates.new_empty(T + 1, B, H)  # c_{t-1} for t = 0..T (cs[0] = c0)
        tmp = gates.new_empty(B, H)  # tanh of the new cell, reused each step (recomputed in backward)
        ct = gates.new_empty(T, B, H) if p > 0 else None  # new cell before zoneout
        cs[0] = c0
        h = h0
        for t in range(T):
            c = cs[t]
            gates[t].addmm_(h * drop if drop is not None else h, w)
            c_new = cs[t + 1] if ct is None else ct[t]
            if peephole is None:
                sig3[t].sigmoid_()
            else:
                sig_if[t].view(B, 2, H).addcmul_(peephole[:2], c.unsqueeze(1))
                sig_if[t].sigmoid_()
            tg[t].tanh_()
            torch.mul(f_[t], c, out=c_new).addcmul_(i_[t], g_[t])
            if peephole is not None:
                o_[t].addcmul_(peephole[2], c_new).sigmoid_()
            torch.mul(o_[t], torch.tanh(c_new, out=tmp), out=hs[t])
            if p > 0:
                hs[t].lerp_(h, zh[t] if zh is not None else p)  # type: ignore[arg-type]
                torch.lerp(c_new, c, zc[t] if zc is not None else p, out=cs[t + 1])  # type: ignore[arg-type]
            h = hs[t]
        # x, bias, weight_hh and c0 (inputs: no copies) only for a backward with a graph
        ctx.save_for_backward(
            x2, weight_ih, gates, h0, hs, cs, ct, w, peephole, drop, zh, zc, x, bias, weight_hh, c0
        )
        ctx.p = p
        ctx.set_materialize_grads(False)
        return hs, cs[1:]

    @staticmethod
    def backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True (a gradient penalty...): see lstm_graph.py
            _, weight_ih, _, h0, _, _, _, _, peephole, drop, zh, zc, x, bias, weight_hh, c0 = (
                ctx.saved_tensors
            )
            inputs = (x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, ctx.p)
            return graph_backward(ctx.needs_input_grad, inputs, lstm_reference, (dhs, dcs), 7)
        return LSTMLoop.fused_backward(ctx, dhs, dcs)

    @staticmethod
    @once_differentiable
    def fused_backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:
        """The hand-written backward (no graph)."""
        x2, weight_ih, gates, h0, hs, cs, ct, w, peephole, drop, zh, zc = ctx.saved_tensors[:12]
        p: float = ctx.p
        T, B, H4 = gates.shape
        H = H4 // 4
        o, i, f, g = gates.chunk(4, dim=2)
        c_prev = cs[:-1]
        c_new = ct if ct is not None else cs[1:]
        tc = torch.tanh(c_new)
        # per-step factors for all steps at once: dz_o = dh~ * tdo, dz_{i,f,g} = dc~ * kd
        tdo = tc * o * (1 - o)
        o2 = o * (1 - tc * tc)
        kd = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)  # (T, B, 3, H)
        if p > 0:
            mh = zh if zh is not None else torch.full_like(o, p)
            mc = zc if zc is not None else torch.full_like(o, p)
            omh, omc = 1 - mh, 1 - mc
        dz = torch.empty_like(gates)
        dz_o, dz_ifg = dz[..., :H], dz[..., H:].view(T, B, 3, H)
        wt = w.t()  # (4H, H), gate order o, i, f, g
        dh = dhs[T - 1].clone() if dhs is not None else gates.new_zeros(B, H)
        dc = dcs[T - 1].clone() if dcs is not None else gates.new_zeros(B, H)
        for t in range(T - 1, -1, -1):
            dht = dh * omh[t] if p > 0 else dh  # gradient of the step's own h~ (zoneout keeps the rest)
            dct = dc * omc[t] if p > 0 else dc
            dzo = torch.mul(dht, tdo[t], out=dz_o[t])
            dct = torch.addcmul(dct, dht, o2[t])
            if peephole is not None:
                dct.addcmul_(dzo, peephole[2])
            dzifg = torch.mul(dct.unsqueeze(1), kd[t], out=dz_ifg[t])
            dc_next = dct * f[t]
            if peephole is not None:
                dc_next.addcmul_(dzifg[:, 0], peephole[0]).addcmul_(dzifg[:, 1], peephole[1])
            dh_next = torch.mm(dz[t], wt)
            if drop is not None:
                dh_next.mul_(drop)
            if p > 0:
                dh_next.addcmul_(dh, mh[t])
                dc_next.addcmul_(dc, mc[t])
            if t > 0:
                if dhs is not None:
                    dh_next.add_(dhs[t - 1])
                if dcs is not None:
                    dc_next.add_(dcs[t - 1])
            dh, dc = dh_next, dc_next
        flat = dz.view(T * B, H4)
        dw_hh = _blocks(torch.mm(recurrent_inputs(h0, hs, drop).t(), flat), _BACK).t()  # (4H, H)
        dw_ih = _blocks(torch.mm(x2.t(), flat), _BACK).t()  # (4H, I)
        dbias = _blocks(flat.sum(0), _BACK)
        dx = torch.mm(flat, _blocks(weight_ih.t(), _ORDER).t()).view(T, B, -1)
        dpeep = None
        if peephole is not None:
            dpeep = torch.stack(
                [
                    (dz[..., H : 2 * H] * c_prev).sum((0, 1)),
                    (dz[..., 2 * H : 3 * H] * c_prev).sum((0, 1)),
                    (dz_o * c_new).sum((0, 1)),
                ]
            )
        return dx, dw_ih, dbias, dw_hh, dpeep, dh, dc, None, None, None, None


def lstm_loop(
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
    """Runs :class:`LSTMLoop`; see there for the arguments. Returns ``h`` and ``c`` ``(T, B, H)``."""
    out: tuple[Tensor, Tensor] = LSTMLoop.apply(  # type: ignore[no-untyped-call]
        x, weight_ih, bias, weight_hh, peephole, h0, c0, drop, zh, zc, p
    )
    return out
