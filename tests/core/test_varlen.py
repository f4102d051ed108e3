"""The padded path for unequal lengths (core/nn/varlen.py): exact to packing in outputs, final states and
every gradient, padding that never leaks, the automatic choice and its fallbacks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, explain_backend
from carrousel.core.nn.varlen import choose_varlen, reverse_index, run_padded, saturation_bound

pytestmark = [
    pytest.mark.usefixtures("one_thread"),  # tiny tensors: see tests/conftest.py
    pytest.mark.filterwarnings("ignore:TF32 acceleration:UserWarning"),
]

IN = 3
LENGTHS = torch.tensor([4, 7, 1, 6, 4])  # unsorted, with 1, T and a repeat
B, T = len(LENGTHS), 7


def _pair(dtype: torch.dtype = torch.float64, **kw: Any) -> tuple[RecurrentEncoder, RecurrentEncoder]:
    """Two encoders with the same weights, one per path (weights large enough to bend every gate)."""
    base = dict(input_size=kw.pop("input_size", IN), hidden_size=kw.pop("hidden_size", 4), **kw)
    packed = RecurrentEncoder(RecurrentConfig(varlen="packed", **base)).to(dtype)  # type: ignore[arg-type]
    with torch.no_grad():
        for p in packed.parameters():
            p.normal_(0.0, 0.5)
    padded = RecurrentEncoder(RecurrentConfig(varlen="padded", **base)).to(dtype)  # type: ignore[arg-type]
    padded.load_state_dict(packed.state_dict())
    return packed, padded


def _run_with_grads(
    enc: RecurrentEncoder, x: torch.Tensor, lengths: torch.Tensor, state: tuple[torch.Tensor, ...] | None
) -> list[torch.Tensor]:
    """Outputs, last, final states and the gradients of a fixed random projection of all of them."""
    enc.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    st = None if state is None else tuple(s.clone().requires_grad_(True) for s in state)
    r = enc(x, lengths, state=None if st is None else (st[0], st[1] if len(st) > 1 else None))
    outs = [r.output, r.last, r.state.h] + ([r.state.c] if r.state.c is not None else [])
    gen = torch.Generator().manual_seed(7)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum() for o in outs)
    loss.backward()  # type: ignore[union-attr]
    grads = [x.grad] + [p.grad for p in enc.parameters()] + ([] if st is None else [s.grad for s in st])
    assert all(g is not None for g in grads)
    return [t.detach() for t in outs] + [g.detach() for g in grads]  # type: ignore[union-attr]


CONFIGS: list[dict[str, Any]] = [
    dict(cell=cell, bidirectional=bi, num_layers=layers)
    for cell in ("lstm", "gru", "rnn_tanh", "rnn_relu")
    for bi, layers in ((False, 1), (True, 1), (False, 3), (True, 3))
] + [
    dict(cell="lstm", proj_size=2, bidirectional=True, num_layers=2),
    dict(cell="gru", bidirectional=True, num_layers=2, residual=True),  # one fused module per layer
    dict(cell="lstm", num_layers=3, residual=True),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=["-".join(f"{k}={v}" for k, v in c.items()) for c in CONFIGS])
@pytest.mark.parametrize("with_state", [False, True])
def test_padded_equals_packed_with_gradients(kw: dict[str, Any], with_state: bool) -> None:
    packed, padded = _pair(**kw)
    packed.eval(), padded.eval()
    x = torch.randn(B, T, IN, dtype=torch.float64)
    state = None
    if with_state:
        h0 = packed.init_hidden(B)
        state = (torch.randn_like(h0.h),) + (() if h0.c is None else (torch.randn_like(h0.c),))
    want = _run_with_grads(packed, x, LENGTHS, state)
    got = _run_with_grads(padded, x, LENGTHS, state)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12, msg=f"tensor {i}")
    assert bool((got[0][LENGTHS.unsqueeze(1) <= torch.arange(T)] == 0).all())  # zero past each length
    x_grad = got[4 if kw["cell"] == "lstm" else 3]
    assert bool((x_grad[LENGTHS.unsqueeze(1) <= torch.arange(T)] == 0).all())  # no gradient to padding


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_run_padded_on_plain_modules_time_first_too(cell: str, batch_first: bool) -> None:
    kw: dict[str, Any] = dict(num_layers=2, bidirectional=True, batch_first=batch_first)
    rnn: nn.RNNBase = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}[cell](IN, 4, **kw).double()
    x = torch.randn(B, T, IN, dtype=torch.float64)
    xin = x if batch_first else x.transpose(0, 1)
    p_out, p_h = rnn(pack_padded_sequence(xin, LENGTHS, batch_first=batch_first, enforce_sorted=False))
    p_out, _ = pad_packed_sequence(p_out, batch_first=batch_first, total_length=T)
    out, h = run_padded(rnn, xin, LENGTHS)
    torch.testing.assert_close(out, p_out, rtol=1e-10, atol=1e-12)
    for a, b in zip(
        h if isinstance(h, tuple) else (h,), p_h if isinstance(p_h, tuple) else (p_h,), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_float32_onednn_and_bfloat16_agree_with_packing() -> None:
    packed, padded = _pair(torch.float32, num_layers=2, bidirectional=True, hidden_size=16)
    x = torch.randn(B, T, IN)
    a, b = packed(x, LENGTHS), padded(x, LENGTHS)
    torch.testing.assert_close(b.output, a.output, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(b.state.c, a.state.c, rtol=1e-5, atol=1e-5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        a, b = packed(x, LENGTHS), padded(x, LENGTHS)
    torch.testing.assert_close(b.output.float(), a.output.float(), rtol=0.05, atol=0.05)
    assert bool((b.output[LENGTHS.unsqueeze(1) <= torch.arange(T)] == 0).all())


def test_padding_never_leaks() -> None:
    """NaN and huge values in the padding change nothing, forwards or backwards."""
    packed, padded = _pair(num_layers=2, bidirectional=True)
    x = torch.randn(B, T, IN, dtype=torch.float64)
    dirty = x.clone()
    pad = LENGTHS.unsqueeze(1) <= torch.arange(T)
    dirty[pad] = float("nan")
    dirty[1, -1] = 1e30 if LENGTHS[1] < T else dirty[1, -1]
    dirty[3, 6:] = 1e30
    clean_run = _run_with_grads(packed, x, LENGTHS, None)
    dirty_run = _run_with_grads(padded, dirty, LENGTHS, None)
    for g, w in zip(dirty_run, clean_run, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)


def test_lengths_shorter_than_the_batch_and_dropout() -> None:
    packed, padded = _pair(num_layers=2, bidirectional=True, dropout=0.5)
    x = torch.randn(B, T + 3, IN, dtype=torch.float64)
    r = padded.eval()(x, LENGTHS)  # the batch is trimmed to the longest length, then padded back
    assert r.output.shape == (B, T + 3, 8) and bool((r.output[:, T:] == 0).all())
    torch.testing.assert_close(r.output, packed.eval()(x, LENGTHS).output, rtol=1e-10, atol=1e-12)
    padded.train()
    a, b = padded(x, LENGTHS).output, padded(x, LENGTHS).output
    assert not torch.allclose(a, b)  # dropout between the layers is drawn in training
    assert bool((a[:, T:] == 0).all()) and bool((a[LENGTHS.unsqueeze(1) <= torch.arange(T + 3)] == 0).all())


def test_run_padded_checks_its_inputs() -> None:
    rnn = nn.GRU(IN, 4, batch_first=True)
    x = torch.randn(B, T, IN)
    for bad in (torch.tensor([1, 2]), torch.tensor([0, 1, 2, 3, 4]), LENGTHS + 1, LENGTHS.float()):
        with pytest.raises(ShapeError, match="lengths must"):
            run_padded(rnn, x, bad)
    with pytest.raises(ShapeError, match="3-D"):
        run_padded(rnn, x[0], LENGTHS)


def test_reverse_index_is_an_involution() -> None:
    idx = reverse_index(torch.tensor([3, 1, 4]), 4).view(3, 4) % 4
    assert idx.tolist() == [[2, 1, 0, 3], [0, 1, 2, 3], [3, 2, 1, 0]]
    flat = reverse_index(LENGTHS, T)
    assert torch.equal(flat[flat], torch.arange(B * T))


def test_choice_rules_and_fallback() -> None:
    enc = RecurrentEncoder(RecurrentConfig(input_size=IN, hidden_size=4))
    assert enc.rnn is not None
    cpu = torch.zeros(1, 1, IN)
    assert choose_varlen(enc.rnn, cpu, "auto")[0] == "padded"
    assert choose_varlen(enc.rnn, cpu, "packed") == ("packed", 'varlen="packed" was asked for')
    onednn = "padded" if torch.backends.mkldnn.is_available() else "packed"
    with torch.no_grad():  # inference: oneDNN padded wins for LSTMs, packing for ATen's loop (measured)
        assert choose_varlen(enc.rnn, cpu, "auto")[0] == onednn
        assert choose_varlen(nn.LSTM(IN, 512, batch_first=True), cpu, "auto")[0] == onednn  # any H
        assert choose_varlen(nn.GRU(IN, 4, batch_first=True), cpu, "auto")[0] == "packed"
        assert choose_varlen(nn.LSTM(IN, 8, batch_first=True, proj_size=4), cpu, "auto")[0] == "packed"
        path, why = choose_varlen(enc.rnn.double(), cpu.double(), "auto")  # off oneDNN: packing wins
        assert path == "packed" and "off oneDNN" in why
        with torch.backends.mkldnn.flags(enabled=False):
            assert choose_varlen(enc.rnn.float(), cpu, "auto")[0] == "packed"
        bf16 = onednn == "padded" and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        with torch.autocast("cpu", dtype=torch.bfloat16):  # oneDNN computes in bfloat16 where supported
            assert choose_varlen(enc.rnn, cpu, "auto")[0] == ("padded" if bf16 else "packed")
    big = RecurrentEncoder(RecurrentConfig(input_size=IN, hidden_size=256))
    report = explain_backend(big, torch.zeros(B, T, IN), LENGTHS, grad=False, verify=True)
    assert report.verified and report.layers[0].varlen == onednn, str(report)
    assert choose_varlen(nn.GRU(IN, 4, batch_first=True), cpu, "auto", grad=True)[0] == "padded"
    cuda = SimpleNamespace(device=torch.device("cuda"))
    assert choose_varlen(enc.rnn, cuda, "auto")[0] == "packed"  # type: ignore[arg-type]
    assert choose_varlen(enc.rnn, cuda, "padded")[0] == "padded"  # type: ignore[arg-type]
    assert 0 < saturation_bound(enc.rnn) < 100
    with torch.no_grad():  # weights that could overpower the frozen gates: the encoder packs
        enc.rnn.weight_hh_l0.mul_(1e4)
    path, why = choose_varlen(enc.rnn, cpu, "padded")
    assert path == "packed" and "saturation" in why
    report = explain_backend(enc, torch.zeros(B, T, IN), LENGTHS)
    assert report.layers[0].varlen == "packed" and "saturation" in " ".join(report.layers[0].reasons)
    with pytest.raises(ConfigError, match="varlen"):
        RecurrentConfig(input_size=IN, hidden_size=4, varlen="sorted")


def test_explain_backend_shows_the_path() -> None:
    enc = RecurrentEncoder(RecurrentConfig(input_size=IN, hidden_size=4, num_layers=2, bidirectional=True))
    report = explain_backend(enc, torch.zeros(B, T, IN), LENGTHS, verify=True)
    assert report.verified, str(report)
    entry = report.layers[0]
    assert entry.varlen == "padded" and entry.calls == 4  # one call per layer and direction
    assert "(padded batch)" in str(report) and "exact to packing" in str(report)
    assert report.to_dict()["layers"][0]["varlen"] == "padded"
    assert explain_backend(enc, torch.zeros(B, T, IN)).layers[0].varlen is None
