"""Trainer: the fit/evaluate/predict contract, clipping, non-finite guard, accumulation, precision."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import ConfigError, NonFiniteLossError
from carrousel.core.train import Callback, FitResult, ProgressBar, TrainConfig, Trainer

QUIET = TrainConfig(epochs=4, lr=3e-2, progress=False, device="cpu")


def loaders(batch_size: int = 32, shuffle: bool = True) -> tuple[DataLoader, DataLoader]:
    x, y = linear_data(256)
    xv, yv = linear_data(128, seed=2)
    return (
        DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle),
        DataLoader(TensorDataset(xv, yv), batch_size=64),
    )


def test_fit_evaluate_predict_contract(device: torch.device) -> None:
    train, val = loaders()
    model = mlp(dropout=0.0)
    trainer = Trainer(model, RegressionTask(), dataclasses.replace(QUIET, device=str(device)))
    before = trainer.evaluate(val)["loss"]
    result = trainer.fit(train, val)
    assert isinstance(result, FitResult)
    assert len(result.history) == 4
    row = result.history[-1]
    for key in ("epoch", "train_loss", "val_loss", "grad_norm", "lr", "epoch_time"):
        assert key in row
    after = trainer.evaluate(val)
    assert set(after) == {"loss"}
    assert after["loss"] < 0.2 * before  # a linear map is easy: the loss must fall a lot
    assert result.best_epoch is not None and result.best_score == min(h["val_loss"] for h in result.history)
    preds = trainer.predict(val)
    assert len(preds) == 2 and preds[0].shape == (64, 1) and preds[0].device.type == "cpu"
    assert not preds[0].requires_grad


def test_metrics_logged_with_val_prefix() -> None:
    class WithMetric(RegressionTask):
        def metrics(self) -> dict[str, Any]:
            from carrousel.core.metrics import MeanAbsoluteError

            return {"mae": MeanAbsoluteError()}

        def update_metrics(self, metrics: dict[str, Any], outputs: Tensor, batch: Any) -> None:
            metrics["mae"].update(outputs, batch[1])

    train, val = loaders()
    trainer = Trainer(mlp(dropout=0.0), WithMetric(), dataclasses.replace(QUIET, epochs=2))
    result = trainer.fit(train, val)
    assert "val_mae" in result.history[-1]
    _, y = val.dataset.tensors  # type: ignore[attr-defined]
    pred = torch.cat(trainer.predict(val))
    assert trainer.evaluate(val)["mae"] == pytest.approx(float((pred - y).abs().mean()), rel=1e-5)


def test_restore_best_and_early_stopping() -> None:
    train, val = loaders()
    # lr so high the loss blows up after the first epochs: the best epoch is early, then early stop
    cfg = dataclasses.replace(
        QUIET, epochs=30, lr=0.5, optimizer="sgd", momentum=0.9, grad_clip_norm=None, patience=2
    )
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg)
    result = trainer.fit(train, val)
    assert result.stopped_early and len(result.history) < 30
    assert (
        result.best_epoch is not None and len(result.history) - result.best_epoch == 2
    )  # stopped after `patience` epochs without progress
    assert trainer.evaluate(val)["loss"] == pytest.approx(
        result.best_score, rel=1e-6
    )  # best weights restored


def test_monitor_any_logged_metric_in_max_mode() -> None:
    train, _ = loaders()
    cfg = dataclasses.replace(QUIET, epochs=3, monitor="lr", mode="max", scheduler="step", step_size=1)
    result = Trainer(mlp(), RegressionTask(), cfg).fit(train)
    assert result.best_epoch == 1  # the step schedule lowers lr every epoch: epoch 1 had the largest


def test_unknown_monitor_is_a_clear_error() -> None:
    train, _ = loaders()
    with pytest.raises(ConfigError, match="val_f1"):
        Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, monitor="val_f1", epochs=1)).fit(
            train, loaders()[1]
        )


@pytest.mark.parametrize("scheduler", ["step", "cosine", "onecycle", "plateau"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_schedulers_and_optimizers_by_name(scheduler: str, optimizer: str) -> None:
    train, val = loaders()
    cfg = dataclasses.replace(QUIET, epochs=3, scheduler=scheduler, optimizer=optimizer, lr=0.05, step_size=1)
    result = Trainer(mlp(dropout=0.0), RegressionTask(), cfg).fit(train, val)
    assert result.history[-1]["val_loss"] < result.history[0]["val_loss"]
    lrs = [h["lr"] for h in result.history]
    if scheduler in ("step", "cosine", "onecycle"):
        assert lrs[-1] < 0.05 * 0.5


def test_bad_names_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(ConfigError, match="scheduler"):
        TrainConfig(scheduler="warm")


@pytest.mark.parametrize("rows", [128, 120])
def test_gradient_accumulation_matches_large_batch(rows: int) -> None:
    """Batches of 32 against micro-batches of 8 at accumulate 4. At 120 rows the last window holds 3
    micro-batches: its gradients were each divided by 4 and stepped on as they were, 3/4 of its mean, a
    smaller SGD step than the large batch's, without a word (max weight difference 0.058 in a scratch run of
    2 epochs at lr 0.1); now divided by its own count, the weights equal the large batch's."""
    x, y = linear_data(rows)
    cfg = dataclasses.replace(QUIET, epochs=2, optimizer="sgd", momentum=0.0, grad_clip_norm=None, lr=0.05)
    big, small = mlp(dropout=0.0), mlp(dropout=0.0)
    Trainer(big, RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=32))
    Trainer(small, RegressionTask(), dataclasses.replace(cfg, accumulate=4)).fit(
        DataLoader(TensorDataset(x, y), batch_size=8)
    )
    for a, b in zip(big.parameters(), small.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_clip_by_norm_logs_pre_clip_norm_and_limits_update() -> None:
    x, y = linear_data(64)
    y = y * 1000  # huge gradients
    loader = DataLoader(TensorDataset(x, y), batch_size=64)
    model = mlp(dropout=0.0)
    start = [p.detach().clone() for p in model.parameters()]
    cfg = dataclasses.replace(QUIET, epochs=1, optimizer="sgd", momentum=0.0, lr=1.0, grad_clip_norm=0.5)
    result = Trainer(model, RegressionTask(), cfg).fit(loader)
    assert result.history[0]["grad_norm"] > 100  # the logged norm is the one before clipping
    moved = torch.sqrt(
        sum(((p.detach() - s) ** 2).sum() for p, s in zip(model.parameters(), start, strict=True))
    )
    assert float(moved.detach()) == pytest.approx(0.5, rel=1e-4)  # lr 1 x clipped norm 0.5


def test_clip_by_value() -> None:
    x, y = linear_data(64)
    model = mlp(dropout=0.0)
    start = [p.detach().clone() for p in model.parameters()]
    cfg = dataclasses.replace(
        QUIET, epochs=1, optimizer="sgd", momentum=0.0, lr=1.0, grad_clip_norm=None, grad_clip_value=1e-3
    )
    Trainer(model, RegressionTask(), cfg).fit(DataLoader(TensorDataset(x, y * 100), batch_size=64))
    step = max(float((p.detach() - s).abs().max()) for p, s in zip(model.parameters(), start, strict=True))
    assert step == pytest.approx(1e-3, rel=1e-4)


class PoisonTask(RegressionTask):
    """Returns a NaN loss on the batches listed."""

    def __init__(self, bad: set[int]) -> None:
        self.bad, self.calls = bad, 0

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        loss = super().loss(outputs, batch)
        self.calls += 1
        return loss * float("nan") if self.calls - 1 in self.bad else loss


def test_nonfinite_skip_keeps_weights_finite() -> None:
    x, y = linear_data(64)
    model = mlp(dropout=0.0)
    cfg = dataclasses.replace(QUIET, epochs=1)
    result = Trainer(model, PoisonTask({1}), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=16))
    assert result.skipped_steps == 1 and result.steps == 4
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert math.isfinite(result.history[0]["train_loss"])


