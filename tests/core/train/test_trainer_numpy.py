"""NumPy batches: the Trainer (fit, evaluate, predict) and ``find_lr`` take loaders and iterables that yield
``numpy.ndarray`` s, or tuples, lists and dicts of them, as Lightning and Keras do. On main such a batch
reached the model as an array: ``TypeError: linear(): argument 'input' (position 1) must be Tensor, not
numpy.ndarray`` from deep inside the step."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from train_helpers import RegressionTask, linear_data, mlp, timeless

from carrousel.core.device import move_batch
from carrousel.core.train import Task, TrainConfig, Trainer
from tests.state_dicts import same_state

CFG = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")


def _tensor_batches() -> list[tuple[Tensor, Tensor]]:
    x, y = linear_data(64)
    return [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]


def _fit(batches: list[Any], task: Task | None = None) -> tuple[list[dict[str, float]], dict[str, Tensor]]:
    model = mlp(dropout=0.0)
    trainer = Trainer(model, task or RegressionTask(), CFG)
    history = trainer.fit(batches, batches).history
    return timeless(history), model.state_dict()


def test_numpy_tuples_train_exactly_as_the_tensors_they_hold() -> None:
    batches = _tensor_batches()
    want_history, want_weights = _fit(batches)
    as_numpy = [(x.numpy(), y.numpy()) for x, y in batches]
    history, weights = _fit(as_numpy)
    assert history == want_history
    assert same_state(weights, want_weights)


class DictTask(RegressionTask):
    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        assert batch["x"].dtype == torch.float32 and batch["id"].dtype == torch.int64
        return model(batch["x"])  # type: ignore[no-any-return]

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return nn.functional.mse_loss(outputs, batch["y"])


def test_dicts_of_float64_arrays_take_the_models_dtype_and_integer_ids_keep_theirs() -> None:
    batches = _tensor_batches()
    want_history, _ = _fit([{"x": x, "y": y, "id": torch.arange(len(x))} for x, y in batches], DictTask())
    as_numpy = [
        {"x": x.numpy().astype(np.float64), "y": y.numpy().astype(np.float64), "id": np.arange(len(x))}
        for x, y in batches
    ]
    history, _ = _fit(as_numpy, DictTask())
    assert history == want_history  # float32 values through float64 and back: the same numbers


def test_evaluate_and_predict_take_arrays() -> None:
    batches = _tensor_batches()
    arrays = [(x.numpy(), y.numpy()) for x, y in batches]  # a DataLoader would have converted them itself
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), CFG)
    assert trainer.evaluate(arrays) == trainer.evaluate(batches)
    outs = trainer.predict(arrays)
    assert all(torch.equal(a, b) for a, b in zip(outs, trainer.predict(batches), strict=True))


def test_move_batch_converts_awkward_arrays_and_leaves_text_alone() -> None:
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    ro = x.copy()
    ro.flags.writeable = False
    swapped = x.astype(">f8")
    text = np.array(["a", "b"])
    out = move_batch([x[::-1], ro, swapped, np.int32(7), text], torch.device("cpu"), torch.float32)
    assert torch.equal(out[0], torch.tensor(x[::-1].copy(), dtype=torch.float32))
    assert torch.equal(out[1], torch.tensor(x, dtype=torch.float32))
    assert torch.equal(out[2], torch.tensor(x, dtype=torch.float32))
    assert out[3].dtype == torch.int32 and out[3].item() == 7
    assert out[4] is text


def test_find_lr_takes_numpy_batches() -> None:
    from carrousel.core.train import find_lr

    batches = [(x.numpy(), y.numpy()) for x, y in _tensor_batches()]
    cfg = dataclasses.replace(CFG, epochs=1)
    result = find_lr(mlp(dropout=0.0), RegressionTask(), batches, cfg, num_steps=4)
    assert len(result.lrs) == 4
