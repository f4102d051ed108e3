"""OnnxModule given an empty batch: ONNX Runtime's LSTM/GRU kernels crash the whole process on it (SIGSEGV
with lengths, abort without), so a user's loop over a dataset whose last shard is empty died without a
Python error. The module refused it in one line; it now returns the empty output of a batch of no rows as
the eager network does, without calling ONNX Runtime on it, and refuses an input of no steps (as eager
does). run_onnx and verify_onnx refuse both in one line; a graph without a recurrent node runs them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
        print(tuple(OnnxModule(graph)(*empty).shape), tuple(model(*empty).shape))
        try:
            OnnxModule(graph)(x[:, :0], *([lengths] if {with_lengths} else []))
        except ShapeError as e:
            print(e)
    """
)


@pytest.mark.parametrize(("cell", "with_lengths"), [("lstm", True), ("gru", False)])
def test_an_empty_batch_is_the_eager_empty_output_not_a_crash(cell: str, with_lengths: bool) -> None:
    code = _CHILD.format(cell=cell, with_lengths=with_lengths)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"the process died ({out.returncode}): {out.stderr[-500:]}"
    lines = out.stdout.strip().splitlines()
    op = cell.upper()
    no_steps = (
        "lengths must lie in [1, 0], got min 2 max 6; a length is past the input's 0 time steps: pad the "
        "input to max(lengths) = 6 steps or clip the lengths to 0"
    )
    expected = []
    for name in (op, "DynamicQuantizeLSTM" if cell == "lstm" else op):
        expected.append("(0, 3) (0, 3)")
        expected.append(
            no_steps
            if with_lengths
            else f"input x has shape (3, 0, 4), and ONNX Runtime aborts the process on an empty input to this "
            f"model's {name} node; skip empty batches (no rows, no steps) before calling it"
        )
    assert lines == expected


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


_PUBLIC_CHILD = textwrap.dedent(
    """
    import tempfile, torch
    from pathlib import Path
    from carrousel.core.errors import ExportError, ShapeError
    from carrousel.core.export import export_onnx, onnx_session, run_onnx, verify_onnx
    from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig

    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8, cell="gru"), 3)).eval()
    x = torch.randn(3, 6, 4)
    blob = export_onnx(model, (x,), ["x"], {"x": {0: "batch", 1: "time"}})
    path = Path(tempfile.mkdtemp()) / "m.onnx"
    path.write_bytes(blob)
    for source in (blob, path):
        for empty in (x[:0], x[:, :0]):
            try:
                run_onnx(onnx_session(source), [empty])
            except ShapeError as e:
                print("run_onnx:", e)
    try:
        verify_onnx(blob, model, (x[:0],), ["x"])
    except ExportError as e:
        print("verify_onnx:", e)
    try:
        export_onnx(model, (x,), ["x"], {"x": {0: "batch", 1: "time"}}, check_inputs=(x[:0],))
    except ExportError as e:
        print("export_onnx:", e)
    print(run_onnx(onnx_session(blob), [x[:2]])[0].shape)
    """
)


def test_run_onnx_and_verify_onnx_refuse_an_empty_batch_instead_of_crashing() -> None:
    """The public run_onnx (any session over a recurrent graph) and verify_onnx / export_onnx's
    check_inputs reached ONNX Runtime's GRU kernel with an empty batch, which killed the process."""
    out = subprocess.run([sys.executable, "-c", _PUBLIC_CHILD], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"the process died ({out.returncode}): {out.stderr[-500:]}"
    msg = "and ONNX Runtime aborts the process on an empty input to this model's GRU node; "
    skip = "skip empty batches (no rows, no steps) before calling it"
    give = "give check inputs of one row and one step or more"
    assert out.stdout.strip().splitlines() == [
        *[f"run_onnx: input x has shape {s}, {msg}{skip}" for s in ((0, 6, 4), (3, 0, 4)) * 2],
        f"verify_onnx: input x has shape (0, 6, 4), {msg}{give}",
        f"export_onnx: input x has shape (0, 6, 4), {msg}{give}",
        "(2, 3)",
    ]


def test_loading_an_onnx_module_does_not_read_its_graph_until_an_input_is_empty(tmp_path: Path) -> None:
    """OnnxModule read its graph with the onnx package at construction (about 0.7 s of import for a deployed
    model's first load), though only an empty input needs the recurrent node; now on first use."""
    model = nn.Sequential(nn.Linear(4, 3)).eval()
    x = torch.randn(3, 6, 4)
    path = tmp_path / "m.onnx"
    path.write_bytes(export_onnx(model, (x,), ["x"], {"x": {0: "batch", 1: "time"}}))
    code = textwrap.dedent(
        f"""
        import sys, torch
        from pathlib import Path
        from carrousel.core.export.runtime import OnnxModule
        module = OnnxModule(Path({str(path)!r}).read_bytes())
        print(tuple(module(torch.randn(2, 5, 4)).shape), "onnx" in sys.modules)
        print(module.recurrent_op, "onnx" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip().splitlines() == ["(2, 5, 3) False", "None True"]
