"""OnnxModule given an empty batch: ONNX Runtime's LSTM/GRU kernels crash the whole process on it (SIGSEGV
with lengths, abort without), so a user's loop over a dataset whose last shard is empty died without a
Python error. The module now refuses it in one line; a graph without a recurrent node runs it as before."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

pytest.importorskip("onnxruntime")

from carrousel.core.errors import ShapeError
from carrousel.core.export import OnnxModule, export_onnx, quantize_int8

_CHILD = textwrap.dedent(
    """
    import torch
    from carrousel.core.errors import ShapeError
    from carrousel.core.export import OnnxModule, export_onnx, quantize_int8
    from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig

    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8, cell="{cell}"), 3)).eval()
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    if {with_lengths}:
        dyn = {{"x": {{0: "batch", 1: "time"}}, "lengths": {{0: "batch"}}}}
        blob, empty = export_onnx(model, (x, lengths), ["x", "lengths"], dyn), (x[:0], lengths[:0])
    else:
        blob, empty = export_onnx(model, (x,), ["x"], {{"x": {{0: "batch", 1: "time"}}}}), (x[:0],)
    for graph in (blob, quantize_int8(blob)):
        try:
            OnnxModule(graph)(*empty)
        except ShapeError as e:
            print(e)
    """
)


@pytest.mark.parametrize(("cell", "with_lengths"), [("lstm", True), ("gru", False)])
def test_an_empty_batch_is_one_error_not_a_crash(cell: str, with_lengths: bool) -> None:
    code = _CHILD.format(cell=cell, with_lengths=with_lengths)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"the process died ({out.returncode}): {out.stderr[-500:]}"
    lines = out.stdout.strip().splitlines()
    op = cell.upper()
    assert lines == [
        f"input x has shape (0, 6, 4), and ONNX Runtime aborts the process on an empty input to this model's "
        f"{name} node; skip empty batches (no rows, no steps) before calling it"
        for name in (op, "DynamicQuantizeLSTM" if cell == "lstm" else op)
    ]


def test_a_graph_without_a_recurrent_node_still_runs_an_empty_batch() -> None:
    model = nn.Sequential(nn.Linear(4, 3)).eval()
    x = torch.randn(3, 6, 4)
    module = OnnxModule(export_onnx(model, (x,), ["x"], {"x": {0: "batch", 1: "time"}}))
    assert module.recurrent_op is None
    assert module(x[:0]).shape == (0, 6, 3)
    assert torch.allclose(module(x), model(x), atol=1e-6)
    assert OnnxModule(quantize_int8(export_onnx(model, (x,), ["x"], {}))).recurrent_op is None
    with pytest.raises(ShapeError, match="takes 1 inputs"):
        module(x, x)
