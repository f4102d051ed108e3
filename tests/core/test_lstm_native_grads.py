"""Gradient paths of the fused C++ loops (lstm_native.py) beyond the equality with the Python loop
(test_lstm_native.py): the input projection's fast weight-gradient form, and ``ln_lstm``'s backward
summing the LayerNorms' parameter gradients per group of rows the same way on any thread count."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from carrousel.core.nn.cells import LoopLayer
from carrousel.core.nn.lstm_native import _Projection

DT = torch.float64

pytestmark = pytest.mark.usefixtures("one_thread")


def test_projection_passes_gradcheck_and_equals_linear() -> None:
    """``W_ih x`` with the weight gradient as ``(x^T dz)^T``: gradcheck, and F.linear's values and gradients."""
    torch.manual_seed(2)
    x = torch.randn(3, 4, 5, dtype=DT, requires_grad=True)
    w = torch.randn(8, 5, dtype=DT, requires_grad=True)
    assert torch.autograd.gradcheck(_Projection.apply, (x, w))
    dy = torch.randn(3, 4, 8, dtype=DT)
    ours = _Projection.apply(x, w)  # type: ignore[no-untyped-call]
    ref = F.linear(x, w)
    torch.testing.assert_close(ours, ref, rtol=1e-14, atol=1e-14)
    g_ours = torch.autograd.grad(ours, (x, w), dy)
    g_ref = torch.autograd.grad(ref, (x, w), dy)
    for a, b in zip(g_ours, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        assert a.is_contiguous()


@pytest.mark.usefixtures("native")
def test_ln_lstm_backward_does_not_depend_on_the_thread_count() -> None:
    """The backward runs groups of 16 rows in parallel, each summing its rows' LayerNorm parameter
    gradients in one fixed order: 1 and 2 threads give the same gradients (B=40: three groups; H=130: a
    chunk of one group, so two threads split them)."""
    layer = LoopLayer("ln_lstm", 3, 130, zoneout=0.1, recurrent_dropout=0.2).to(DT)
    for c in layer.cells:
        for ln in (c.ln_ih, c.ln_hh, c.ln_c):  # type: ignore[union-attr]
            torch.nn.init.normal_(ln.weight)
            torch.nn.init.normal_(ln.bias)
    x = torch.randn(40, 4, 3, dtype=DT, requires_grad=True)

    def run(threads: int) -> list[torch.Tensor]:
        torch.set_num_threads(threads)
        torch.manual_seed(3)
        out, (h, c) = layer(x, None, None)
        loss = (out * out).sum() + h.sum() + (c * 0.5).sum()
        return [out, *torch.autograd.grad(loss, [x, *layer.parameters()])]

    one, two = run(1), run(2)
    for a, b in zip(one, two, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-13)
