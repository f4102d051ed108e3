"""The TorchScript export of batches with lengths drops the length sort of packed sequences
(``drop_length_sort``): no ``TopK`` / inverse ``ScatterElements`` and none of their ``Gather`` copies, the
rows of the recurrent node in input order, the outputs equal eager's at other sizes and unsorted lengths,
fp32 and int8; a graph that uses the sort's order for anything else is left as it was."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from carrousel.core.export import (
    OnnxModule,
    drop_length_sort,
    export_onnx,
    quantize_int8,
    verify_onnx,
)
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder
from tests.core.test_core_export import DYN, States

pytest.importorskip("onnxruntime")

NAMES = ["output", "last", "h", "c"]
OUT_DYN = {**DYN, "output": {0: "batch", 1: "time"}, "h": {1: "batch"}, "c": {1: "batch"}}


def _inputs(b: int, t: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[-1] = t  # the longest last: the sort would move it
    return torch.randn(b, t, 5, generator=g), lengths


def _ops(blob: bytes) -> list[str]:
    return [n.op_type for n in onnx.load_from_string(blob).graph.node]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_export_has_no_length_sort_and_matches_eager(cell: str) -> None:
    torch.manual_seed(0)
    cfg = RecurrentConfig(input_size=5, hidden_size=8, cell=cell, bidirectional=True, num_layers=2)
    graph = States(RecurrentEncoder(cfg).eval()).eval()
    blob = export_onnx(graph, _inputs(4, 9, 0), ["x", "lengths"], OUT_DYN, output_names=NAMES)
    ops = _ops(blob)
    assert "TopK" not in ops and "ScatterElements" not in ops
    assert cell.upper() in ops
    for b, t, seed in ((1, 3, 2), (13, 23, 3), (7, 5, 4)):
        x, lengths = _inputs(b, t, seed)
        assert verify_onnx(blob, graph, (x, lengths), ["x", "lengths"], atol=1e-5) < 1e-5
    x, lengths = _inputs(13, 23, 5)
    got = OnnxModule(quantize_int8(blob), threads=1).run(x, lengths)[0]
    with torch.no_grad():
        want = graph(x, lengths)[0].numpy()
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99


def _sorted_graph(order_out: bool) -> bytes:
    """x (B, 3) gathered by the descending sort of lengths and back; ``order_out``: the order an output."""
    nodes = [
        helper.make_node("Shape", ["lengths"], ["n"]),
        helper.make_node("TopK", ["lengths", "n"], ["values", "order"], largest=1, sorted=1),
        helper.make_node("Gather", ["x", "order"], ["xs"], axis=0),
        helper.make_node("Relu", ["xs"], ["ys"]),
        helper.make_node("Shape", ["order"], ["m"]),
        helper.make_node(
            "ConstantOfShape", ["m"], ["zeros"], value=helper.make_tensor("v", TensorProto.INT64, [1], [0])
        ),
        helper.make_node("Range", ["start", "n0", "step"], ["steps"]),
        helper.make_node("ScatterElements", ["zeros", "order", "steps"], ["inverse"], axis=0),
        helper.make_node("Gather", ["ys", "inverse"], ["y"], axis=0),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 3])]
    if order_out:
        outputs.append(helper.make_tensor_value_info("order", TensorProto.INT64, ["B"]))
    graph = helper.make_graph(
        nodes,
        "sorted",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 3]),
            helper.make_tensor_value_info("lengths", TensorProto.INT64, ["B"]),
            helper.make_tensor_value_info("n0", TensorProto.INT64, []),
        ],
        outputs,
        initializer=[
            helper.make_tensor("start", TensorProto.INT64, [], [0]),
            helper.make_tensor("step", TensorProto.INT64, [], [1]),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_a_sort_and_its_inverse_gather_cancel_in_a_plain_graph() -> None:
    out = drop_length_sort(_sorted_graph(order_out=False))
    assert _ops(out) == ["Relu", "Identity"]  # y, a graph output, keeps its name
    x = np.arange(12, dtype=np.float32).reshape(4, 3) - 5
    session = __import__("onnxruntime").InferenceSession(out, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": x, "lengths": np.array([1, 4, 2, 3]), "n0": np.array(4)})
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_a_graph_using_the_order_otherwise_is_unchanged() -> None:
    blob = _sorted_graph(order_out=True)
    assert drop_length_sort(blob) == blob


def test_a_graph_with_a_subgraph_is_unchanged() -> None:
    model = onnx.load_from_string(_sorted_graph(order_out=False))
    branch = helper.make_graph(
        [helper.make_node("Identity", ["xs"], ["b"])],
        "branch",
        [],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, ["B", 3])],
    )
    model.graph.input.append(helper.make_tensor_value_info("flag", TensorProto.BOOL, []))
    model.graph.node.append(helper.make_node("If", ["flag"], ["z"], then_branch=branch, else_branch=branch))
    model.graph.output.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, ["B", 3]))
    blob = model.SerializeToString()
    assert drop_length_sort(blob) == blob
