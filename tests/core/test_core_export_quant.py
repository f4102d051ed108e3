"""Static int8 of convolutions (``quantize_static_int8`` and ``ExportSpec.calibration``): the file holds no
dynamic ``ConvInteger``, ONNX Runtime fuses the convolution into ``QLinearConv``, and the int8 graph
reproduces the float model at batch sizes and lengths other than the export example's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import Tensor, nn

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import ExportError
from carrousel.core.export import ExportSpec, export_bundle, export_onnx, load_runtime, quantize_static_int8
from carrousel.core.io import register_module


@dataclass(frozen=True)
class ConvLstmConfig:
    """Shape of :class:`ConvLstm`."""

    filters: int = 16


@register_module("test.convlstm")
class ConvLstm(nn.Module):
    """``(batch, 4, time)`` -> Conv1d -> ReLU -> MaxPool1d -> LSTM -> max over time -> Linear ``(batch, 2)``."""

    config_class = ConvLstmConfig

    def __init__(self, config: ConvLstmConfig | None = None) -> None:
        super().__init__()
        self.config = config or ConvLstmConfig()
        self.conv = nn.Conv1d(4, self.config.filters, 7, padding=3)
        self.rnn = nn.LSTM(self.config.filters, 8, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x: Tensor) -> Tensor:
        z = nn.functional.max_pool1d(torch.relu(self.conv(x)), 4, ceil_mode=True)
        out, _ = self.rnn(z.transpose(1, 2))
        y: Tensor = self.head(out.amax(dim=1))
        return y


def _spec(
    model: nn.Module, calibration: tuple[tuple[Tensor, ...], ...], int8_ops: tuple[str, ...]
) -> ExportSpec:
    g = torch.Generator().manual_seed(1)
    return ExportSpec(
        graph=model,
        example=(torch.randn(2, 4, 40, generator=g),),
        check_inputs=(torch.randn(11, 4, 57, generator=g),),
        input_names=("x",),
        dynamic={"x": {0: "batch", 2: "time"}},
        int8_atol=0.2,
        int8_ops=int8_ops,
        calibration=calibration,
    )


def _ops(blob: bytes) -> set[str]:
    return {n.op_type for n in onnx.load_from_string(blob).graph.node}


def test_static_int8_conv_runs_as_qlinearconv_and_matches_at_other_sizes(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ConvLstm().eval()
    g = torch.Generator().manual_seed(2)
    calibration = tuple((torch.randn(32, 4, 48, generator=g),) for _ in range(4))  # the "training" data
    folder, asset = export_bundle(
        Bundle("test.convlstm", model),
        tmp_path / "m8",
        _spec(model, calibration, ("LSTM",)),
        precision="int8",
    )
    assert asset["static_int8_ops"] == ["Conv", "Relu", "MaxPool"] and asset["calibration_batches"] == 4
    assert asset["int8_ops"] == ["LSTM"] and asset["check_max_abs_diff"] <= 0.2
    blob = bytes(load_bundle(folder).files[asset["file"]])
    ops = _ops(blob)
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "DynamicQuantizeLSTM"} <= ops
    assert "ConvInteger" not in ops and "DynamicQuantizeLinear" not in ops
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
    assert "QLinearConv" in _ops((tmp_path / "optimized.onnx").read_bytes())  # what ONNX Runtime runs
    runtime = load_runtime(load_bundle(folder), threads=1)
    assert runtime is not None
    for batch, length in ((1, 40), (64, 100), (5, 23)):  # other sizes than the example (2, 40)
        x = torch.randn(batch, 4, length, generator=g)
        with torch.no_grad():
            ref = model(x)
        err = float((runtime(x) - ref).abs().max())
        assert err <= 0.05 * float(ref.abs().max()) + 1e-3, (batch, length, err)


def test_static_only_keeps_the_lstm_float_and_needs_calibration(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ConvLstm().eval()
    calibration = ((torch.randn(16, 4, 48),),)
    _, asset = export_bundle(
        Bundle("test.convlstm", model), tmp_path / "s", _spec(model, calibration, ()), precision="int8"
    )
    blob = bytes(load_bundle(tmp_path / "s").files[asset["file"]])
    assert "LSTM" in _ops(blob) and "DynamicQuantizeLSTM" not in _ops(blob) and asset["int8_ops"] == []
    _, fp32 = export_bundle(
        Bundle("test.convlstm", model), tmp_path / "f", _spec(model, calibration, ()), precision="fp32"
    )
    assert fp32["static_int8_ops"] == [] and fp32["calibration_batches"] == 0
    raw = export_onnx(model, (torch.randn(2, 4, 40),), ["x"], {"x": {0: "batch", 2: "time"}})
    with pytest.raises(ExportError, match="calibration batches"):
        quantize_static_int8(raw, (), ["x"])
    with pytest.raises(ExportError, match="one array per input"):
        quantize_static_int8(raw, [(np.zeros((2, 4, 40), np.float32), np.zeros(2))], ["x"])


def test_percentile_calibration_matches_and_needs_one_shape(tmp_path: Path) -> None:
    """``calibration_percentile``: ranges cut at a percentile (ONNX Runtime's histogram calibration, whose
    progress lines must not reach stdout); batches of different shapes are a clear error."""
    torch.manual_seed(0)
    model = ConvLstm().eval()
    g = torch.Generator().manual_seed(2)
    calibration = tuple((torch.randn(16, 4, 48, generator=g),) for _ in range(3))
    spec = ExportSpec(**{**_spec(model, calibration, ("LSTM",)).__dict__, "calibration_percentile": 99.99})
    folder, asset = export_bundle(Bundle("test.convlstm", model), tmp_path / "p", spec, precision="int8")
    assert asset["calibration_percentile"] == 99.99 and asset["check_max_abs_diff"] <= 0.2
    runtime = load_runtime(load_bundle(folder), threads=1)
    assert runtime is not None
    x = torch.randn(7, 4, 91, generator=g)
    with torch.no_grad():
        ref = model(x)
    assert float((runtime(x) - ref).abs().max()) <= 0.05 * float(ref.abs().max()) + 1e-3
    raw = export_onnx(model, (torch.randn(2, 4, 40),), ["x"], {"x": {0: "batch", 2: "time"}})
    uneven = [(torch.randn(4, 4, 40),), (torch.randn(4, 4, 41),)]
    with pytest.raises(ExportError, match="one shape"):
        quantize_static_int8(raw, uneven, ["x"], percentile=99.9)
    with pytest.raises(ExportError, match="percentile 20"):
        quantize_static_int8(raw, uneven[:1], ["x"], percentile=20.0)
