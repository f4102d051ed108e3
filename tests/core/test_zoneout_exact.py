"""Zoneout keeps a unit's previous value exactly in the fused C++ loops, as the Python loops' torch.lerp
does. The C++ blend was ``new + k (prev - new)``, which for a kept unit (k = 1) is ``prev`` only up to an
ulp: in a float32 training run about 1 in 6 kept units of ``h`` differed from their previous value (the
share of ``h_t == h_{t-1}`` read 0.246 at zoneout 0.3, against 0.301 on the Python loop)."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.nn.lstm_native import native_ln_lstm_loop, native_lstm_loop

T, B, IN, H = 12, 6, 3, 16

pytestmark = pytest.mark.usefixtures("one_thread", "native")


def _inputs(dtype: torch.dtype, grad: bool) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(T, B, IN, generator=g, dtype=dtype)
    w_ih = torch.randn(4 * H, IN, generator=g, dtype=dtype)
    bias = torch.randn(4 * H, generator=g, dtype=dtype)
    w_hh = torch.randn(4 * H, H, generator=g, dtype=dtype) / H**0.5
    h0 = torch.randn(B, H, generator=g, dtype=dtype)
    c0 = torch.randn(B, H, generator=g, dtype=dtype)
    zh = (torch.rand(T, B, H, generator=g) < 0.4).to(dtype)  # 1 = keep the previous value
    zc = (torch.rand(T, B, H, generator=g) < 0.4).to(dtype)
    tensors = [x, w_ih, bias, w_hh, h0, c0]
    for t in tensors:
        t.requires_grad_(grad)  # with grad: the training kernel; without: the forward alone
    return tensors, zh, zc


def _check_kept(hs: torch.Tensor, cs: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, zh, zc) -> None:
    prev_h = torch.cat([h0.detach()[None], hs.detach()[:-1]])
    prev_c = torch.cat([c0.detach()[None], cs.detach()[:-1]])
    kept_h, kept_c = zh.bool(), zc.bool()
    assert torch.equal(hs.detach()[kept_h], prev_h[kept_h])
    assert torch.equal(cs.detach()[kept_c], prev_c[kept_c])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("peephole", [False, True])
def test_lstm_zoneout_keeps_units_exactly(dtype: torch.dtype, grad: bool, peephole: bool) -> None:
    (x, w_ih, bias, w_hh, h0, c0), zh, zc = _inputs(dtype, grad)
    peep = torch.randn(3, H, dtype=dtype) if peephole else None
    hs, cs = native_lstm_loop(x, w_ih, bias, w_hh, peep, h0, c0, None, zh, zc, 0.4)
    _check_kept(hs, cs, h0, c0, zh, zc)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("grad", [True, False])
def test_ln_lstm_zoneout_keeps_units_exactly(dtype: torch.dtype, grad: bool) -> None:
    (x, w_ih, bias, w_hh, h0, c0), zh, zc = _inputs(dtype, grad)
    lns = [torch.nn.LayerNorm(n).to(dtype) for n in (4 * H, 4 * H, H)]
    for ln in lns:
        torch.nn.init.normal_(ln.weight)
        torch.nn.init.normal_(ln.bias)
    hs, cs = native_ln_lstm_loop(x, w_ih, bias, w_hh, *lns, h0, c0, None, zh, zc, 0.4)
    _check_kept(hs, cs, h0, c0, zh, zc)
