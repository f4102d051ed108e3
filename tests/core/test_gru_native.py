"""The fused C++ GRU loop (csrc/gru_cells.cpp, nn/gru_native.py): equal to nn.GRU and to packing in outputs,
final states and every gradient (float64), chosen for training on CPU only, shown by explain_backend."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, explain_backend
from carrousel.core.nn import gru_native as gru_mod
from carrousel.core.nn.gru_native import choose_gru_kernel, native_gru

pytestmark = [pytest.mark.usefixtures("one_thread")]

DT = torch.float64
LENGTHS = torch.tensor([4, 7, 1, 6, 4])  # unsorted, with 1, T and a repeat
B, T, IN = 5, 7, 3


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("bias", [True, False])
def test_one_layer_equals_torch_gru_with_gradients(bias: bool) -> None:
    torch.manual_seed(0)
    gru = nn.GRU(IN, 6, bias=bias).to(DT)
    with torch.no_grad():
        for p in gru.parameters():
            p.normal_(0.0, 0.7)  # large enough to bend every gate
    x = torch.randn(T, B, IN, dtype=DT, requires_grad=True)
    h0 = torch.randn(1, B, 6, dtype=DT, requires_grad=True)
    w = torch.randn(T, B, 6, dtype=DT)

    def grads(out: torch.Tensor) -> list[torch.Tensor]:
        return list(torch.autograd.grad((out * w).sum() + out[-1].square().sum(), [x, h0, *gru.parameters()]))

    want = gru(x, h0)[0]
    b = (gru.bias_ih_l0, gru.bias_hh_l0) if bias else (None, None)
    got = native_gru(x, gru.weight_ih_l0, gru.weight_hh_l0, b[0], b[1], h0[0])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    for g, r in zip(grads(got), grads(want), strict=True):
        torch.testing.assert_close(g, r, rtol=0, atol=1e-12)
    with torch.no_grad():  # the forward alone (nothing kept for a backward) gives the same outputs
        torch.testing.assert_close(native_gru(x, gru.weight_ih_l0, gru.weight_hh_l0, b[0], b[1], h0[0]), want)


@pytest.mark.usefixtures("native")
def test_gradcheck() -> None:
    torch.manual_seed(1)
    args = [
        torch.randn(s, dtype=DT, requires_grad=True) for s in ((4, 3, 2), (9, 2), (9, 3), (9,), (9,), (3, 3))
    ]
    assert torch.autograd.gradcheck(native_gru, tuple(args))


CONFIGS: list[dict[str, Any]] = [
    dict(bidirectional=False, num_layers=1),
    dict(bidirectional=True, num_layers=3, dropout=0.0),
    dict(bidirectional=True, num_layers=2, residual=True),
]


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("kw", CONFIGS, ids=["-".join(f"{k}={v}" for k, v in c.items()) for c in CONFIGS])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["equal", "unequal"])
def test_encoder_on_the_loop_equals_packing_and_nn_gru(
    kw: dict[str, Any], lengths: torch.Tensor | None
) -> None:
    """The encoder's GRU on the C++ loop (the default in training) against ATen's GRU, packed where the
    lengths differ: outputs, last and final states, and the gradients of x, h0 and every parameter."""
    cfg = RecurrentConfig(input_size=IN, hidden_size=4, cell="gru", **kw)
    fast = RecurrentEncoder(cfg).to(DT)
    with torch.no_grad():
        for p in fast.parameters():
            p.normal_(0.0, 0.5)
    ref = RecurrentEncoder(
        RecurrentConfig(input_size=IN, hidden_size=4, cell="gru", varlen="packed", **kw)
    ).to(DT)
    ref.load_state_dict(fast.state_dict())
    x = torch.randn(B, T, IN, dtype=DT)
    h0 = torch.randn_like(fast.init_hidden(B).h)
    assert explain_backend(fast, x, lengths).kernels[0] == "native_gru"

    def run(enc: RecurrentEncoder, aten: bool) -> list[torch.Tensor]:
        xi, hi = x.clone().requires_grad_(True), h0.clone().requires_grad_(True)
        with pytest.MonkeyPatch.context() as mp:
            if aten:  # ATen's nn.GRU everywhere, also where the lengths are equal
                for mod in ("carrousel.core.nn.varlen", "carrousel.core.nn.recurrent"):
                    mp.setattr(f"{mod}.choose_gru_kernel", lambda *a, **k: (False, "test"))
            r = enc(xi, lengths, state=(hi, None))
        outs = [r.output, r.last, r.state.h]
        gen = torch.Generator().manual_seed(7)
        loss = sum((o * torch.randn(o.shape, generator=gen, dtype=DT)).sum() for o in outs)
        grads = torch.autograd.grad(loss, [xi, hi, *enc.parameters()])
        return [o.detach() for o in outs] + list(grads)

    for got, want in zip(run(fast, False), run(ref, True), strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)


@pytest.mark.usefixtures("native")
def test_float32_is_close_to_nn_gru() -> None:
    torch.manual_seed(2)
    gru = nn.GRU(4, 64)
    x = torch.randn(60, 16, 4)
    h0 = torch.zeros(16, 64)
    torch.testing.assert_close(
        native_gru(x, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0, h0),
        gru(x)[0],
        rtol=1e-5,
        atol=1e-5,
    )


def test_choice_rule_and_explain_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    gru = nn.GRU(IN, 4, batch_first=True)
    x = torch.zeros(2, 3, IN)
    assert choose_gru_kernel(nn.LSTM(IN, 4), x)[0] is False
    with torch.no_grad():
        native, why = choose_gru_kernel(gru, x)
        assert not native and "no backward" in why
    assert not choose_gru_kernel(gru, x.to(torch.bfloat16))[0]  # float32/float64 only
    enc = RecurrentEncoder(RecurrentConfig(IN, 4, cell="gru"))
    with torch.no_grad():
        report = explain_backend(enc, x, verify=True)
    assert report.kernels == ("aten",) and report.verified, str(report)
    monkeypatch.setattr(gru_mod, "native_applies", lambda x: (False, "no C++ compiler (test)"))
    assert choose_gru_kernel(gru, x) == (False, "ATen's GRU loop: no C++ compiler (test)")
    report = explain_backend(enc, x, torch.tensor([3, 2]), verify=True)
    assert report.kernels == ("aten",) and report.verified, str(report)
    assert "no C++ compiler (test)" in str(report)


@pytest.mark.usefixtures("native")
def test_explain_backend_shows_the_loop() -> None:
    enc = RecurrentEncoder(RecurrentConfig(IN, 4, cell="gru", num_layers=2, bidirectional=True))
    for lengths in (None, LENGTHS):
        report = explain_backend(enc, torch.zeros(B, T, IN), lengths, verify=True)
        assert report.verified, str(report)
        assert report.kernels == ("native_gru",) and report.layers[0].calls == 4
        assert "csrc/gru_cells.cpp" in str(report)
    plain = explain_backend(nn.GRU(IN, 4, batch_first=True), torch.zeros(B, T, IN), verify=True)
    assert plain.kernels == ("aten",) and plain.verified  # a plain nn.GRU stays nn.GRU


@pytest.mark.usefixtures("native")
def test_second_derivatives_equal_nn_gru() -> None:
    """A gradient penalty (``create_graph=True``) through the encoder's GRU on the C++ loop: the backward
    is recomputed on torch.gru there, so the second derivatives are nn.GRU's (not silently zero)."""
    torch.manual_seed(3)
    fast = RecurrentEncoder(RecurrentConfig(IN, 4, cell="gru", bidirectional=True)).to(DT)
    x = torch.randn(B, T, IN, dtype=DT)

    def penalty_grads(native: bool) -> list[torch.Tensor]:
        xi = x.clone().requires_grad_(True)
        with pytest.MonkeyPatch.context() as mp:
            if not native:
                for mod in ("carrousel.core.nn.varlen", "carrousel.core.nn.recurrent"):
                    mp.setattr(f"{mod}.choose_gru_kernel", lambda *a, **k: (False, "test"))
            out = fast(xi, LENGTHS).output
        (gx,) = torch.autograd.grad(out.square().sum(), xi, create_graph=True)
        return list(torch.autograd.grad(gx.square().sum(), [xi, *fast.parameters()]))

    for got, want in zip(penalty_grads(True), penalty_grads(False), strict=True):
        assert want.abs().max() > 0
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)


