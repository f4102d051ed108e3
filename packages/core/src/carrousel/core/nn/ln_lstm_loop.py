"""The layer-normalised LSTM step loop with a hand-written backward (the default path of ``ln_lstm``).

Same scheme as :mod:`.lstm_loop`: the forward runs under no-grad into preallocated buffers, the backward
is a reverse loop over per-step factors computed for all steps at once, with ATen's fused LayerNorm
forward (``native_layer_norm``, which also returns the mean and reciprocal deviation) and backward
(``native_layer_norm_backward``, input gradient only) per step; the LayerNorm affine gradients and the
recurrent weight gradient are reductions / one GEMM over all steps after the loop. The input side
(``LN(W_ih x)`` plus biases, see :class:`~carrousel.core.nn.cells.LNLSTMCell`) is computed for all steps
by autograd before the loop and passed in as ``xw``. Gates stay in PyTorch's order ``i, f, g, o``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from carrousel.core.nn.lstm_graph import graph_backward, ln_lstm_reference
from carrousel.core.nn.lstm_loop import recurrent_inputs

__all__ = ["LNLSTMLoop", "ln_lstm_loop"]

_LN_BACKWARD = torch.ops.aten.native_layer_norm_backward


def _ln_dx(dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, weight: Tensor) -> Tensor:
    """Input gradient of a LayerNorm over the last dimension."""
    out: Tensor = _LN_BACKWARD(dy, x, (x.shape[-1],), mean, rstd, weight, None, [True, False, False])[0]
    return out


class LNLSTMLoop(torch.autograd.Function):
    """``apply(xw, weight_hh, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, eps, h0, c0, drop, zh, zc, p)``.

    ``xw`` ``(T, B, 4H)``: ``LN_ih(W_ih x) + b_ih + b_hh`` for all steps; ``weight_hh`` ``(4H, H)``; the
    affine weights and biases of the recurrent (``4H``) and cell (``H``) LayerNorms and their ``eps``;
    ``h0``, ``c0``, ``drop``, ``zh``, ``zc``, ``p`` as in :class:`~carrousel.core.nn.lstm_loop.LSTMLoop`.
    Returns ``h`` and ``c`` of every step, ``(T, B, H)`` each.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
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
        T, B = xw.shape[0], xw.shape[1]
        H = weight_hh.shape[1]
        wt = weight_hh.t()
        gates = xw.clone()  # each step adds LN_hh(W_hh h) in place, then activates in place
        i_, f_, g_, o_ = gates.chunk(4, dim=2)
        sig_if = gates[..., : 2 * H]
        hw = gates.new_empty(T, B, 4 * H)  # W_hh h_{t-1}: the recurrent LayerNorm's input
        stats_hh = gates.new_empty(2, T, B, 1)  # its mean and reciprocal deviation
        stats_c = gates.new_empty(2, T, B, 1)
        hs = gates.new_empty(T, B, H)
        cs = gates.new_empty(T + 1, B, H)  # c_{t-1} for t = 0..T (cs[0] = c0)
        ct = gates.new_empty(T, B, H) if p > 0 else None  # new cell before zoneout
        cs[0] = c0
        h = h0
        for t in range(T):
            c = cs[t]
            torch.mm(h * drop if drop is not None else h, wt, out=hw[t])
            y, mean, rstd = torch.native_layer_norm(hw[t], (4 * H,), ln_hh_w, ln_hh_b, eps)
            stats_hh[0, t], stats_hh[1, t] = mean, rstd
            gates[t].add_(y)
            sig_if[t].sigmoid_()
            g_[t].tanh_()
            o_[t].sigmoid_()
            c_new = cs[t + 1] if ct is None else ct[t]
            torch.mul(f_[t], c, out=c_new).addcmul_(i_[t], g_[t])
            yc, mean_c, rstd_c = torch.native_layer_norm(c_new, (H,), ln_c_w, ln_c_b, eps)
            stats_c[0, t], stats_c[1, t] = mean_c, rstd_c
            torch.mul(o_[t], yc.tanh_(), out=hs[t])
            if p > 0:
                hs[t].lerp_(h, zh[t] if zh is not None else p)  # type: ignore[arg-type]
                torch.lerp(c_new, c, zc[t] if zc is not None else p, out=cs[t + 1])  # type: ignore[arg-type]
            h = hs[t]
        # xw, ln_hh_b and c0 (inputs: no copies) only for a backward with a graph
        ctx.save_for_backward(
            gates, hw, stats_hh, stats_c, h0, hs, cs, ct, weight_hh, ln_hh_w, ln_c_w, ln_c_b, xw, ln_hh_b, c0
        )
        ctx.others = (drop, zh, zc, p)
        ctx.eps = eps
        ctx.set_materialize_grads(False)
        return hs, cs[1:]

    @staticmethod
    def backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True (a gradient penalty...): see lstm_graph.py
            saved = ctx.saved_tensors
            h0, (weight_hh, ln_hh_w, ln_c_w, ln_c_b, xw, ln_hh_b, c0) = saved[4], saved[8:]
            inputs = (xw, weight_hh, ln_hh_w, ln_hh_b, ln_c_w, ln_c_b, ctx.eps, h0, c0, *ctx.others)
            return graph_backward(ctx.needs_input_grad, inputs, ln_lstm_reference, (dhs, dcs), 9)
        return LNLSTMLoop.fused_backward(ctx, dhs, dcs)

    @staticmethod
    @once_differentiable
    def fused_backward(ctx: Any, dhs: Tensor | None, dcs: Tensor | None) -> tuple[Tensor | None, ...]:
        """The hand-written backward (no graph)."""
        gates, hw, stats_hh, stats_c, h0, hs, cs, ct, weight_hh, ln_hh_w, ln_c_w, ln_c_b = ctx.saved_tensors[
            :12
        ]
        drop, zh, zc, p = ctx.others
        T, B, H4 = gates.shape
        H = H4 // 4
        i, f, g, o = gates.chunk(4, dim=2)
        c_prev = cs[:-1]
        c_new = ct if ct is not None else cs[1:]
        xc = (c_new - stats_c[0]) * stats_c[1]  # normalised cell
        tyc = torch.tanh(xc * ln_c_w + ln_c_b)
        tdo = tyc * o * (1 - o)  # dz_o = dh~ * tdo
        o2 = o * (1 - tyc * tyc)  # d(LN_c out) = dh~ * o2
        kd = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2)  # (T, B, 3, H)
        if p > 0:
            mh = zh if zh is not None else torch.full_like(o, p)
            mc = zc if zc is not None else torch.full_like(o, p)
            omh, omc = 1 - mh, 1 - mc
        dz = torch.empty_like(gates)
        dz_ifg, dz_o = dz[..., : 3 * H].view(T, B, 3, H), dz[..., 3 * H :]
        dhw = torch.empty_like(gates)  # gradient of W_hh h_{t-1}
        dyc = torch.empty_like(c_new)  # gradient of LN_c's output
        dh = dhs[T - 1].clone() if dhs is not None else gates.new_zeros(B, H)
        dc = dcs[T - 1].clone() if dcs is not None else gates.new_zeros(B, H)
        for t in range(T - 1, -1, -1):
            dht = dh * omh[t] if p > 0 else dh
            dct = dc * omc[t] if p > 0 else dc
            torch.mul(dht, tdo[t], out=dz_o[t])
            torch.mul(dht, o2[t], out=dyc[t])
            dct = dct + _ln_dx(dyc[t], c_new[t], stats_c[0, t], stats_c[1, t], ln_c_w)
            torch.mul(dct.unsqueeze(1), kd[t], out=dz_ifg[t])
            dc_next = dct * f[t]
            dhw[t] = _ln_dx(dz[t], hw[t], stats_hh[0, t], stats_hh[1, t], ln_hh_w)
            dh_next = torch.mm(dhw[t], weight_hh)
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
        dw_hh = torch.mm(dhw.view(T * B, H4).t(), recurrent_inputs(h0, hs, drop))
        xhh = (hw - stats_hh[0]) * stats_hh[1]
        d_hh_w, d_hh_b = (dz * xhh).sum((0, 1)), dz.sum((0, 1))
        d_c_w, d_c_b = (dyc * xc).sum((0, 1)), dyc.sum((0, 1))
        return dz, dw_hh, d_hh_w, d_hh_b, d_c_w, d_c_b, None, dh, dc, None, None, None, None


def ln_lstm_loop(
    xw: Tensor,
    weight_hh: Tensor,
    ln_hh: torch.nn.LayerNorm,
    ln_c: torch.nn.LayerNorm,
    h0: Tensor,
    c0: Tensor,
    drop: Tensor | None = None,
    zh: Tensor | None = None,
    zc: Tensor | None = None,
    p: float = 0.0,
) -> tuple[Tensor, Tensor]:
    """Runs :class:`LNLSTMLoop` with the cell's two LayerNorms (same ``eps``). Returns ``h``, ``c``."""
    out: tuple[Tensor, Tensor] = LNLSTMLoop.apply(  # type: ignore[no-untyped-call]
        xw, weight_hh, ln_hh.weight, ln_hh.bias, ln_c.weight, ln_c.bias, ln_hh.eps, h0, c0, drop, zh, zc, p
    )
    return out
