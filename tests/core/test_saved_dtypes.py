"""A saved model loads back in the dtypes it was saved with (bundle and save_module alike).

Before: the loaders built the network in float32 and ``load_state_dict`` copied the weights into it, so a
``model.double()`` saved as a bundle came back float32 without a word (and a bf16 or fp16 one as float32
too); safetensors stores each tensor's dtype, and ``torch.load`` users get it back, so now the loaders do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.io import keep_saved_dtypes, load_module, save_module
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, SequenceRegressor, SequenceRegressorConfig
from carrousel.core.train import predict

CFG = SequenceRegressorConfig(RecurrentConfig(3, 8, bidirectional=True), out_features=2)


def _model(dtype: torch.dtype) -> SequenceRegressor:
    torch.manual_seed(0)
    return SequenceRegressor(CFG).to(dtype).eval()


def _dtypes(model: torch.nn.Module) -> set[torch.dtype]:
    return {t.dtype for t in model.state_dict().values() if t.is_floating_point()}


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16, torch.float32])
def test_a_bundle_loads_in_its_saved_dtype(tmp_path: Path, dtype: torch.dtype) -> None:
    model = _model(dtype)
    loaded = load_bundle(Bundle("test.dtype", model).save(tmp_path / "m"), kind="test.dtype").model
    assert _dtypes(loaded) == {dtype}  # was {torch.float32} for every dtype
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_save_module_loads_in_its_saved_dtype(tmp_path: Path, dtype: torch.dtype) -> None:
    model = _model(dtype)
    loaded = load_module(save_module(model, tmp_path / "m"))
    assert _dtypes(loaded) == {dtype}


def test_a_float64_bundle_predicts_in_float64(tmp_path: Path) -> None:
    model = _model(torch.float64)
    x = np.random.default_rng(0).normal(size=(6, 5, 3))
    expected = predict(model, x)
    loaded = load_bundle(Bundle("test.dtype", model).save(tmp_path / "m")).model
    out = predict(loaded, x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)  # no float32 round trip


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_a_half_precision_bundle_runs_on_the_cpu(tmp_path: Path, dtype: torch.dtype) -> None:
    loaded = load_bundle(Bundle("test.dtype", _model(dtype)).save(tmp_path / "m")).model
    out = predict(loaded, np.random.default_rng(0).normal(size=(4, 5, 3)).astype(np.float32))
    assert out.shape == (4, 2) and out.dtype == np.float64 and np.isfinite(out).all()


def test_mixed_dtypes_each_keep_their_own() -> None:
    torch.manual_seed(0)
    model = RecurrentEncoder(RecurrentConfig(3, 4))
    saved = {k: v.double() if "bias" in k else v for k, v in model.state_dict().items()}
    fresh = RecurrentEncoder(RecurrentConfig(3, 4))
    keep_saved_dtypes(fresh, saved)
    fresh.load_state_dict(saved)
    for key, value in fresh.state_dict().items():
        assert value.dtype == saved[key].dtype, key