def test_a_run_of_skipped_steps_logs_three_lines_and_counts_them_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: one warning per skipped step (a diverged run printed dozens of lines); now the first three,
    the third saying the rest are counted, and the history still counts every one."""
    x, y = linear_data(64)
    cfg = dataclasses.replace(QUIET, epochs=2)
    with caplog.at_level("WARNING", logger="carrousel.core.train.trainer"):
        result = Trainer(mlp(dropout=0.0), PoisonTask(set(range(1, 8))), cfg).fit(
            DataLoader(TensorDataset(x, y), batch_size=16)
        )
    lines = [r.getMessage() for r in caplog.records if "skipped step" in r.getMessage()]
    assert result.skipped_steps == 7 and len(lines) == 3, lines
    assert lines[-1].endswith("; later skips are counted (skipped_steps), not logged")


def test_nonfinite_stop_raises_clear_error() -> None:
    x, y = linear_data(64)
    cfg = dataclasses.replace(QUIET, epochs=1, nonfinite="stop")
    with pytest.raises(NonFiniteLossError, match=r"loss is nan at epoch 1, step 2.*learning rate"):
        Trainer(mlp(), PoisonTask({2}), cfg).fit(DataLoader(TensorDataset(x, y), batch_size=16))


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains(precision: str, device: torch.device) -> None:
    train, val = loaders()
    cfg = dataclasses.replace(QUIET, epochs=3, precision=precision, device=str(device))  # type: ignore[arg-type]
    if precision == "fp16" and device.type == "cpu":  # it trained under bf16 autocast here, without a word
        with pytest.raises(ConfigError, match="precision='fp16' needs a CUDA or MPS device"):
            Trainer(mlp(dropout=0.0), RegressionTask(), cfg)
        return
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg)
    assert (trainer.scaler is not None) == (precision == "fp16" and device.type in ("cuda", "mps"))
    result = trainer.fit(train, val)
    assert result.history[-1]["val_loss"] < 0.5 * result.history[0]["val_loss"]


def test_max_steps_stops_training() -> None:
    train, _ = loaders()
    result = Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, max_steps=5)).fit(train)
    assert result.steps == 5 and len(result.history) == 1


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_fit_start(self, trainer: Trainer) -> None:
        self.events.append("fit_start")

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        self.events.append(f"epoch_start{epoch}")

    def on_batch_start(self, trainer: Trainer, batch_idx: int, batch: Any) -> None:
        self.events.append("batch_start")

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        assert {"loss", "lr", "grad_norm", "batch_size"} <= set(logs)
        self.events.append("batch_end")

    def on_validation_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        assert "val_loss" in logs
        self.events.append("validation_end")

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.events.append(f"epoch_end{epoch}")
        if epoch == 1:
            trainer.should_stop = True

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        self.events.append("fit_end")


def test_callback_hooks_order_and_stop() -> None:
    x, y = linear_data(64)
    train = DataLoader(TensorDataset(x, y), batch_size=32)
    rec = Recorder()
    result = Trainer(mlp(), RegressionTask(), dataclasses.replace(QUIET, epochs=5), callbacks=[rec]).fit(
        train, train
    )
    one_epoch = ["batch_start", "batch_end"] * 2 + ["validation_end"]
    assert rec.events == [
        "fit_start",
        "epoch_start0",
        *one_epoch,
        "epoch_end0",
        "epoch_start1",
        *one_epoch,
        "epoch_end1",
        "fit_end",
    ]
    assert result.stopped_early and len(result.history) == 2


def test_history_csv_json_and_progress_bar(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    train, val = loaders()
    cfg = dataclasses.replace(QUIET, epochs=2, progress=True, log_dir=str(tmp_path))
    trainer = Trainer(mlp(), RegressionTask(), cfg)
    result = trainer.fit(train, val)
    rows = json.loads((tmp_path / "history.json").read_text())
    assert rows == result.history
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0].split(",")[:2] == ["epoch", "train_loss"] and len(lines) == 3
    assert "epoch 1/2" in capsys.readouterr().err  # the tqdm bar went to stderr
    bar = next(cb for cb in trainer.callbacks.callbacks if isinstance(cb, ProgressBar))
    assert float(bar.last_postfix["samples_s"]) > 0 and float(bar.last_postfix["loss"]) > 0


def test_an_empty_training_loader_is_a_data_error() -> None:
    """It used to 'train' every epoch with train_loss NaN and no error."""
    from carrousel.core.errors import DataError

    with pytest.raises(DataError, match="yielded no batches"):
        Trainer(mlp(), RegressionTask(), TrainConfig(epochs=2, progress=False, device="cpu")).fit([])


def test_an_empty_validation_loader_is_a_warning_and_the_training_loss_is_monitored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    train = DataLoader(TensorDataset(*linear_data(64)), batch_size=16)
    with caplog.at_level("WARNING", logger="carrousel.core.train.trainer"):
        result = Trainer(mlp(), RegressionTask(), TrainConfig(epochs=1, progress=False, device="cpu")).fit(
            train, []
        )
    assert "validation loader yields no batches" in caplog.text
    assert "val_loss" not in result.history[-1] and "train_loss" in result.history[-1]
