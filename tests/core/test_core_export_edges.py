"""carrousel.core.export at its edge, with the slips of a first export: one ExportError / ShapeError naming
the argument and the fix. Before: a bare tensor as ``example`` said "1 input names for 3 example inputs"
(its batch rows counted as inputs); a typo in ``exporter`` was enum's ValueError; dynamic axes under a
name that is no input were ignored, the file silently fixed to the example's sizes; ``OnnxModule`` given
too few inputs raised "zip() argument 2 is shorter than argument 1", and inputs of the wrong feature size
ONNX Runtime's multi-line InvalidArgument."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from carrousel.core.bundle import Bundle
from carrousel.core.errors import ExportError, ShapeError
from carrousel.core.export import ExportSpec, OnnxModule, export_bundle, export_onnx
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig

pytest.importorskip("onnxruntime")

DYN = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}


@pytest.fixture(scope="module")
def model() -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(8, 16), num_classes=2)).eval()


X, LENGTHS = torch.randn(3, 12, 8), torch.tensor([12, 7, 4])


def test_a_bare_tensor_as_example_names_the_tuple(model: SequenceClassifier) -> None:
    with pytest.raises(ExportError, match=r"^example must be a tuple of positional inputs, e.g\. \(x,\)"):
        export_onnx(model, X, ["x"], {"x": {0: "batch"}})  # type: ignore[arg-type]


def test_an_unknown_exporter_lists_the_choices(model: SequenceClassifier) -> None:
    with pytest.raises(ExportError, match=r"^unknown exporter 'onnx'; choose one of: torchscript, dynamo$"):
        export_onnx(model, (X, LENGTHS), ["x", "lengths"], DYN, exporter="onnx")


def test_export_bundle_refuses_an_unknown_exporter_or_precision_before_any_work(
    model: SequenceClassifier, tmp_path: Path
) -> None:
    """Before: enum's bare ValueError ("'onnx' is not a valid Exporter"), where export_onnx said this."""
    spec = ExportSpec(model, (X, LENGTHS), (X, LENGTHS), ("x", "lengths"), DYN)
    with pytest.raises(ExportError, match=r"^unknown exporter 'onnx'; choose one of: torchscript, dynamo$"):
        export_bundle(Bundle("test.classifier", model), tmp_path / "m", spec, exporter="onnx")
    with pytest.raises(ExportError, match=r"^unknown export precision 'int4'; choose one of: fp32, int8$"):
        export_bundle(Bundle("test.classifier", model), tmp_path / "m", spec, precision="int4")
    assert not (tmp_path / "m").exists()


def test_dynamic_axes_of_no_input_or_output_are_refused(model: SequenceClassifier) -> None:
    with pytest.raises(ExportError, match=r"^dynamic axes given for 'inp', which is not an input or output"):
        export_onnx(model, (X, LENGTHS), ["x", "lengths"], {"inp": {0: "batch"}})
    blob = export_onnx(model, (X, LENGTHS), ["x", "lengths"], {**DYN, "output": {0: "batch"}})
    assert OnnxModule(blob)(torch.randn(5, 20, 8), torch.tensor([20, 3, 9, 1, 15])).shape == (5, 2)


def test_onnx_module_given_wrong_inputs_says_what_it_takes(model: SequenceClassifier) -> None:
    runtime = OnnxModule(export_onnx(model, (X, LENGTHS), ["x", "lengths"], DYN))
    with pytest.raises(
        ShapeError, match=r"^this ONNX model takes 2 inputs \(x, lengths\), got 1: the lengths"
    ):
        runtime(X)
    with pytest.raises(ShapeError, match=r"^ONNX Runtime refused the inputs: .*index: 2 Got: 3 Expected: 8"):
        runtime(torch.randn(2, 5, 3), torch.tensor([5, 2]))


def test_onnx_module_names_the_fix_of_missing_lengths_and_a_missing_batch_axis(
    model: SequenceClassifier,
) -> None:
    """Left-out lengths said only "takes 2 inputs (x, lengths), got 1", a (time, features) input "input x
    must be (batch, time, 8), 3 axes, got shape (12, 8)": each now names its fix, as the eager encoder does."""
    runtime = OnnxModule(export_onnx(model, (X, LENGTHS), ["x", "lengths"], DYN))
    with pytest.raises(
        ShapeError, match=r"lengths are missing; pass each row's length, torch\.full\(\(3,\), 12\)"
    ):
        runtime(X)
    with pytest.raises(
        ShapeError, match=r"^input x must be \(batch, time, 8\), got shape \(12, 8\); .*x\.unsqueeze\(0\)$"
    ):
        runtime(X[0], LENGTHS[:1])


def test_onnx_module_returns_the_empty_output_of_an_empty_batch_as_eager_does(
    model: SequenceClassifier,
) -> None:
    """A batch of no rows was refused (ONNX Runtime aborts on it) where the eager network returns (0, 2)."""
    runtime = OnnxModule(export_onnx(model, (X, LENGTHS), ["x", "lengths"], DYN))
    x, lengths = torch.randn(0, 12, 8), torch.zeros(0, dtype=torch.long)
    eager = model(x, lengths)
    got = runtime(x, lengths)
    assert got.shape == eager.shape == (0, 2) and got.dtype == eager.dtype
    with pytest.raises(ShapeError):  # no time steps: eager refuses them too
        runtime(torch.randn(2, 0, 8), torch.tensor([1, 1]))


