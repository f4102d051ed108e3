"""The dynamo ONNX exporter, export after export in one process: every file keeps a dynamic time axis."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.export import export_onnx, export_program, verify_onnx
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

pytest.importorskip("onnxscript")


def _regressor(cell: str) -> SequenceRegressor:
    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(RecurrentConfig(input_size=3, hidden_size=4, cell=cell))
    return SequenceRegressor(cfg).eval()


def _x(b: int, t: int, seed: int) -> torch.Tensor:
    return torch.randn(b, t, 3, generator=torch.Generator().manual_seed(seed))


def test_every_dynamo_export_in_a_process_has_a_dynamic_time_axis() -> None:
    """Before: the second LSTM export of a process came out fixed to its example's T (the exporter's own
    pass left a per-step LSTM kernel in a dispatch cache that torch's while-loop patch does not reset), and
    ``export_onnx`` refused it ("does not run at other sizes"); only a ``torch.export`` in between hid it.
    Another model kind (GRU) and ``export_program`` (the same patch) come between exports here too."""
    plan = [("onnx", "lstm", 9), ("onnx", "lstm", 20), ("onnx", "gru", 6), ("program", "lstm", 7)]
    for i, (how, cell, t) in enumerate([*plan, ("onnx", "lstm", 5)]):  # (exporter, cell, example T)
        model = _regressor(cell)
        others = [_x(b, t_other, 10 * i + b) for b, t_other in ((5, t + 11), (1, 3))]  # not (2, t)
        if how == "program":
            program = export_program(model, (_x(2, t, i),), {0: {0: "batch", 1: "time"}})
            for x in others:
                torch.testing.assert_close(program.module()(x), model(x), atol=1e-5, rtol=0)
            continue
        blob = export_onnx(model, (_x(2, t, i),), ["x"], {"x": {0: "batch", 1: "time"}}, exporter="dynamo")
        for x in others:
            assert verify_onnx(blob, model, (x,), ["x"], atol=1e-5) < 1e-5, (i, cell, t)
