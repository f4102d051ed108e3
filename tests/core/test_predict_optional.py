"""core's one batched-inference loop and the optional-dependency guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from carrousel.core.errors import CarrouselError, ConfigError, MissingExtraError, ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.optional import require
from carrousel.core.train import predict


def test_predict_equals_one_big_forward_and_restores_mode() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    x = np.random.default_rng(0).normal(size=(37, 4))
    out = predict(model, x, batch_size=5)
    assert out.shape == (37, 3) and out.dtype == np.float64
    model.eval()
    with torch.no_grad():
        full = model(torch.as_tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(out, full, rtol=1e-6, atol=1e-6)
    model.train()
    predict(model, x, batch_size=64)
    assert model.training  # restored


def test_predict_prepare_forward_and_empty() -> None:
    model = nn.Linear(3, 2)
    codes = np.array([0, 2, 1, 1], dtype=np.uint8)

    def prepare(chunk: np.ndarray | torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(torch.as_tensor(chunk).long(), 3).float()

    out = predict(model, codes, 3, prepare=prepare, forward=lambda m, x: m(x) * 2, out_dtype=np.float32)
    with torch.no_grad():
        expected = (model(prepare(codes)) * 2).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32
    empty = predict(model, codes[:0], 3, prepare=prepare, empty_shape=(2,))
    assert empty.shape == (0, 2)
    with pytest.raises(ConfigError, match="at least 1"):
        predict(model, codes, 0)


def test_predict_of_a_model_returning_a_tuple_names_forward() -> None:
    """A RecurrentEncoder (its EncoderOutput) or an nn.LSTM returns a tuple: was "'EncoderOutput' object has
    no attribute 'detach'" from inside the loop; ``forward=`` picks the tensor, as before."""
    encoder = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=4))
    x = np.zeros((5, 6, 3), dtype=np.float32)
    with pytest.raises(ShapeError, match=r"the model returned a EncoderOutput, not a tensor; pass forward="):
        predict(encoder, x)
    assert predict(encoder, x, forward=lambda m, b: m(b).last).shape == (5, 4)


def test_require_names_the_extra() -> None:
    assert require("json", "carrousel-core", "a test").dumps([1]) == "[1]"
    with pytest.raises(MissingExtraError) as info:
        require("no_such_module_xyz.sub", "carrousel-finance[yahoo]", "live Yahoo data (--source yahoo)")
    message = str(info.value)
    assert "pip install 'carrousel-finance[yahoo]'" in message
    assert "live Yahoo data" in message and "no_such_module_xyz" in message
    assert isinstance(info.value, CarrouselError | ImportError)


def test_cli_helper_without_its_extra_names_it() -> None:
    """``import carrousel.core.cli`` without typer/rich is one MissingExtraError naming ``[cli]`` (it was a
    bare ``ModuleNotFoundError: No module named 'typer'``)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['typer'] = None\n"
        "from carrousel.core.errors import MissingExtraError\n"
        "try:\n    import carrousel.core.cli\nexcept MissingExtraError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "typer" in out and "pip install 'carrousel-core[cli]'" in out
