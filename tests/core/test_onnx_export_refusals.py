"""Exports that came back as files which cannot run at other sizes, or failed noisily: a projected LSTM
through dynamo was written without error and ONNX Runtime failed on it at the first batch of another
size ("Input initial_c must have shape {1,9,4}"), the torchscript exporter refused it only after dumping
its whole graph IR to stderr, and an rnn_tanh encoder through dynamo, asked for dynamic batch and time,
was returned fixed to the example's 7 steps unless ``check_inputs`` was given. Each is now one
ExportError before a file is returned, with nothing else written to stderr."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("onnxruntime")

from carrousel.core.errors import ExportError
from carrousel.core.export import OnnxModule, export_onnx
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from tests.core.test_core_export import DYN


def _model(**encoder: object) -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(6, 16, **encoder), 4)).eval()  # type: ignore[arg-type]


def _example() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(2, 7, 6), torch.tensor([7, 4])


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_a_projected_lstm_is_refused_before_exporting(
    exporter: str, capfd: pytest.CaptureFixture[str]
) -> None:
    model = _model(cell="lstm", proj_size=4, bidirectional=True)
    with pytest.raises(ExportError) as info:
        export_onnx(model, _example(), ["x", "lengths"], DYN, exporter=exporter)
    assert str(info.value) == (
        f"the {exporter} exporter cannot export SequenceClassifier: encoder.rnn is an LSTM with proj_size=4, "
        "which the ONNX LSTM node lacks; use proj_size=0, or export_program (torch.export) for a PyTorch "
        "deployment"
    )
    assert "Torch IR graph" not in capfd.readouterr().err


def test_an_axis_dynamo_fixed_is_refused_without_check_inputs() -> None:
    model = _model(cell="rnn_tanh")
    with pytest.raises(ExportError) as info:
        export_onnx(model, _example(), ["x", "lengths"], DYN, exporter="dynamo")
    assert str(info.value).startswith(
        "the dynamo exporter fixed axis 1 ('time') of input x to the example's size 7, so the file runs at "
        "that size only"
    )
    assert str(info.value).endswith("use exporter torchscript")


@pytest.mark.parametrize(("cell", "exporter"), [("lstm", "dynamo"), ("rnn_tanh", "torchscript")])
def test_graphs_with_dynamic_axes_still_export(cell: str, exporter: str) -> None:
    model = _model(cell=cell, bidirectional=True)
    blob = export_onnx(model, _example(), ["x", "lengths"], DYN, exporter=exporter)
    x, lengths = torch.randn(5, 12, 6), torch.tensor([12, 1, 7, 3, 12])
    with torch.no_grad():
        want = model(x, lengths)
    torch.testing.assert_close(OnnxModule(blob)(x, lengths), want, atol=1e-5, rtol=1e-4)