@pytest.mark.usefixtures("native")
@pytest.mark.parametrize("no_autograd", [torch.no_grad, torch.inference_mode])
def test_inference_keeps_atens_gru(no_autograd: Any) -> None:
    """Inference (``no_grad`` and ``inference_mode`` alike) stays on ATen's GRU, with and without lengths:
    the C++ forward alone did not win at every shape of ``benchmarks/bench_encoder.py`` (core README)."""
    enc = RecurrentEncoder(RecurrentConfig(IN, 4, cell="gru", num_layers=2, bidirectional=True)).eval()
    x = torch.randn(B, T, IN)
    with no_autograd():
        assert not choose_gru_kernel(enc.rnn, x)[0]  # type: ignore[arg-type]
        for lengths in (None, LENGTHS):
            report = explain_backend(enc, x, lengths, verify=True)
            assert report.kernels == ("aten",) and report.verified, str(report)
            if lengths is None:
                assert "no backward follows" in str(report)
            else:  # with lengths inference packs (packing skips the padded steps)
                assert report.packed, str(report)


@pytest.mark.usefixtures("native")
def test_tracing_and_export_keep_atens_gru() -> None:
    """With autograd on (training mode, weights needing grad), ``torch.jit.trace`` and ``torch.export`` of a
    GRU encoder still record ATen's GRU (one op per layer and direction), never the opaque C++ loop."""
    enc = RecurrentEncoder(RecurrentConfig(IN, 4, cell="gru", num_layers=2, bidirectional=True)).train()

    class Out(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = enc

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.enc(x).output

    x = torch.randn(B, T, IN)
    traced = str(torch.jit.trace(Out(), (x,), check_trace=False).inlined_graph)
    assert "aten::gru" in traced and "carrousel_cells" not in traced
    exported = str(torch.export.export(Out(), (x,), strict=False).graph)
    assert "gru" in exported and "carrousel_cells" not in exported
    eager = Out()(x)
    assert eager.requires_grad and choose_gru_kernel(enc.rnn, x)[0]  # type: ignore[arg-type]  # eager: the loop
