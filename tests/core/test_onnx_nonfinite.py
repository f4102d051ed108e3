"""OnnxModule given NaN or infinite inputs at valid steps: ONNX Runtime's sigmoid/tanh clamp their argument,
so a NaN became a finite, plausible output (an all-NaN batch gave logits like 0.43, -0.86) where the eager
network returns NaN. The module now refuses such an input in one line; NaN in the padding past each
length, which the eager encoder ignores, still runs and matches eager."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from carrousel.core.errors import DataError, ShapeError
from carrousel.core.export import OnnxModule, export_onnx, quantize_int8
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from tests.core.test_core_export import DYN


def _model(cell: str) -> SequenceClassifier:
    torch.manual_seed(0)
    config = SequenceClassifierConfig(RecurrentConfig(4, 8, cell=cell, bidirectional=True), 3)
    return SequenceClassifier(config).eval()


@pytest.mark.parametrize(("cell", "exporter"), [("lstm", "torchscript"), ("gru", "dynamo")])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_value_at_a_valid_step_is_one_error(cell: str, exporter: str, bad: float) -> None:
    model = _model(cell)
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    blob = export_onnx(model, (x, lengths), ["x", "lengths"], DYN, exporter=exporter)
    x[1, 2, 3] = bad
    for graph in (blob, quantize_int8(blob)):
        with pytest.raises(DataError) as info:
            OnnxModule(graph)(x, lengths)
        text = str(info.value)
        assert "\n" not in text
        assert text.startswith("input x holds 1 NaN or infinite value at valid steps (first: row 1, step 2)")
        assert "torch.nan_to_num" in text


def test_without_lengths_every_step_is_checked() -> None:
    model = _model("lstm")
    x = torch.randn(2, 5, 4)
    blob = export_onnx(model, (x,), ["x"], {"x": {0: "batch", 1: "time"}})
    x[0, 4, 0] = float("nan")
    with pytest.raises(
        DataError, match=r"^input x holds 1 NaN or infinite value at valid steps \(first: row 0, step 4\)"
    ):
        OnnxModule(blob)(x)


def test_nan_in_the_padding_still_runs_as_eager() -> None:
    model = _model("lstm")
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    blob = export_onnx(model, (x, lengths), ["x", "lengths"], DYN)
    x[1, 4:] = float("nan")
    x[2, 2:] = float("inf")
    with torch.no_grad():
        eager = model(x, lengths)
    got = OnnxModule(blob)(x, lengths)
    assert torch.isfinite(got).all()
    assert torch.allclose(got, eager, atol=1e-5)


def test_an_input_of_another_rank_is_named_before_the_lengths() -> None:
    """A 2-D ``x`` was reported as 'lengths must be (batch,) = (5,), got shape (1,)': its first axes were
    read as (batch, time)."""
    model = _model("lstm")
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    blob = export_onnx(model, (x, lengths), ["x", "lengths"], DYN)
    with pytest.raises(ShapeError) as info:
        OnnxModule(blob)(torch.randn(5, 4), torch.tensor([5]))
    assert str(info.value) == (
        "input x must be (batch, time, 4), got shape (5, 4); for one sequence add the batch dimension: x.unsqueeze(0)"
    )


def test_an_array_input_is_told_the_numpy_fix() -> None:
    """``run`` takes NumPy arrays: a 2-D array was told ``x.unsqueeze(0)``, which an array has not; it is now
    told ``x[None]``, and a missing ``lengths`` beside an array ``np.full``. Tensors keep the torch fixes."""
    model = _model("lstm")
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    module = OnnxModule(export_onnx(model, (x, lengths), ["x", "lengths"], DYN))
    with pytest.raises(ShapeError) as info:
        module.run(np.zeros((5, 4), np.float32), np.array([5]))
    assert str(info.value) == (
        "input x must be (batch, time, 4), got shape (5, 4); for one sequence add the batch dimension: x[None]"
    )
    with pytest.raises(
        ShapeError, match=r"got shape \(4,\); for one step of one sequence: x\.reshape\(1, 1, -1\)$"
    ):
        module.run(np.zeros(4, np.float32), np.array([1]))
    with pytest.raises(
        ShapeError, match=r"pass each row's length, np\.full\(\(3,\), 6\) when no row is padded$"
    ):
        module.run(np.zeros((3, 6, 4), np.float32))
    with pytest.raises(
        ShapeError, match=r"pass each row's length, torch\.full\(\(3,\), 6\) when no row is padded$"
    ):
        module.run(x)


def test_array_lengths_and_values_are_told_the_numpy_fix() -> None:
    """Arrays given to ``run`` were told ``torch.full`` for a scalar length, ``x.transpose(0, 1)`` for lengths
    of the time axis and ``torch.nan_to_num`` for a NaN: each is now spelled for NumPy (``np.full``,
    ``x.swapaxes(0, 1)``, ``np.nan_to_num``); tensors keep the torch spelling."""
    model = _model("lstm")
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    module = OnnxModule(export_onnx(model, (x, lengths), ["x", "lengths"], DYN))
    arr = x.numpy()
    with pytest.raises(
        ShapeError, match=r"got shape \(\); give one length per row, e\.g\. np\.full\(\(3,\), n\)"
    ):
        module.run(arr, np.array(6))
    with pytest.raises(ShapeError, match=r"looks time-first: pass it batch-first, x\.swapaxes\(0, 1\)$"):
        module.run(arr, np.array([6] * 6))
    with pytest.raises(ShapeError, match=r"e\.g\. torch\.full\(\(3,\), n\)"):
        module.run(x, torch.tensor(6))
    bad = arr.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(DataError, match=r"replace them \(np\.nan_to_num\) or drop those rows$"):
        module.run(bad, lengths.numpy())


def test_array_lengths_are_checked_by_the_encoders_rule_in_numpy_words() -> None:
    """OnnxModule kept its own copy of the lengths shape check before calling the encoder's check_lengths;
    the rule now lives there only (check_lengths(numpy=...)), so fractional array lengths name NumPy's dtype
    (``float64``, was ``torch.float64``), and every other refusal is the eager encoder's message."""
    model = _model("lstm")
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    module = OnnxModule(export_onnx(model, (x, lengths), ["x", "lengths"], DYN))
    with pytest.raises(
        ShapeError, match=r"^lengths must be whole step counts, got \[6\.0, 4\.5, 2\.0\] \(float64\)"
    ):
        module.run(x.numpy(), np.array([6.0, 4.5, 2.0]))
    with pytest.raises(ShapeError, match=r"\(torch\.float64\); give integers$"):
        module.run(x, torch.tensor([6.0, 4.5, 2.0], dtype=torch.float64))
    for bad in ([6, 0, 2], [6, 7, 2], [6, -1, 2]):
        with pytest.raises(ShapeError) as eager:
            model(x, torch.tensor(bad))
        with pytest.raises(ShapeError) as onnx:
            module.run(x.numpy(), np.array(bad))
        assert str(onnx.value) == str(eager.value)
