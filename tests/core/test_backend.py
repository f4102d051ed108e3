"""explain_backend: predicted kernels and reasons, checked against what the profiler sees."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from torch import nn

from carrousel.core.errors import ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.nn.backend import KERNELS, BackendReport, explain_backend
from carrousel.core.nn.native import native_status

IN, H = 4, 6

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:LSTM with projections is not supported:UserWarning", "ignore:TF32 acceleration:UserWarning"
    ),
    pytest.mark.usefixtures("one_thread"),  # tiny tensors: see tests/conftest.py
]


def enc(**kw: Any) -> RecurrentEncoder:
    return RecurrentEncoder(RecurrentConfig(input_size=IN, hidden_size=H, **kw))


def x_on(device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(3, 5, IN, device=device, dtype=dtype)


LENGTHS = torch.tensor([5, 3, 2])


def _fused_kernel(device: torch.device, lstm: bool = True) -> str:
    if device.type == "cuda":
        return "cudnn"
    return "onednn" if lstm and torch.backends.mkldnn.is_available() else "aten"


CASES: list[tuple[dict[str, Any], bool, list[str], str]] = [
    # config, with lengths, expected kernels on CPU (fused ones replaced on CUDA), word in the reasons;
    # "GRU": the fused C++ GRU loop where the extension builds (training), else ATen's
    (dict(num_layers=2, bidirectional=True), False, ["FUSED"], "oneDNN"),
    (dict(cell="gru"), True, ["GRU"], "LSTM only"),  # training: the C++ GRU loop where it builds
    (dict(varlen="packed"), True, ["aten"], "packed"),
    (dict(), True, ["FUSED"], "padded batch"),  # unequal lengths keep oneDNN: one call, exact to packing
    (dict(num_layers=2, bidirectional=True, proj_size=3), True, ["aten"], "padded batch"),  # 4 calls
    (dict(cell="gru", num_layers=2, residual=True, varlen="padded"), True, ["GRU", "GRU"], "asked for"),
    (dict(proj_size=3), False, ["aten"], "projection"),
    (dict(cell="ln_lstm"), False, ["python_loop"], "no fused kernel"),
    (dict(zoneout=0.1), False, ["python_loop"], "zoneout"),
    (dict(recurrent_dropout=0.2, bidirectional=True), True, ["python_loop"], "recurrent_dropout"),
    (dict(backend="loop", num_layers=2), False, ["python_loop", "python_loop"], 'backend="loop"'),
    (dict(num_layers=2, residual=True), False, ["FUSED", "FUSED"], "residual"),
]


@pytest.mark.parametrize(("kw", "use_lengths", "kernels", "word"), CASES)
def test_prediction_matches_profiler(
    kw: dict[str, Any], use_lengths: bool, kernels: list[str], word: str, device: torch.device
) -> None:
    model = enc(**kw).to(device)
    report = explain_backend(model, x_on(device), LENGTHS if use_lengths else None, verify=True)
    assert report.verified is True, str(report)
    if device.type == "cpu":
        gru = "native_gru" if native_status()[0] else "aten"
        want = [_fused_kernel(device) if k == "FUSED" else gru if k == "GRU" else k for k in kernels]
        assert list(report.kernels) == want, str(report)
        reasons = " ".join(r for e in report.layers for r in e.reasons)
        assert word in reasons, str(report)
    else:  # on CUDA every fused module goes to cuDNN, packed or projected alike
        assert all(k in ("cudnn", "python_loop") for k in report.kernels), str(report)
    assert report.packed == use_lengths


def test_report_renders_and_serialises() -> None:
    report = explain_backend(enc(cell="ln_lstm", num_layers=2, bidirectional=True), x_on(torch.device("cpu")))
    text = str(report)
    assert text.splitlines()[0] == "recurrent backend on cpu, float32, autograd on"
    assert "layer 1 ln_lstm x2 directions -> " + KERNELS["python_loop"] in text
    assert "because cell 'ln_lstm' has no fused kernel in PyTorch" in text
    d = json.loads(json.dumps(report.to_dict()))
    assert d["layers"][1]["kernel"] == "python_loop" and d["layers"][1]["layers"] == "2"
    assert d["observed"] is None and d["verified"] is None


def test_onednn_switched_off_is_reported() -> None:
    if not torch.backends.mkldnn.is_available():
        pytest.skip("this PyTorch has no oneDNN")
    with torch.backends.mkldnn.flags(enabled=False):
        report = explain_backend(enc(), x_on(torch.device("cpu")), verify=True)
    assert report.kernels == ("aten",) and report.verified, str(report)
    assert "torch.backends.mkldnn.enabled is False" in report.layers[0].reasons


@pytest.mark.parametrize(
    ("dtype", "grad"), [(torch.bfloat16, True), (torch.float16, True), (torch.float16, False)]
)
def test_low_precision_on_cpu(dtype: torch.dtype, grad: bool) -> None:
    model = enc().to(dtype)
    report = explain_backend(model, x_on(torch.device("cpu"), dtype), grad=grad, verify=True)
    assert report.verified, str(report)
    assert report.dtype == str(dtype).removeprefix("torch.") and report.grad is grad
    if dtype == torch.float16 and grad:
        assert report.kernels == ("aten",)
        assert "inference only" in report.layers[0].reasons[0]


def test_autocast_and_dtype_mismatch_notes() -> None:
    x = x_on(torch.device("cpu"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        report = explain_backend(enc(), x, verify=True)
    assert report.dtype == "bfloat16" and report.verified
    mismatch = explain_backend(enc(), x.half())
    assert any("will fail" in n for n in mismatch.notes)
    same = explain_backend(enc(), x, torch.tensor([5, 5, 5]))
    assert not same.packed and any("equal T" in n for n in same.notes)


class _Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = enc(cell="peephole_lstm")
        self.extra = nn.GRU(H, 3, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.extra(self.encoder(x).output)[0]


def test_nested_modules_and_plain_torch_rnns() -> None:
    report = explain_backend(_Model(), x_on(torch.device("cpu")), verify=True)
    assert [(e.module, e.kernel) for e in report.layers] == [("encoder", "python_loop"), ("extra", "aten")]
    assert report.verified, str(report)
    assert isinstance(report, BackendReport)
    empty = explain_backend(nn.Linear(IN, 2), x_on(torch.device("cpu")))
    assert empty.layers == () and "no recurrent layers" in str(empty)


def test_bad_example_input() -> None:
    with pytest.raises(ShapeError):
        explain_backend(enc(), torch.randn(5, IN))
    with pytest.raises(ShapeError):
        explain_backend(enc(), x_on(torch.device("cpu")), torch.tensor([1, 2]))


def test_failed_verification_is_reported_not_raised() -> None:
    report = explain_backend(enc(), x_on(torch.device("cpu"), torch.float64), verify=True)
    assert report.verified is False and report.observed == ()
    assert any("verification run failed: ShapeError" in n for n in report.notes), str(report)


def test_cpu_float16_autocast_training_is_stepped_around() -> None:
    """nn.LSTM fails in oneDNN under CPU float16 autocast with autograd; the encoder runs it in float32."""
    if not torch.backends.mkldnn.is_available():
        pytest.skip("this PyTorch has no oneDNN")
    model, x = enc(num_layers=2), x_on(torch.device("cpu"))
    with torch.autocast("cpu", dtype=torch.float16):
        out = model(x)
        report = explain_backend(model, x, verify=True)
        plain = explain_backend(nn.LSTM(IN, H, batch_first=True), x)
    out.output.sum().backward()
    assert (
        out.output.dtype == torch.float32
        and model.rnn is not None
        and model.rnn.weight_hh_l0.grad is not None
    )
    assert report.verified and report.kernels == ("onednn",), str(report)
    assert "runs this LSTM in float32" in report.layers[0].reasons[0]
    if torch.ops.mkldnn._is_mkldnn_fp16_supported():
        assert any("fails inside oneDNN" in n for n in plain.notes), str(plain)
    else:  # a CPU without fp16 for oneDNN: the plain LSTM runs ATen's loop, which has no such failure
        assert "float16 needs a CPU with fp16 support for oneDNN" in plain.layers[0].reasons, str(plain)
        assert not any("fails inside oneDNN" in n for n in plain.notes), str(plain)
