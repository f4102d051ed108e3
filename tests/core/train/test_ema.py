"""Weight averaging (TrainConfig.ema_decay): the EMA math, off == no averaging, validation and the fitted
model on the average, exact resume, device/dtype and buffers."""

from __future__ import annotations

import dataclasses
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core.errors import ConfigError
from carrousel.core.train import Callback, TrainConfig, Trainer, WeightAverage, find_latest, load_checkpoint
from tests.state_dicts import same_state, state_copy

CFG = TrainConfig(epochs=3, lr=3e-2, optimizer="sgd", progress=False, device="cpu")


def loaders() -> tuple[DataLoader, DataLoader]:
    x, y = linear_data(96)
    xv, yv = linear_data(64, seed=2)
    return (
        DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
        DataLoader(TensorDataset(xv, yv), batch_size=32),
    )


class _Recorder(Callback):
    """Records the raw weights after every step and, per epoch, the raw and averaged states and the logged
    validation loss beside the one recomputed on the averaged weights."""

    def __init__(self) -> None:
        self.steps: list[dict[str, torch.Tensor]] = []
        self.raw: list[dict[str, torch.Tensor]] = []
        self.averaged: list[dict[str, torch.Tensor]] = []
        self.val_loss: list[tuple[float, float]] = []  # (logged, recomputed on the average)
        self.val: Any = None

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        self.steps.append({k: v.detach().clone() for k, v in trainer.model.named_parameters()})

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.raw.append(state_copy(trainer.model))
        if trainer.ema is not None:
            state = trainer.ema.averaged_state(trainer.model)
            self.averaged.append(state)
            copy = deepcopy(trainer.model)  # not mlp(): it reseeds torch and would change the batch order
            copy.load_state_dict(state)
            with torch.no_grad():
                x, y = self.val.dataset.tensors
                loss = float(nn.functional.mse_loss(copy(x), y))
            self.val_loss.append((logs["val_loss"], loss))


def test_average_matches_a_hand_computed_ema() -> None:
    """d 0.5 over weights 1, 2, 3: e = 0.5, 1.25, 2.125; bias-corrected e / (1 - 0.5**t) = 1, 5/3, 17/7."""
    model = nn.Linear(1, 1, bias=False)
    ema = WeightAverage(0.5)
    ema.reset(model)
    expected = [1.0, 5 / 3, 17 / 7]
    for value, want in zip([1.0, 2.0, 3.0], expected, strict=True):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update(model)
        assert ema.shadow is not None
        assert ema.shadow["weight"].item() == pytest.approx(want, rel=1e-6)
    assert model.weight.item() == 3.0  # the raw weights are not touched
    with ema.swapped(model):
        assert model.weight.item() == pytest.approx(17 / 7, rel=1e-6)
    assert model.weight.item() == 3.0


def test_trainer_average_equals_the_reference_over_every_step() -> None:
    train, val = loaders()
    rec = _Recorder()
    rec.val = val
    cfg = dataclasses.replace(CFG, ema_decay=0.9, restore_best=False)
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg, callbacks=[rec])
    trainer.fit(train, val)
    d, ref = 0.9, {k: torch.zeros_like(v) for k, v in rec.steps[0].items()}
    for weights in rec.steps:  # e_t = d e_(t-1) + (1 - d) w_t, e_0 = 0
        ref = {k: d * ref[k] + (1 - d) * weights[k] for k in ref}
    want = {k: v / (1 - d ** len(rec.steps)) for k, v in ref.items()}
    assert trainer.ema is not None and trainer.ema.updates == len(rec.steps) == 18
    for k, v in want.items():
        torch.testing.assert_close(trainer.ema.shadow[k], v, rtol=1e-5, atol=1e-6)  # type: ignore[index]
        torch.testing.assert_close(
            dict(trainer.model.named_parameters())[k].detach(), v, rtol=1e-5, atol=1e-6
        )
    assert not torch.equal(rec.steps[-1]["0.weight"], want["0.weight"])  # the average is not the last step


def test_off_is_exactly_no_averaging_and_raw_training_is_unchanged() -> None:
    train, val = loaders()
    runs = {}
    for decay in (None, 0.0, 0.9):
        rec = _Recorder()
        rec.val = val
        cfg = CFG if decay is None else dataclasses.replace(CFG, ema_decay=decay)
        model = mlp(dropout=0.0)
        trainer = Trainer(model, RegressionTask(), cfg, callbacks=[rec])
        result = trainer.fit(train, val)
        runs[decay] = (rec, model.state_dict(), result, trainer)
    assert runs[0.0][3].ema is None and runs[None][3].ema is None
    assert same_state(runs[None][1], runs[0.0][1])  # off: today's weights, bit for bit
    assert [h["val_loss"] for h in runs[None][2].history] == [h["val_loss"] for h in runs[0.0][2].history]
    for a, b in zip(runs[None][0].raw, runs[0.9][0].raw, strict=True):  # the optimiser's weights: unchanged
        assert same_state(a, b)
    assert not same_state(runs[None][1], runs[0.9][1])


