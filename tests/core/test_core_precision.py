"""Reduced-precision inference (carrousel.core.export.reduced_precision and core's predict): bf16 close to
float32 on a small recurrent model, finite, float32 outputs, the same numbers through the wrapper and
through ``predict(precision=...)``, a float32 rerun of non-finite batches, and one-line errors for what a
device cannot run."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from torch import nn

from carrousel.core.device import inference_dtype
from carrousel.core.errors import ConfigError
from carrousel.core.export import InferencePrecision, ReducedPrecision, reduced_precision
from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig
from carrousel.core.train import predict

BF16_REL_TOL = 2e-2  # bfloat16 keeps 8 bits of mantissa: largest |bf16 - fp32| within 2 % of the output range


def _model(cell: str = "lstm") -> SequenceRegressor:
    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(encoder=RecurrentConfig(8, 32, cell=cell, num_layers=2), out_features=3)
    return SequenceRegressor(cfg).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_bf16_close_to_fp32_with_lengths(cell: str) -> None:
    model = _model(cell)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 30, 8, generator=g)
    lengths = torch.randint(5, 31, (16,), generator=g)
    runner = reduced_precision(model, "bf16")
    assert isinstance(runner, ReducedPrecision) and runner.module is model  # the same weights, no copy
    with torch.no_grad():
        ref, got = model(x, lengths), runner(x, lengths)
    assert got.dtype is torch.float32 and bool(torch.isfinite(got).all())
    err = float((got - ref).abs().max()) / float(ref.abs().max())
    assert 0 < err < BF16_REL_TOL  # bf16 really ran (not bitwise float32) and stayed close


def test_predict_precision_is_the_wrapper() -> None:
    """``predict(precision="bf16")`` and ``predict(reduced_precision(...))`` run the same computation."""
    model = _model()
    x = np.random.default_rng(2).standard_normal((40, 12, 8)).astype(np.float32)
    via_predict = predict(model, x, 16, precision="bf16")
    via_wrapper = predict(reduced_precision(model, InferencePrecision.BF16), x, 16)
    fp32 = predict(model, x, 16)
    np.testing.assert_array_equal(via_predict, via_wrapper)
    assert np.isfinite(via_predict).all()
    assert np.abs(via_predict - fp32).max() < BF16_REL_TOL * np.abs(fp32).max()
    assert reduced_precision(model, "fp32") is model


class _Fragile(nn.Linear):
    """A layer whose reduced-precision output is NaN (stands in for a bf16/fp16 overflow)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        return y if y.dtype is torch.float32 else y * float("nan")


def test_non_finite_batches_rerun_in_fp32(caplog: pytest.LogCaptureFixture) -> None:
    torch.manual_seed(0)
    layer = _Fragile(4, 2).eval()
    x = torch.randn(6, 4)
    with caplog.at_level(logging.WARNING, logger="carrousel.core.device"):
        got = reduced_precision(layer, "bf16")(x)
        out = predict(layer, x.numpy(), 4, precision="bf16")
    with torch.no_grad():
        ref = layer(x)
    torch.testing.assert_close(got, ref, rtol=0, atol=0)
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-6)
    assert "run again in float32" in caplog.text


def test_unsupported_combinations_are_one_line_errors() -> None:
    model, cpu = _model(), torch.device("cpu")
    cases = [
        (lambda: reduced_precision(model, "fp16"), "fp16' needs a CUDA or MPS device"),
        (lambda: predict(model, np.zeros((2, 3, 8), np.float32), precision="fp16"), "fp16' needs a CUDA"),
        (lambda: reduced_precision(model, "int4"), "unknown precision 'int4'"),
        (lambda: inference_dtype("fp8", cpu), "unknown precision 'fp8'"),
        (lambda: reduced_precision(nn.Identity(), "bf16"), "exported \\(ONNX\\) model runs its own"),
        (lambda: predict(nn.Identity(), np.zeros((2, 3)), precision="bf16"), "use precision='fp32'"),
    ]
    for call, message in cases:
        with pytest.raises(ConfigError, match=message) as info:
            call()
        assert "\n" not in str(info.value)
    assert inference_dtype("bf16", cpu) is torch.bfloat16 and inference_dtype("fp32", cpu) is None


def test_named_tuple_outputs_come_back_float32_with_their_type() -> None:
    from carrousel.core.device import run_in_precision
    from carrousel.core.nn import RecurrentEncoder, State

    torch.manual_seed(0)
    enc = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=8, cell="lstm")).eval()
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        ref = enc(x).state
        out = run_in_precision(lambda: enc(x).state, torch.device("cpu"), torch.bfloat16)
    assert isinstance(out, State)  # a recurrent state can be carried to the next call as it is
    assert out.h.dtype == torch.float32 and out.c is not None and out.c.dtype == torch.float32
    assert torch.allclose(out.h, ref.h, atol=0.05)
