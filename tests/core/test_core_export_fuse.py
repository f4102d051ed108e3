"""carrousel.core.export.fuse: parallel members fused into one network equal the ensemble's forward (float32
round-off, float64 to 1e-10, with and without lengths, members of different sizes), export through
``export_bundle`` as one recurrent node per layer, run in ONNX Runtime at other sizes (fp32 and int8, the
block-diagonal zeros kept exact by the int8 weights), and what cannot be fused is a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import ExportError
from carrousel.core.export import (
    ExportSpec,
    FusedMembers,
    check_fused,
    export_bundle,
    fuse_members,
    load_runtime,
)
from carrousel.core.nn import (
    RecurrentConfig,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
)

QUANTILES = (0.1, 0.5, 0.9)


def _members(
    sizes: tuple[int, ...], pooling: str = "last", quantiles: tuple[float, ...] = QUANTILES, **enc: object
) -> list[SequenceRegressor]:
    torch.manual_seed(0)
    return [
        SequenceRegressor(
            SequenceRegressorConfig(
                RecurrentConfig(input_size=5, hidden_size=h, **enc),  # type: ignore[arg-type]
                out_features=4,
                quantiles=quantiles,
                pooling=pooling,
            )
        ).eval()
        for h in sizes
    ]


def _mean(members: list[SequenceRegressor], *args: torch.Tensor) -> torch.Tensor:
    """The ensemble's forward: the members' outputs stacked and averaged (as finance's ensemble does)."""
    return torch.stack([m(*args) for m in members]).mean(dim=0)


CASES = [
    ({"cell": "lstm"}, (32, 32, 32), "last", QUANTILES),  # finance's default ensemble
    ({"cell": "gru", "num_layers": 2, "bidirectional": True}, (8, 5, 8), "last", ()),
    ({"cell": "lstm", "num_layers": 3, "bidirectional": True, "residual": True}, (6, 6), "mean", (0.2, 0.8)),
    ({"cell": "rnn_tanh", "num_layers": 2}, (4, 7, 3, 5), "max", ()),
    ({"cell": "lstm", "num_layers": 2, "bidirectional": True}, (16, 9, 12), "last", QUANTILES),
]


@pytest.mark.parametrize(("enc", "sizes", "pooling", "quantiles"), CASES)
def test_fused_members_equal_the_ensemble(
    enc: dict[str, object], sizes: tuple[int, ...], pooling: str, quantiles: tuple[float, ...]
) -> None:
    members = _members(sizes, pooling, quantiles, **enc)
    g = torch.Generator().manual_seed(1)
    for dtype, atol in ((torch.float32, 1e-5), (torch.float64, 1e-10)):
        nets = [m.to(dtype) for m in members]
        fused = fuse_members(nets)
        assert isinstance(fused, FusedMembers) and next(fused.parameters()).dtype == dtype
        assert fused.encoder.config.hidden_size == len(sizes) * max(sizes)
        for b, t in ((1, 30), (64, 30), (7, 3), (3, 41)):
            x = torch.randn(b, t, 5, generator=g, dtype=dtype)
            lengths = torch.randint(1, t + 1, (b,), generator=g)
            with torch.no_grad():
                torch.testing.assert_close(fused(x), _mean(nets, x), atol=atol, rtol=0)
                torch.testing.assert_close(fused(x, lengths), _mean(nets, x, lengths), atol=atol, rtol=0)


def test_stack_gives_every_member_and_a_classifier_fuses() -> None:
    members = _members((8, 8, 8), quantiles=(), cell="gru")
    x = torch.randn(6, 11, 5)
    with torch.no_grad():
        torch.testing.assert_close(
            fuse_members(members, reduce="stack")(x), torch.stack([m(x) for m in members]), atol=1e-5, rtol=0
        )
    torch.manual_seed(0)
    cfg = SequenceClassifierConfig(RecurrentConfig(5, 8, bidirectional=True), num_classes=3)
    classifiers = [SequenceClassifier(cfg).eval() for _ in range(2)]
    with torch.no_grad():
        assert check_fused(fuse_members(classifiers), lambda v: _mean(classifiers, v), (x,)) < 1e-5  # type: ignore[arg-type]


def _int8_zeros_kept(blob: bytes, fp32_blob: bytes) -> int:
    """Checks that every zero of the fp32 LSTM weights is exactly zero in the int8 weights; returns how many."""
    import onnx
    from onnx import numpy_helper

    def weights(data: bytes) -> list[dict[str, np.ndarray]]:
        model = onnx.load_from_string(data)
        inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        nodes = [n for n in model.graph.node if n.op_type in ("LSTM", "DynamicQuantizeLSTM")]
        return [{k: inits[n.input[i]] for k, i in (("W", 1), ("R", 2))} | _scales(n, inits) for n in nodes]

    def _scales(node: object, inits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = list(node.input)  # type: ignore[attr-defined]
        return {"W_zp": inits[names[9]], "R_zp": inits[names[11]]} if len(names) > 11 else {}

    zeros = 0
    for f32, q8 in zip(weights(fp32_blob), weights(blob), strict=True):
        for key in ("W", "R"):
            dense, quant = f32[key], np.swapaxes(q8[key], 1, 2)  # int8 weights are stored (D, in, 4H)
            zp = q8[f"{key}_zp"].reshape(-1, 1, 1)
            where = dense == 0
            assert np.array_equal(quant[where], np.broadcast_to(zp, quant.shape)[where])
            zeros += int(where.sum())
    return zeros


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_fused_graph_exports_one_node_per_layer(tmp_path: Path, precision: str) -> None:
    import onnx

    members = _members((8, 6, 8), cell="lstm", num_layers=2, bidirectional=True)
    fused = fuse_members(members)
    g = torch.Generator().manual_seed(2)
    spec = ExportSpec(
        fused,
        (torch.randn(2, 9, 5, generator=g),),
        (torch.randn(37, 23, 5, generator=g),),  # other batch and length than the example
        ("x",),
        {"x": {0: "batch", 1: "time"}},
        output_names=("quantiles",),
        meta={"fused_members": 3},
    )
    bundle = Bundle("test.regressor", members[0])  # the domain keeps its own weights; the graph is fused
    folder, asset = export_bundle(bundle, tmp_path / precision, spec, precision=precision)
    assert asset["fused_members"] == 3
    assert asset["check_max_abs_diff"] < (1e-5 if precision == "fp32" else 0.1)
    blob = bytes(load_bundle(folder).files[asset["file"]])
    lstm = [n for n in onnx.load_from_string(blob).graph.node if n.op_type.endswith("LSTM")]
    assert len(lstm) == 2  # one (bidirectional) node per layer for all three members
    runtime = load_runtime(load_bundle(folder), threads=1)
    assert runtime is not None
    x = torch.randn(64, 30, 5, generator=g)
    with torch.no_grad():
        got, ref = runtime(x).numpy(), _mean(members, x).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-5 if precision == "fp32" else 0.1)
    if precision == "int8":
        fp32 = export_bundle(bundle, tmp_path / "ref", spec, precision="fp32")[0]
        fp32_blob = bytes(load_bundle(fp32).files["model.fp32.onnx"])
        assert _int8_zeros_kept(blob, fp32_blob) > 0


def test_fused_graph_with_lengths_exports(tmp_path: Path) -> None:
    """Lengths as a second input: the fused GRU runs packed in one node per layer, exact at other sizes."""
    members = _members((8, 8), quantiles=(), cell="gru", bidirectional=True)
    g = torch.Generator().manual_seed(3)

    def inputs(b: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = torch.randint(1, t + 1, (b,), generator=g)
        lengths[0] = t
        return torch.randn(b, t, 5, generator=g), lengths

    dyn = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}
    spec = ExportSpec(fuse_members(members), inputs(4, 9), inputs(29, 17), ("x", "lengths"), dyn)
    folder, asset = export_bundle(
        Bundle("test.regressor", members[0]), tmp_path / "m", spec, precision="fp32"
    )
    assert asset["check_max_abs_diff"] < 1e-5
    runtime = load_runtime(load_bundle(folder), threads=1)
    assert runtime is not None
    x, lengths = inputs(11, 23)
    with torch.no_grad():
        np.testing.assert_allclose(runtime(x, lengths).numpy(), _mean(members, x, lengths).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        (lambda: [], "empty"),
        (lambda: _members((8,), cell="ln_lstm"), "step loop"),
        (lambda: _members((8,), pooling="attention"), "pooling 'attention'"),
        (lambda: _members((8,), cell="lstm", proj_size=4), "proj_size"),
        (lambda: _members((8,)) + _members((8,), cell="gru"), "member 1"),
        (lambda: _members((8,)) + _members((8,), quantiles=(0.2, 0.8)), "head or pooling"),
        (lambda: [torch.nn.LSTM(5, 8)], "SequenceRegressor"),
    ],
)
def test_what_cannot_be_fused_is_a_clear_error(members: object, match: str) -> None:
    with pytest.raises(ExportError, match=match) as info:
        fuse_members(members())  # type: ignore[operator]
    assert "\n" not in str(info.value)


def test_check_fused_raises_on_a_mismatch() -> None:
    members = _members((8, 8))
    fused = fuse_members(members)
    with torch.no_grad():
        fused.head.bias.add_(0.1)
    with pytest.raises(ExportError, match="differ from the ensemble"):
        check_fused(fused, lambda v: _mean(members, v), (torch.randn(3, 7, 5),))
