"""A Callback whose hook has the wrong signature (``on_epoch_end(self, logs)``, a common slip from other
trainers) failed with Python's plain "takes 2 positional arguments but 4 were given" after an epoch's
training, naming neither the callback nor the signature it must take. ``fit`` now checks every overridden
hook with :func:`inspect.signature` before any work."""

from __future__ import annotations

from typing import Any

import pytest
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import ConfigError
from carrousel.core.train import Callback, TrainConfig, Trainer


class _OneArgument(Callback):
    def on_epoch_end(self, logs):  # type: ignore[no-untyped-def,override]  # the slip under test
        pass


class _Loose(Callback):
    def on_epoch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        self.seen = args

    def on_batch_end(self, trainer: Any, batch_idx: int, logs: Any, extra: int = 0) -> None:
        pass


def test_a_hook_of_the_wrong_signature_is_named_before_any_work() -> None:
    train = DataLoader(TensorDataset(*linear_data(32)), batch_size=16)
    cfg = TrainConfig(epochs=1, progress=False, device="cpu")
    trainer = Trainer(mlp(), RegressionTask(), cfg, callbacks=[_OneArgument()])
    with pytest.raises(
        ConfigError, match=r"^callback _OneArgument\.on_epoch_end cannot take the trainer's "
    ) as err:
        trainer.fit(train)
    assert str(err.value).endswith("; define it as def on_epoch_end(self, trainer, epoch, logs)")
    assert trainer.step == 0  # before: an epoch trained first


def test_hooks_taking_the_arguments_otherwise_still_run() -> None:
    train = DataLoader(TensorDataset(*linear_data(32)), batch_size=16)
    loose = _Loose()
    Trainer(mlp(), RegressionTask(), TrainConfig(epochs=1, progress=False, device="cpu"), [loose]).fit(train)
    assert loose.seen[0] == 0
