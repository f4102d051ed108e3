"""Floating inputs follow the model's floating dtype where the library converts them.

Before: ``predict`` turned every floating input into float32 and ``Trainer`` / ``find_lr`` kept the loader's
dtype, so a ``model.double()`` (a numerical check) failed deep in torch with "mat1 and mat2 must have the
same dtype", and so did a float32 model fed numpy's default float64. Now floating tensors take the model's
first floating parameter's dtype (integer ids, lengths and labels keep theirs); a float32 model sees exactly
the tensors it saw before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import (
    ClassificationTask,
    DictDataset,
    RegressionTask,
    SequenceClassifier,
    linear_data,
    mlp,
    temporal_order,
)

from carrousel.core import device
from carrousel.core.errors import ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.train import TrainConfig, Trainer, find_lr, predict


def _fit(model: nn.Module, x: Tensor, y: Tensor, epochs: int = 4) -> tuple[Trainer, list[float]]:
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    trainer = Trainer(
        model, RegressionTask(), TrainConfig(epochs=epochs, lr=1e-2, progress=False, device="cpu")
    )
    return trainer, [h["train_loss"] for h in trainer.fit(loader).history]


def test_predict_of_a_float64_model_keeps_float64_precision() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    x = np.random.default_rng(0).normal(size=(37, 4))
    with torch.no_grad():
        expected = model(torch.as_tensor(x)).numpy()
    out = predict(model, x, batch_size=5)  # was: RuntimeError mat1 and mat2 must have the same dtype
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)  # no float32 round trip
    as_float32 = predict(model, torch.as_tensor(x, dtype=torch.float32))
    with torch.no_grad():
        np.testing.assert_allclose(as_float32, model(torch.as_tensor(x).float().double()).numpy(), rtol=1e-12)


def test_predict_keeps_integer_inputs_for_a_float64_model() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(5, 3), nn.Flatten(), nn.Linear(6, 2)).double()
    ids = np.array([[0, 4], [2, 1], [3, 3]])
    with torch.no_grad():
        expected = model(torch.as_tensor(ids)).numpy()
    np.testing.assert_allclose(predict(model, ids, 2), expected, rtol=1e-12)
    one_hot = predict(
        model[2],
        ids,
        2,
        prepare=lambda c: nn.functional.one_hot(torch.as_tensor(c) % 3, 3).flatten(1).float(),
    )
    assert one_hot.shape == (3, 2)  # a prepare's float32 tensor takes the model's float64 too


def test_predict_of_a_float32_model_is_unchanged() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = np.random.default_rng(1).normal(size=(20, 4))

    def by_sevens(rows: np.ndarray) -> np.ndarray:  # batches of 7 as predict runs them: a GEMM's rounding
        with torch.no_grad():  # may depend on its batch size (1.2e-7 apart on some CPUs)
            chunks = [model(torch.as_tensor(rows[i : i + 7]).float()) for i in range(0, len(rows), 7)]
        return torch.cat(chunks).numpy()

    expected = by_sevens(x).astype(np.float64)
    np.testing.assert_array_equal(predict(model, x, 7), expected)
    np.testing.assert_array_equal(predict(model, x.astype(np.float32), 7), expected)
    half = predict(model, x.astype(np.float16), 7)  # float16 inputs: float32 too (before: a dtype error)
    np.testing.assert_array_equal(half, by_sevens(x.astype(np.float16)))


def test_trainer_fits_evaluates_and_predicts_a_float64_model_on_float32_batches() -> None:
    x, y = linear_data(64)
    model = mlp(dropout=0.0).double()
    trainer, losses = _fit(model, x, y)  # was: RuntimeError mat1 and mat2 must have the same dtype
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.dtype == torch.float64 for p in model.parameters())
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    assert trainer.evaluate(loader)["loss"] < losses[0]
    outputs = torch.cat(trainer.predict(loader))
    assert outputs.dtype == torch.float64
    with torch.no_grad():
        torch.testing.assert_close(outputs, model(x.double()), rtol=1e-12, atol=1e-14)


def test_trainer_on_a_float32_model_is_unchanged_and_takes_float64_batches() -> None:
    x, y = linear_data(64)
    _, reference = _fit(mlp(dropout=0.0), x, y)
    _, from_float64 = _fit(mlp(dropout=0.0), x.double(), y.double())  # was: a dtype error
    assert from_float64 == reference  # bit for bit: the float32 model sees the same float32 tensors


def test_trainer_keeps_integer_lengths_and_labels() -> None:
    x, lengths, labels = temporal_order(32, 6, 10, seed=3)
    data = DictDataset(x=x, lengths=lengths, y=labels)
    model = SequenceClassifier(6, 8, 4).double()
    trainer = Trainer(
        model, ClassificationTask(), TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")
    )
    result = trainer.fit(DataLoader(data, batch_size=8))
    assert np.isfinite(result.history[-1]["train_loss"])


def test_find_lr_runs_a_float64_model() -> None:
    x, y = linear_data(64)
    result = find_lr(
        mlp(dropout=0.0).double(),
        RegressionTask(),
        DataLoader(TensorDataset(x, y), batch_size=16),
        TrainConfig(progress=False, device="cpu"),
        num_steps=5,
    )
    assert len(result.raw_losses) == 5 and all(np.isfinite(result.raw_losses))


def test_move_to_converts_floating_tensors_only() -> None:
    batch: dict[str, Any] = {
        "x": torch.zeros(2, 3),
        "ids": torch.tensor([1, 2]),
        "mask": torch.tensor([True, False]),
        "packed": pack_padded_sequence(torch.zeros(2, 3, 1), torch.tensor([3, 1]), batch_first=True),
        "ids_packed": pack_padded_sequence(torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 1]), True),
    }
    moved = device.move_to(batch, torch.device("cpu"), dtype=torch.float64)
    assert moved["x"].dtype == torch.float64 and moved["packed"].data.dtype == torch.float64
    assert moved["ids"].dtype == torch.long and moved["mask"].dtype == torch.bool
    assert moved["ids_packed"].data.dtype == torch.long and moved["packed"].batch_sizes.dtype == torch.long
    assert device.move_to(batch, torch.device("cpu"))["x"] is batch["x"]  # no dtype: nothing converted


def test_floating_dtype_of_a_model() -> None:
    assert device.floating_dtype(nn.Linear(2, 2).double()) == torch.float64
    assert device.floating_dtype(nn.Sequential(nn.Embedding(3, 2).half(), nn.Linear(2, 2))) == torch.float16
    assert (
        device.floating_dtype(nn.ReLU()) == torch.float32
    )  # no parameters (an ONNX Runtime network): float32


def test_recurrent_encoder_names_both_dtypes_instead_of_converting() -> None:
    """A module called directly does not convert: one line naming both dtypes and the fixes."""
    encoder = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=4))
    with pytest.raises(
        ShapeError, match=r"input dtype torch.float64 does not match the encoder's torch.float32; "
    ):
        encoder(torch.zeros(2, 5, 3, dtype=torch.float64))
