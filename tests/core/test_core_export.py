"""carrousel.core.export: the graph encoder against packing, ONNX round trips at other sizes (both
exporters), int8 within its tolerance, torch.export, the clear errors and the deployment bundle."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.errors import ExportError, ShapeError
from carrousel.core.export import (
    EXPORT_ASSET,
    ExportSpec,
    GraphEncoder,
    OnnxModule,
    export_bundle,
    export_onnx,
    export_program,
    exportable,
    load_runtime,
    quantize_int8,
    strip_export,
    verify_onnx,
)
from carrousel.core.nn import (
    RecurrentConfig,
    RecurrentEncoder,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
)

DYN = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}


def _inputs(b: int, t: int, i: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t
    return torch.randn(b, t, i, generator=g), lengths


def _encoder(enc: dict[str, object]) -> RecurrentEncoder:
    torch.manual_seed(0)
    return RecurrentEncoder(RecurrentConfig(input_size=5, hidden_size=8, **enc)).eval()  # type: ignore[arg-type]


def _regressor(pooling: str = "last", **enc: object) -> SequenceRegressor:
    torch.manual_seed(0)
    cfg = RecurrentConfig(input_size=5, hidden_size=8, **enc)  # type: ignore[arg-type]
    return SequenceRegressor(SequenceRegressorConfig(encoder=cfg, out_features=3, pooling=pooling)).eval()


@pytest.mark.parametrize(
    "enc",
    [
        {"cell": "lstm", "bidirectional": True, "num_layers": 2},
        {"cell": "gru"},
        {"cell": "lstm", "bidirectional": True, "num_layers": 3, "residual": True},
        {"cell": "rnn_tanh", "bidirectional": True},
        {"cell": "lstm", "num_layers": 2, "proj_size": 4},
    ],
)
def test_graph_encoder_matches_packing(enc: dict[str, object]) -> None:
    encoder = _encoder(enc)
    graph = GraphEncoder(encoder).eval()
    x, lengths = _inputs(6, 11, 5, 1)
    with torch.no_grad():
        want, got = encoder(x, lengths), graph(x, lengths)
        dense_want, dense_got = encoder(x), graph(x)
    torch.testing.assert_close(got.output, want.output, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(got.last, want.last, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(got.state.h, want.state.h, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(dense_got.output, dense_want.output, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(dense_got.last, dense_want.last, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize(
    ("exporter", "enc", "pooling"),
    [
        ("torchscript", {"cell": "lstm", "bidirectional": True, "num_layers": 2}, "last"),
        ("torchscript", {"cell": "gru", "bidirectional": True}, "mean"),
        ("torchscript", {"cell": "rnn_tanh"}, "max"),
        ("dynamo", {"cell": "lstm", "bidirectional": True}, "last"),
    ],
)
def test_onnx_matches_eager_at_other_sizes(exporter: str, enc: dict[str, object], pooling: str) -> None:
    model = _regressor(pooling, **enc)
    blob = export_onnx(model, _inputs(4, 9, 5, 0), ["x", "lengths"], DYN, exporter=exporter)
    for b, t, seed in ((1, 3, 2), (13, 23, 3), (64, 40, 4)):  # none is the example's (4, 9)
        x, lengths = _inputs(b, t, 5, seed)
        assert verify_onnx(blob, model, (x, lengths), ["x", "lengths"], atol=1e-4) < 1e-4


def test_classifier_with_mask_free_inputs_and_no_lengths() -> None:
    torch.manual_seed(0)
    cfg = SequenceClassifierConfig(RecurrentConfig(5, 8, cell="lstm", bidirectional=True), num_classes=4)
    model = SequenceClassifier(cfg).eval()
    blob = export_onnx(model, (torch.randn(2, 7, 5),), ["x"], {"x": {0: "batch", 1: "time"}})
    runtime = OnnxModule(blob, threads=1)
    x = torch.randn(9, 30, 5)
    with torch.no_grad():
        np.testing.assert_allclose(runtime(x).numpy(), model(x).numpy(), atol=1e-5)


def test_int8_within_tolerance_and_smaller() -> None:
    torch.manual_seed(0)
    cfg = RecurrentConfig(input_size=32, hidden_size=64, cell="lstm", bidirectional=True)
    model = SequenceRegressor(SequenceRegressorConfig(encoder=cfg, out_features=4, pooling="mean")).eval()
    blob = export_onnx(model, _inputs(4, 9, 32, 0), ["x", "lengths"], DYN)
    q = quantize_int8(blob)
    assert len(q) < 0.5 * len(blob)  # int8 weights: under half the float32 file
    x, lengths = _inputs(32, 50, 32, 5)
    with torch.no_grad():
        ref = model(x, lengths).numpy()
    got = OnnxModule(q, threads=1)(x, lengths).numpy()
    # stated tolerance: 5% of the output range (weights and activations rounded to 8 bits)
    assert np.abs(got - ref).max() <= 0.05 * np.abs(ref).max()
    assert np.corrcoef(got.ravel(), ref.ravel())[0, 1] > 0.99


def test_torch_export_program_at_other_sizes() -> None:
    model = _regressor("last", cell="lstm", bidirectional=True, num_layers=2)
    program = export_program(model, _inputs(4, 9, 5, 0), {0: {0: "batch", 1: "time"}, 1: {0: "batch"}})
    x, lengths = _inputs(11, 17, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x, lengths), model(x, lengths), atol=1e-5, rtol=1e-4)


def test_torch_export_program_is_quiet_as_export_onnx() -> None:
    """The core README's export block showed six torch warnings from ``export_program`` alone (FutureWarning
    ``_check_is_size``, UserWarning "tensor attributes ... _flat_weights ... were assigned during export"),
    none from ``export_onnx``, which already hid the exporters' noise."""
    model = _regressor("last", cell="lstm", bidirectional=True, num_layers=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_program(model, _inputs(4, 9, 5, 0), {0: {0: "batch", 1: "time"}, 1: {0: "batch"}})
    assert [str(w.message)[:60] for w in caught] == []


@pytest.mark.parametrize(
    ("enc", "words"),
    [
        ({"cell": "ln_lstm"}, "Python step loop"),
        ({"cell": "lstm", "zoneout": 0.1}, "zoneout"),
        ({"cell": "gru", "recurrent_dropout": 0.2}, "recurrent dropout"),
        ({"cell": "lstm", "backend": "loop"}, "backend='loop'"),
    ],
)
def test_clear_error_for_what_cannot_export(enc: dict[str, object], words: str) -> None:
    model = _regressor("last", **enc)
    with pytest.raises(ExportError, match=words) as info:
        exportable(model)
    assert "\n" not in str(info.value) and "cannot export encoder" in str(info.value)


def test_exporter_failures_are_one_line_export_errors() -> None:
    model = _regressor("last", cell="lstm", proj_size=4)
    with pytest.raises(ExportError, match="torchscript exporter cannot export SequenceRegressor") as info:
        export_onnx(model, _inputs(4, 9, 5, 0), ["x", "lengths"], DYN)
    assert "\n" not in str(info.value)
    rnn = _regressor("last", cell="rnn_tanh")  # dynamo fixes an RNN graph to the example's sizes
    with pytest.raises(ExportError, match="does not run at other sizes"):
        export_onnx(
            rnn,
            _inputs(4, 9, 5, 0),
            ["x", "lengths"],
            DYN,
            exporter="dynamo",
            check_inputs=_inputs(7, 13, 5, 1),
        )


class _TwoOutputs(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.log_softmax(x, -1), x.tanh()


def test_each_output_is_checked_by_its_own_tolerance_and_named() -> None:
    """``output_atol`` gives an output its own accepted difference; a failure names the output."""
    g = torch.Generator().manual_seed(0)
    model, x = _TwoOutputs(), torch.randn(3, 5, generator=g)
    blob = export_onnx(
        model, (torch.randn(2, 5, generator=g),), ["x"], {"x": {0: "rows"}}, output_names=("logp", "t")
    )
    assert verify_onnx(blob, model, (x,), ["x"], 1e-4, ("logp", "t")) <= 1e-4
    # an impossible tolerance (negative) fails on the first output checked against it, by name
    with pytest.raises(ExportError, match=r"in logp \(over -1\)"):
        verify_onnx(blob, model, (x,), ["x"], -1.0, ("logp", "t"))
    with pytest.raises(ExportError, match=r"in t \(over -1\)"):
        verify_onnx(blob, model, (x,), ["x"], -1.0, ("logp", "t"), output_atol={"logp": 1.0})


def test_export_bundle_round_trip(tmp_path: object) -> None:
    model = _regressor("last", cell="gru", bidirectional=True)
    spec = ExportSpec(model, _inputs(4, 9, 5, 0), _inputs(7, 15, 5, 1), ("x", "lengths"), DYN)
    folder, asset = export_bundle(Bundle("test.regressor", model), tmp_path / "m", spec, precision="fp32")  # type: ignore[operator]
    assert asset["file"] == "model.fp32.onnx" and asset["check_max_abs_diff"] < 1e-4
    loaded = load_bundle(folder, kind="test.regressor")
    assert isinstance(loaded.model, SequenceRegressor)  # the weights stay, as safetensors
    runtime = load_runtime(loaded, threads=1)
    assert runtime is not None and runtime.config == model.config
    x, lengths = _inputs(5, 12, 5, 9)
    with torch.no_grad():
        np.testing.assert_allclose(runtime(x, lengths).numpy(), model(x, lengths).numpy(), atol=1e-5)
    # re-exported as int8 from the exported bundle: the fp32 file is replaced, not kept beside it
    _, asset8 = export_bundle(loaded, tmp_path / "m8", spec, precision="int8")  # type: ignore[operator]
    again = load_bundle(tmp_path / "m8")  # type: ignore[operator]
    assert set(again.files) == {"model.int8.onnx"} and again.assets[EXPORT_ASSET]["precision"] == "int8"
    assert asset8["check_max_abs_diff"] < 0.5
    assert load_runtime(Bundle("test.regressor", model)) is None
    # strip_export: the eager bundle an exported one came from (what a domain's re-export starts from)
    eager = strip_export(again)
    assert load_runtime(eager) is None and not eager.files and EXPORT_ASSET not in eager.assets
    assert eager.model is again.model and eager.kind == again.kind and eager.data == again.data
    plain = strip_export(eager)  # a bundle that is not exported comes back as it is
    assert plain.files == {} and plain.assets == eager.assets and plain.model is eager.model


def test_torch_export_of_an_rnn_cell_names_the_fixed_axis() -> None:
    model = _regressor("last", cell="rnn_tanh")
    with pytest.raises(ExportError, match="fixed to the example's size") as info:
        export_program(model, _inputs(4, 9, 5, 0), {0: {0: "batch", 1: "time"}, 1: {0: "batch"}})
    assert "\n" not in str(info.value)


class States(torch.nn.Module):
    """An encoder whose outputs are its output, last vector and per-length states (what a seq2seq decoder
    starts from; batch on axis 0 and on axis 1): ``h`` again for a GRU's cell state, which it has not."""

    def __init__(self, encoder: RecurrentEncoder) -> None:
        super().__init__()
        self.encoder = GraphEncoder(encoder, cell_state=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.encoder(x, lengths)
        c = out.state.h if out.state.c is None else out.state.c
        return out.output, out.last, out.state.h, c


@pytest.mark.parametrize(
    "enc",
    [
        {"cell": "lstm", "bidirectional": True, "num_layers": 2},
        {"cell": "lstm", "bidirectional": True, "num_layers": 3, "residual": True},
        {"cell": "lstm"},
    ],
)
def test_cell_state_at_each_length_exports_with_torchscript(enc: dict[str, object]) -> None:
    """``cell_state=True``: h and c at each sequence's own length equal packing's, in eager and in ONNX
    Runtime at sizes other than the example's (the LSTM node's sequence_lens), fp32 and int8."""
    encoder = _encoder(enc)
    graph = States(encoder).eval()
    x, lengths = _inputs(6, 11, 5, 1)
    with torch.no_grad():
        want, got = encoder(x, lengths), graph(x, lengths)
    assert want.state.c is not None
    for g, w in zip(got, (want.output, want.last, want.state.h, want.state.c), strict=True):
        torch.testing.assert_close(g, w, atol=1e-6, rtol=1e-5)
    names = ["output", "last", "h", "c"]
    dyn = {**DYN, "output": {0: "batch", 1: "time"}, "h": {1: "batch"}, "c": {1: "batch"}}
    blob = export_onnx(graph, _inputs(4, 9, 5, 0), ["x", "lengths"], dyn, output_names=names)
    for b, t, seed in ((1, 3, 2), (13, 23, 3)):
        x, lengths = _inputs(b, t, 5, seed)
        lengths[0] = max(1, t - 2)  # every sequence shorter than the padded length
        assert verify_onnx(blob, graph, (x, lengths), ["x", "lengths"], atol=1e-5) < 1e-5
    c_int8 = OnnxModule(quantize_int8(blob), threads=1).run(x, lengths)[3]
    with torch.no_grad():
        c_ref = graph(x, lengths)[3].numpy()
    assert c_int8.shape == c_ref.shape and np.corrcoef(c_int8.ravel(), c_ref.ravel())[0, 1] > 0.99


def test_cell_state_with_the_dynamo_exporter_is_a_clear_error() -> None:
    torch.manual_seed(0)
    graph = States(RecurrentEncoder(RecurrentConfig(5, 8, cell="lstm", bidirectional=True))).eval()
    with pytest.raises(ExportError, match="only with the torchscript"):
        export_onnx(graph, _inputs(4, 9, 5, 0), ["x", "lengths"], DYN, exporter="dynamo")


def test_export_bundle_with_a_second_graph(tmp_path: object) -> None:
    """``ExportSpec.parts``: an encoder-state graph exported beside the main one, loaded by part name,
    replaced (not kept) on re-export; a bad part name or a missing part is a clear error."""
    from dataclasses import replace

    torch.manual_seed(0)
    model = _regressor("last", cell="lstm", bidirectional=True)
    states = States(model.encoder).eval()
    names = ("output", "last", "h", "c")
    dyn = {**DYN, "output": {0: "batch", 1: "time"}, "h": {1: "batch"}, "c": {1: "batch"}}
    part = ExportSpec(states, _inputs(4, 9, 5, 0), _inputs(7, 15, 5, 1), ("x", "lengths"), dyn, names)
    spec = ExportSpec(
        model, _inputs(4, 9, 5, 0), _inputs(7, 15, 5, 1), ("x", "lengths"), DYN, parts={"states": part}
    )
    folder, asset = export_bundle(Bundle("test.regressor", model), tmp_path / "m", spec, precision="fp32")  # type: ignore[operator]
    assert asset["parts"]["states"]["file"] == "states.fp32.onnx"
    loaded = load_bundle(folder, kind="test.regressor")
    runtime = load_runtime(loaded, threads=1, part="states")
    assert runtime is not None
    x, lengths = _inputs(5, 12, 5, 9)
    with torch.no_grad():
        np.testing.assert_allclose(runtime.run(x, lengths)[3], states(x, lengths)[3].numpy(), atol=1e-5)
    _, _ = export_bundle(loaded, tmp_path / "m8", replace(spec, parts={}), precision="int8")  # type: ignore[operator]
    assert set(load_bundle(tmp_path / "m8").files) == {"model.int8.onnx"}  # type: ignore[operator]
    with pytest.raises(ExportError, match="no 'states' graph"):
        load_runtime(load_bundle(tmp_path / "m8"), part="states")  # type: ignore[operator]
    with pytest.raises(ExportError, match="part name"):
        export_bundle(Bundle("test.regressor", model), tmp_path / "x", replace(spec, parts={"model": part}))  # type: ignore[operator]


def test_onnx_module_takes_lengths_as_eager_does() -> None:
    """int32 lengths and a plain list, which the eager model takes, reach the graph's int64 input (they
    used to fail in ONNX Runtime with INVALID_ARGUMENT, or with an AttributeError for the list)."""
    model = _regressor(cell="lstm", bidirectional=True)
    x, lengths = _inputs(4, 7, 5, seed=3)
    om = OnnxModule(export_onnx(model, (x, lengths), ["x", "lengths"], DYN))
    want = model(x, lengths)
    for given in (lengths.int(), lengths.tolist()):
        torch.testing.assert_close(om(x, given), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "lengths", [[9, 0, 3], [10, 4, 3], [9.0, 4.5, 3.0], [9, 4]], ids=["zero", "over", "float", "short"]
)
def test_onnx_module_refuses_the_lengths_eager_refuses(lengths: list[float]) -> None:
    """Lengths of 0 or over T came back as numbers from ONNX Runtime where the eager model raises."""
    model = _regressor("last", cell="gru", bidirectional=True)
    runtime = OnnxModule(export_onnx(model, _inputs(4, 9, 5, 0), ["x", "lengths"], DYN), threads=1)
    x, bad = torch.randn(3, 9, 5), torch.tensor(lengths)
    with torch.no_grad(), pytest.raises(ShapeError) as eager:
        model(x, bad)
    with pytest.raises(ShapeError) as onnx:
        runtime(x, bad)
    assert str(onnx.value) == str(eager.value)
    with pytest.raises(ShapeError, match=r"lengths must lie in \[1, 9\], got min 0 max 9"):
        runtime.run(x.numpy(), np.array([9, 0, 3]))  # the NumPy entry too
    assert runtime(x, torch.tensor([9, 1, 3])).shape == (3, 3)  # valid lengths still run
    whole = torch.tensor([9.0, 1.0, 3.0])  # whole floats are read as the integers they hold, as eager does
    torch.testing.assert_close(runtime(x, whole), model(x, whole), rtol=1e-4, atol=1e-5)