def test_validation_best_model_and_fitted_model_use_the_average() -> None:
    train, val = loaders()
    rec = _Recorder()
    rec.val = val
    model = mlp(dropout=0.0)
    result = Trainer(model, RegressionTask(), dataclasses.replace(CFG, ema_decay=0.8), callbacks=[rec]).fit(
        train, val
    )
    for logged, recomputed in rec.val_loss:
        assert logged == pytest.approx(recomputed, rel=1e-5)
    raw_losses = []
    for raw in rec.raw:
        copy = deepcopy(model)
        copy.load_state_dict(raw)
        with torch.no_grad():
            raw_losses.append(
                float(nn.functional.mse_loss(copy(val.dataset.tensors[0]), val.dataset.tensors[1]))
            )
    assert [v for v, _ in rec.val_loss] != pytest.approx(raw_losses, rel=1e-5)
    assert result.best_epoch is not None
    assert same_state(model.state_dict(), rec.averaged[result.best_epoch - 1])


class _InterruptError(Exception):
    pass


class _InterruptAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        if trainer.step == self.step:
            raise _InterruptError


def test_resume_continues_the_average_exactly(tmp_path: Path) -> None:
    train, val = loaders()
    cfg = dataclasses.replace(CFG, ema_decay=0.9)
    reference = mlp(dropout=0.0)
    Trainer(reference, RegressionTask(), cfg).fit(train, val)
    ckpt = dataclasses.replace(cfg, checkpoint_dir=str(tmp_path), checkpoint_every=4)
    with pytest.raises(_InterruptError):
        Trainer(mlp(dropout=0.0), RegressionTask(), ckpt, callbacks=[_InterruptAt(10)]).fit(train, val)
    latest = find_latest(tmp_path)
    assert latest is not None
    state = load_checkpoint(latest)
    assert state["ema"]["updates"] == state["step"] == 8
    resumed = mlp(dropout=0.0)
    Trainer(resumed, RegressionTask(), ckpt).fit(train, val, resume="auto")
    assert same_state(reference.state_dict(), resumed.state_dict())


def test_buffers_copied_and_averages_follow_device_and_dtype() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = WeightAverage(0.5)
    ema.reset(model)
    assert ema.shadow is not None and set(ema.shadow) == {"0.weight", "0.bias", "1.weight", "1.bias"}
    model.train()
    model(torch.randn(8, 2))  # moves the running statistics
    state = ema.averaged_state(model)
    assert torch.equal(state["1.running_mean"], model[1].running_mean)
    assert torch.equal(state["1.num_batches_tracked"], model[1].num_batches_tracked)
    model.double()
    ema.update(model)
    assert all(v.dtype == torch.float64 for v in ema.shadow.values())
    with ema.swapped(model):
        assert model[0].weight.dtype == torch.float64


@pytest.mark.parametrize("decay", [-0.1, 1.0, float("nan")])
def test_bad_decay_is_a_config_error(decay: float) -> None:
    with pytest.raises(ConfigError, match="ema_decay"):
        TrainConfig(ema_decay=decay)
    with pytest.raises(ConfigError, match="ema_decay"):
        WeightAverage(decay)


class _AverageZeros(Callback):
    """Counts, at every epoch end (before validation reads the average), averaged weights that are nonzero
    where the pruner's masks are zero."""

    def __init__(self, zero: dict[str, torch.Tensor]) -> None:
        self.zero, self.nonzero = zero, []

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        assert trainer.ema is not None
        state = trainer.ema.averaged_state(trainer.model)
        self.nonzero.append(sum(int(torch.count_nonzero(state[k][m])) for k, m in self.zero.items()))


def test_the_average_keeps_pruned_weights_at_zero() -> None:
    """The average is taken after on_batch_end, where a PruneCallback re-masks the stepped weights, so
    validation and the best model never see a pruned weight come back."""
    from carrousel.core.prune import MagnitudePruner, PruneCallback

    train, val = loaders()
    model = mlp(dropout=0.0)
    pruner = MagnitudePruner(model, 0.5)
    pruner.apply()
    zero = {k: v == 0 for k, v in model.state_dict().items() if k.endswith("weight")}
    assert all(bool(m.any()) for m in zero.values())
    seen = _AverageZeros(zero)
    cfg = dataclasses.replace(CFG, ema_decay=0.9)
    Trainer(model, RegressionTask(), cfg, callbacks=[PruneCallback(pruner), seen]).fit(train, val)
    assert seen.nonzero == [0, 0, 0]


def test_a_flushed_partial_accumulation_window_is_averaged_before_validation() -> None:
    """6 batches an epoch at accumulate 4: a full window and a flushed partial one, 2 steps an epoch; each
    is folded in before that epoch's validation."""
    train, val = loaders()
    counts: list[int] = []

    class _Count(Callback):
        def on_validation_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
            assert trainer.ema is not None
            counts.append(trainer.ema.updates)

    cfg = dataclasses.replace(CFG, ema_decay=0.9, accumulate=4)
    trainer = Trainer(mlp(dropout=0.0), RegressionTask(), cfg, callbacks=[_Count()])
    trainer.fit(train, val)
    assert trainer.step == 6 and counts == [2, 4, 6]
