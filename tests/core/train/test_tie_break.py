"""TrainConfig.tie_break: epochs whose monitored value ties exactly are told apart by another logged value.

Before: the first of them was kept, however much lower a later one's validation loss (speech's ``train``
kept epoch 1 of 3 when every epoch's validation CER was 1.0)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import ConfigError
from carrousel.core.metrics import MeanAbsoluteError
from carrousel.core.train import TrainConfig, Trainer


class FlatMetric(RegressionTask):
    """A metric that is 0 at every epoch (an error rate that has not moved yet): every epoch ties."""

    def metrics(self) -> dict[str, Any]:
        return {"flat": MeanAbsoluteError()}

    def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
        metrics["flat"].update(torch.zeros_like(outputs), torch.zeros_like(outputs))


def _fit(**changes: Any) -> tuple[Trainer, Any, DataLoader]:
    x, y = linear_data(256)
    xv, yv = linear_data(128, seed=2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(xv, yv), batch_size=64)
    cfg = TrainConfig(epochs=4, lr=3e-2, progress=False, device="cpu", monitor="val_flat", **changes)
    trainer = Trainer(mlp(dropout=0.0), FlatMetric(), cfg)
    return trainer, trainer.fit(train, val), val


def test_tied_epochs_keep_the_lowest_tie_break_value() -> None:
    trainer, result, val = _fit(tie_break="val_loss")
    flat = {h["val_flat"] for h in result.history}
    losses = [h["val_loss"] for h in result.history]
    assert flat == {0.0} and len(set(losses)) == 4  # every epoch ties on the monitor, not on the loss
    best = losses.index(min(losses)) + 1
    assert best > 1 and result.best_epoch == best  # before: 1
    assert result.best_score == 0.0
    assert trainer.evaluate(val)["loss"] == pytest.approx(min(losses), rel=1e-5)  # its weights restored


def test_without_tie_break_the_first_tied_epoch_stays() -> None:
    _, result, _ = _fit()
    assert result.best_epoch == 1


def test_a_tie_break_that_is_not_logged_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^tie_break 'val_nope' is not logged; pick one of \["):
        _fit(tie_break="val_nope")


def test_tie_break_survives_a_resume(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trainer, result, _ = _fit(tie_break="val_loss", checkpoint_dir=str(tmp_path))
    state = trainer.state_dict()
    assert state["best_tie"] == pytest.approx(min(h["val_loss"] for h in result.history))
    fresh = Trainer(mlp(dropout=0.0), FlatMetric(), dataclasses.replace(trainer.config))
    fresh.load_state_dict(state)
    assert fresh.best_tie == state["best_tie"] and fresh.best_epoch == result.best_epoch


def test_a_tie_break_where_higher_is_better_is_refused_before_training() -> None:
    """The lower tie_break value wins a tie, so one naming a task metric where higher is better
    (``tie_break="val_score"``, an accuracy) kept the worse of tied epochs without a word, where ``monitor``
    with the wrong mode is refused. Now one ConfigError naming the metric, before any step."""

    class Scored(FlatMetric):
        def metrics(self) -> dict[str, Any]:
            score = MeanAbsoluteError()
            score.higher_is_better = True  # as an accuracy's
            return {"flat": MeanAbsoluteError(), "score": score}

        def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
            super().update_metrics(metrics, outputs, batch)
            metrics["score"].update(outputs, batch[1])

    x, y = linear_data(64)
    train, val = (
        DataLoader(TensorDataset(x, y), batch_size=16),
        DataLoader(TensorDataset(x, y), batch_size=32),
    )
    cfg = TrainConfig(epochs=2, progress=False, device="cpu", monitor="val_flat", tie_break="val_score")
    trainer = Trainer(mlp(dropout=0.0), Scored(), cfg)
    with pytest.raises(
        ConfigError,
        match=r"^tie_break 'val_score' is MeanAbsoluteError, where higher is better, but the lower value wins "
        r"a tie and would keep the worse epoch; break ties on a value where lower is better, e\.g\. "
        r"tie_break='val_loss'$",
    ):
        trainer.fit(train, val)
    assert trainer.step == 0 and trainer.history == []
    ok = dataclasses.replace(cfg, tie_break="val_flat")  # lower is better there: trains as before
    assert Trainer(mlp(dropout=0.0), Scored(), ok).fit(train, val).steps == 8


def test_without_a_validation_loader_tie_break_follows_the_monitor_to_train_loss(caplog) -> None:  # type: ignore[no-untyped-def]
    """``monitor="val_loss"`` is ``train_loss`` when fit gets no validation loader; ``tie_break="val_loss"``
    stayed and failed after a whole epoch ("tie_break 'val_loss' is not logged"). Now both switch."""
    x, y = linear_data(64)
    train = DataLoader(TensorDataset(x, y), batch_size=16)
    cfg = TrainConfig(epochs=2, progress=False, device="cpu", tie_break="val_loss")
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg)
    with caplog.at_level("INFO", logger="carrousel.core.train.trainer"):
        result = trainer.fit(train)  # before: ConfigError after epoch 1
    assert result.monitor == "train_loss" and len(result.history) == 2
    assert trainer.best_tie == result.history[result.best_epoch - 1]["train_loss"]
    assert "no validation loader: monitoring train_loss, breaking ties on train_loss" in caplog.messages
    empty = DataLoader(TensorDataset(x[:0], y[:0]), batch_size=16)  # a loader yielding no batch: the same
    assert Trainer(mlp(dropout=0.0), RegressionTask(), cfg).fit(train, empty).monitor == "train_loss"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"monitor": "val_flat"},
            r"^monitor 'val_flat' needs a validation loader and fit got none \(without one only train_loss is "
            r"logged, no task metric\); pass fit\(val_loader=\.\.\.\) or set "
            r"TrainConfig\(monitor='train_loss', mode='min'\)$",
        ),
        (
            {"tie_break": "val_flat"},
            r"^tie_break 'val_flat' needs a validation loader and fit got none \(without one only train_loss "
            r"is logged, no task metric\); pass fit\(val_loader=\.\.\.\) or set TrainConfig\(tie_break=None\)$",
        ),
    ],
)
def test_a_val_metric_without_a_validation_loader_is_refused_before_any_step(
    changes: dict[str, str], message: str
) -> None:
    """A ``val_<metric>`` has no ``train_`` twin to switch to (training logs its loss only): monitor switched
    to ``train_flat`` and failed after a whole epoch ("not logged"), tie_break stayed and failed alike."""
    x, y = linear_data(64)
    cfg = TrainConfig(epochs=2, progress=False, device="cpu", **changes)  # type: ignore[arg-type]
    trainer = Trainer(mlp(dropout=0.0), FlatMetric(), cfg)
    with pytest.raises(ConfigError, match=message):
        trainer.fit(DataLoader(TensorDataset(x, y), batch_size=16))
    assert trainer.step == 0 and trainer.history == []
