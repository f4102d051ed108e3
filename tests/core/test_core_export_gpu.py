"""ONNX export of a model that lives on a GPU, and unit scores of one on MPS (no float64 there).

``export_onnx`` traced the model where it was: a CUDA model with CPU example inputs (how every export
script builds them) failed inside the exporter with a device mismatch, and ``verify_onnx`` ran the eager
model on the CPU check inputs. Now a CPU copy is exported (ONNX Runtime runs on the CPU) and the check
gives the eager model its inputs on its own device. ``unit_scores`` / ``prune_encoder_units`` turned a device's
weights to float64 before copying them to the CPU (raises on MPS); now they copy first. These need a GPU:
they skip without one (no GPU runs this suite here); the CPU test checks the user's model is not moved.
"""

from __future__ import annotations

import pytest
import torch

from carrousel.core.export import export_onnx, verify_onnx
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from carrousel.core.prune import prune_encoder_units, unit_scores

DYN = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}


def _regressor() -> SequenceRegressor:
    torch.manual_seed(0)
    cfg = RecurrentConfig(input_size=5, hidden_size=8, cell="lstm", bidirectional=True, num_layers=2)
    return SequenceRegressor(SequenceRegressorConfig(encoder=cfg, out_features=3)).eval()


def _inputs(b: int, t: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t
    return torch.randn(b, t, 5, generator=g), lengths


def _export_and_check(model: SequenceRegressor, device: torch.device) -> None:
    blob = export_onnx(model, _inputs(4, 9, 0), ["x", "lengths"], DYN, check_inputs=_inputs(7, 13, 1))
    assert next(model.parameters()).device == device  # the caller's model stays where it was
    x, lengths = _inputs(13, 23, 3)
    assert verify_onnx(blob, model, (x, lengths), ["x", "lengths"], atol=1e-4) < 1e-4
    assert verify_onnx(blob, model, (x.to(device), lengths.to(device)), ["x", "lengths"], atol=1e-4) < 1e-4


def test_export_leaves_a_cpu_model_where_it_is() -> None:
    _export_and_check(_regressor(), torch.device("cpu"))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_model_exports_from_cpu_inputs() -> None:
    _export_and_check(_regressor().cuda(), torch.device("cuda", torch.cuda.current_device()))


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_unit_scores_and_pruning_of_an_mps_encoder() -> None:
    model = _regressor()
    want = unit_scores(model.encoder)
    got = unit_scores(model.encoder.to("mps"))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    pruned, _ = prune_encoder_units(model.encoder, hidden=4)
    assert next(pruned.parameters()).device.type == "mps"