@pytest.mark.parametrize("dynamic", [None, True, "batch"])
def test_dynamic_that_is_no_mapping_says_what_it_takes(model: SequenceClassifier, dynamic: object) -> None:
    """Before: None or True was a bare TypeError ("'NoneType' object is not iterable"); a string named its
    first letter as an unknown input."""
    with pytest.raises(
        ExportError,
        match=rf"^dynamic={dynamic!r} is not a mapping of input names to their dynamic axes; give e\.g\. "
        r"\{'x': \{0: 'batch', 1: 'time'\}\}, or \{\} for none \(the file keeps the example's sizes\)$",
    ):
        export_onnx(model, (X, LENGTHS), ["x", "lengths"], dynamic)  # type: ignore[arg-type]


@pytest.mark.parametrize("axes", ["batch", [0, 1], {0: 1}, {True: "batch"}])
def test_dynamic_axes_of_the_wrong_kind_say_what_they_take(model: SequenceClassifier, axes: object) -> None:
    """Before: the exporter's own words ("dictionary update sequence element #0 has length 1; 2 is required")."""
    with pytest.raises(
        ExportError,
        match=r"^dynamic\['x'\]=.* is not a mapping of axis numbers to axis names; "
        r"give e\.g\. dynamic\['x'\]=\{0: 'batch', 1: 'time'\}$",
    ):
        export_onnx(model, (X, LENGTHS), ["x", "lengths"], {"x": axes})  # type: ignore[dict-item]


class _FailsEagerAtThreeRows(torch.nn.Module):
    """A linear layer whose eager forward raises on three rows: the check run of an export fails there."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing() and not torch.onnx.is_in_onnx_export() and x.shape[0] == 3:
            raise ValueError("three rows")
        return self.lin(x)  # type: ignore[no-any-return]


def test_an_export_whose_check_raises_leaves_a_training_module_training() -> None:
    """On main the check run switched the module to eval() and an exception left it there (dropout off,
    batch-norm statistics frozen for the rest of a training); it now goes through ``evaluating``."""
    net = _FailsEagerAtThreeRows().train()
    dyn = {"x": {0: "batch"}}
    with pytest.raises(ValueError, match="three rows"):
        export_onnx(
            net, (torch.randn(2, 4),), ["x"], dyn, output_names=["y"], check_inputs=(torch.randn(3, 4),)
        )
    assert net.training
    export_onnx(net, (torch.randn(2, 4),), ["x"], dyn, output_names=["y"], check_inputs=(torch.randn(5, 4),))
    assert net.training  # and after a check that passes, as before


def _id_classifier() -> tuple[SequenceClassifier, torch.Tensor, torch.Tensor, dict[str, dict[int, str]]]:
    """A seeded token-id classifier (50 ids), ids (3, 12), lengths (3,) and its dynamic axes."""
    torch.manual_seed(0)
    net = SequenceClassifier(
        SequenceClassifierConfig(RecurrentConfig(8, 16), num_classes=3, num_embeddings=50)
    ).eval()
    ids, lengths = torch.randint(1, 50, (3, 12)), torch.tensor([12, 7, 4])
    return net, ids, lengths, {"ids": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}


def test_onnx_module_refuses_negative_token_ids_the_eager_network_refuses() -> None:
    """An exported embedding's Gather reads id -3 as the third-last row: OnnxModule returned numbers for
    ids the eager classifier refuses (ShapeError), without a word. Now the same refusal, before the run."""
    net, ids, lengths, dyn = _id_classifier()
    onnx = OnnxModule(export_onnx(net, (ids, lengths), ["ids", "lengths"], dyn))
    bad = ids.clone()
    bad[0, 0] = -3
    with pytest.raises(ShapeError, match="token ids must lie in"):
        net(bad, lengths)
    with pytest.raises(ShapeError, match=r"input ids holds negative integers \(min -3\)"):
        onnx(bad, lengths)
    with torch.no_grad():
        torch.testing.assert_close(onnx(ids, lengths), net(ids, lengths), atol=1e-5, rtol=1e-5)


def test_run_onnx_and_the_export_check_refuse_negative_ids_as_onnx_module_does() -> None:
    """The negative-id check sat in ``OnnxModule.run`` above ``run_onnx``: ``run_onnx`` itself (public, and
    what ``verify_onnx`` runs) returned numbers for id -3 (the third-last embedding row), and an export
    whose check inputs held one failed on the eager network's own error. The check now sits in
    ``run_onnx``; the export check says it as an ExportError, not "does not run at other sizes"."""
    from carrousel.core.export import onnx_session, run_onnx

    net, ids, lengths, dyn = _id_classifier()
    blob = export_onnx(net, (ids, lengths), ["ids", "lengths"], dyn)
    bad = ids.clone()
    bad[1, 2] = -3
    refusal = r"input ids holds negative integers \(min -3\): an exported embedding reads id -k as the k-th "
    with pytest.raises(ShapeError, match="^" + refusal):
        run_onnx(onnx_session(blob), [bad, lengths])  # before: three rows of numbers
    with pytest.raises(ExportError, match="^" + refusal + r".*map them to valid ids \(0 = padding\)$"):
        export_onnx(net, (ids, lengths), ["ids", "lengths"], dyn, check_inputs=(bad, lengths))
    assert run_onnx(onnx_session(blob), [ids.numpy(), lengths.numpy()])[0].shape == (3, 3)
