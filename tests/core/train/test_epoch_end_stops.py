"""Stops inside an epoch beyond ``max_steps``: a callback's stop (inside an accumulation window too), which
partial epoch may become ``best.pt`` or count for early stopping, a callback's stop at an epoch's start, and
a validation loader's own generator across a resume."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from train_helpers import STOPS_CFG, RegressionTask, mlp, shuffled, timeless

from carrousel.core.train import Callback, EarlyStopping, TrainConfig, Trainer, find_latest, load_checkpoint
from carrousel.core.train.state import state_copy
from tests.state_dicts import same_state


class StopAt(Callback):
    """Sets ``should_stop`` after batch ``batch`` (counted from 1) of epoch ``epoch`` (from 0)."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        if trainer.epoch == self.epoch and batch_idx + 1 == self.batch:
            trainer.should_stop = True


def _fit(
    cfg: TrainConfig,
    resume: str | None = None,
    callbacks: list[Callback] | None = None,
    val_seed: int | None = None,
    validate: bool = True,
) -> tuple[torch.nn.Module, Trainer, list[dict[str, float]]]:
    model = mlp(dropout=0.3)
    trainer = Trainer(model, RegressionTask(), cfg, callbacks=callbacks)
    val = shuffled(val_seed) if validate else None
    result = trainer.fit(shuffled(0), val, resume=resume)
    return model, trainer, timeless(result.history)


@pytest.mark.parametrize("batch", [4, 5])
def test_a_callbacks_stop_inside_an_epoch_is_partial_and_resumes_as_the_straight_run(
    tmp_path: Path, batch: int
) -> None:
    """A callback stopping the fit after batch 4 or 5 of epoch 2 (5: inside an accumulation window) had the
    epoch logged as a finished one, half a window stepped (step 10 for 9 whole windows) and a checkpoint of
    epoch 3's start: a resume skipped the rest of epoch 2. Now the entry is ``partial``, no step is taken
    on half a window (its gradients go into the checkpoint) and a resume continues the epoch exactly."""
    straight, _, straight_history = _fit(STOPS_CFG)
    ckpt = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path))
    _, stopped, history = _fit(ckpt, callbacks=[StopAt(1, batch)])
    assert [row.get("partial") for row in history] == [None, 1.0]
    assert [row["epoch"] for row in history] == [1.0, 2.0]
    assert stopped.step == 7 + batch // 2  # 9 whole windows for batch 5, not 10
    assert all(p.grad is None for p in stopped.model.parameters())  # half a window's gradients dropped
    latest = find_latest(tmp_path)
    assert latest is not None
    state = load_checkpoint(latest)
    assert (state["epoch"], state["batch_in_epoch"], state["step"], state["micro"]) == (
        1,
        batch,
        7 + batch // 2,
        batch,
    )
    assert (state["grads"] is None) == (batch % 2 == 0)
    resumed, _, resumed_history = _fit(ckpt, resume="auto")
    assert same_state(straight.state_dict(), resumed.state_dict())
    assert resumed_history == straight_history


def test_a_partial_epoch_without_validation_never_becomes_the_best(tmp_path: Path) -> None:
    """Monitored without a validation loader, the partial epoch's ``train_loss`` covers its first batches
    only: lower than epoch 1's whole-epoch figure, it became ``best.pt`` and the ``restore_best`` weights.
    Now only a figure of the whole validation set makes a partial epoch the best."""
    cfg = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path), max_steps=10, restore_best=True)
    _, trainer, history = _fit(cfg, validate=False)
    assert history[1]["partial"] == 1.0 and history[1]["train_loss"] < history[0]["train_loss"]
    assert trainer.best_epoch == 1
    best = load_checkpoint(tmp_path / "best.pt")
    assert (best["epoch"], best["batch_in_epoch"], best["step"]) == (1, 0, 7)  # epoch 1's end


@pytest.mark.parametrize("stop", ["max_steps", "callback"])
def test_a_partial_epoch_validated_on_the_whole_set_may_become_the_best(tmp_path: Path, stop: str) -> None:
    """With a validation loader, the partial epoch is validated on all of it: when its ``val_loss`` is the
    best, ``best.pt`` is the stop's state (a callback's stop wrote the next epoch's start before)."""
    cfg = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path), lr=3e-2)
    cfg = dataclasses.replace(cfg, max_steps=12) if stop == "max_steps" else cfg
    early = EarlyStopping(patience=1)  # counts the partial epoch too, as best.pt does
    _, trainer, history = _fit(cfg, callbacks=[StopAt(1, 10), early] if stop == "callback" else [early])
    assert history[1]["partial"] == 1.0 and history[1]["val_loss"] < history[0]["val_loss"]
    assert trainer.best_epoch == 2
    assert (early.best, early.wait) == (history[1]["val_loss"], 0)
    best = load_checkpoint(tmp_path / "best.pt")
    assert (best["epoch"], best["batch_in_epoch"], best["step"]) == (1, 10, 12)


@pytest.mark.parametrize(
    ("lr", "max_steps"),
    [(0.1, 15), (1e-2, 10)],  # 15: the partial epoch 3 is worse than epoch 2; 10: epoch 2 better than 1
)
def test_early_stopping_skips_a_partial_epochs_training_figure(
    caplog: pytest.LogCaptureFixture, lr: float, max_steps: int
) -> None:
    """Without a validation loader early stopping monitors ``train_loss``: the partial epoch's figure (its
    first batches only) was compared with whole epochs'. Worse, it spent the patience (``max_steps=15``: an
    "early stop" reported, ``stopped_early`` True); better, it became the best value (``max_steps=10``).
    Now a partial epoch counts only with a validation figure, as for ``best.pt``."""
    cfg = dataclasses.replace(STOPS_CFG, lr=lr, scheduler="none", max_steps=max_steps)
    early = EarlyStopping(patience=1)
    with caplog.at_level(logging.INFO, logger="carrousel.core.train.callbacks"):
        _, trainer, history = _fit(cfg, callbacks=[early], validate=False)
    assert history[-1]["partial"] == 1.0 and history[-1]["train_loss"] != history[-2]["train_loss"]
    assert (early.best, early.wait) == (min(row["train_loss"] for row in history[:-1]), 0)
    assert not trainer.result().stopped_early
    assert f"early stopping skips epoch {len(history)}: its train_loss" in caplog.text


class StopAtStart(Callback):
    """Sets ``should_stop`` in ``on_epoch_start`` of epoch ``epoch`` (from 0), noting the weights and step then
    and every later hook called."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.calls: list[str] = []
        self.weights: dict[str, torch.Tensor] = {}
        self.step = -1

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        if epoch == self.epoch:
            trainer.should_stop = True
            self.weights, self.step = state_copy(trainer.model), trainer.step

    def on_batch_start(self, trainer: Trainer, batch_idx: int, batch: Any) -> None:
        self.calls.append(f"batch {trainer.epoch}")

    def on_validation_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.calls.append(f"validation {epoch}")

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        self.calls.append(f"epoch_end {epoch}")


@pytest.mark.parametrize("epoch", [0, 1])
def test_a_stop_set_at_an_epochs_start_trains_nothing_of_it(tmp_path: Path, epoch: int) -> None:
    """``should_stop`` set in ``on_epoch_start`` was read after the epoch's first batch: an optimiser step was
    taken on it and the epoch logged as a partial one (validated, checkpointed). Now the epoch is skipped:
    no batch, no step, no history entry, no checkpoint; the latest stays the one of the epoch's start."""
    cfg = dataclasses.replace(STOPS_CFG, accumulate=1, checkpoint_dir=str(tmp_path))  # 13 steps an epoch
    stop = StopAtStart(epoch)
    model, trainer, history = _fit(cfg, callbacks=[stop])
    assert stop.step == trainer.step == 13 * epoch  # no optimiser step after the flag
    assert same_state(stop.weights, model.state_dict())
    assert [row["epoch"] for row in history] == [float(e + 1) for e in range(epoch)]
    assert stop.calls == [
        c for e in range(epoch) for c in [f"batch {e}"] * 13 + [f"validation {e}", f"epoch_end {e}"]
    ]
    assert trainer.result().stopped_early
    latest = find_latest(tmp_path)
    if epoch == 0:
        assert latest is None
    else:
        assert latest is not None
        state = load_checkpoint(latest)
        assert (state["epoch"], state["batch_in_epoch"], state["step"]) == (epoch, 0, 13 * epoch)


class CountedLoader:
    """``shuffled(0)``, counting the iterators started on it."""

    def __init__(self) -> None:
        self.loader, self.started = shuffled(0), 0

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Any:
        self.started += 1
        return iter(self.loader)


def test_an_epoch_skipped_at_its_start_starts_no_batches() -> None:
    """Fails on main: the epoch's iterator was built before ``on_epoch_start`` set the stop, so a skipped
    epoch still drew the loader's seed from its generator and would have started its workers. Now a stop
    at epoch 2's start leaves the loader as a one-epoch run leaves it: one iterator, the same generator."""
    one = CountedLoader()
    Trainer(mlp(dropout=0.0), RegressionTask(), dataclasses.replace(STOPS_CFG, epochs=1)).fit(one)
    stopped = CountedLoader()
    Trainer(mlp(dropout=0.0), RegressionTask(), STOPS_CFG, callbacks=[StopAtStart(1)]).fit(stopped)
    assert one.started == stopped.started == 1
    assert stopped.loader.generator is not None and one.loader.generator is not None
    assert torch.equal(stopped.loader.generator.get_state(), one.loader.generator.get_state())


@pytest.mark.parametrize("stop", [7, 9])
def test_a_validation_loaders_own_generator_resumes_where_it_was(tmp_path: Path, stop: int) -> None:
    """A shuffled validation loader with its own seeded generator started again from its seed on a resume:
    the resumed run validated in another order than the straight run and its ``val_loss`` differed in the
    last bits. Its generator state is now in the checkpoint (stop 7: an epoch's end; 9: inside epoch 2)."""
    _, _, straight_history = _fit(STOPS_CFG, val_seed=5)
    ckpt = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path))
    _fit(dataclasses.replace(ckpt, max_steps=stop), val_seed=5)
    saved = load_checkpoint(find_latest(tmp_path) or tmp_path)["rng"]
    _, _, resumed_history = _fit(ckpt, resume="auto", val_seed=5)
    assert resumed_history == straight_history
    assert saved["val_loader"]  # the loader has one


def test_a_validation_loader_without_its_own_generator_saves_none(tmp_path: Path) -> None:
    """Only a loader's own generator is saved: one drawing from the global RNG adds nothing."""
    _fit(dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path), epochs=1))
    assert load_checkpoint(find_latest(tmp_path) or tmp_path)["rng"]["val_loader"] == []


def test_a_resume_knows_that_best_pt_holds_the_partial_epoch(tmp_path: Path) -> None:
    """The partial epoch 2 (max_steps=9) validated best and became ``best.pt``, but its checkpoint, written
    before that validation, held epoch 1 as the best: the resume, whose full epoch 2 validated worse than
    epoch 1, reported ``best_epoch`` 1 and restored epoch 1's weights while ``best.pt`` held the stop's.
    Now the stop's checkpoint carries the partial best, as ``best.pt`` does."""
    cfg = dataclasses.replace(
        STOPS_CFG,
        checkpoint_dir=str(tmp_path),
        lr=0.4,
        epochs=2,
        scheduler="none",
        optimizer="sgd",
        restore_best=True,
    )
    _, stopped, history = _fit(dataclasses.replace(cfg, max_steps=9))
    assert stopped.best_epoch == 2 and history[1]["partial"] == 1.0
    resumed, trainer, resumed_history = _fit(cfg, resume="auto")
    assert resumed_history[1]["val_loss"] > resumed_history[0]["val_loss"] > history[1]["val_loss"]
    best = load_checkpoint(tmp_path / "best.pt")
    assert (best["epoch"], best["batch_in_epoch"], best["step"]) == (1, 4, 9)
    assert (trainer.best_epoch, trainer.best_score) == (2, history[1]["val_loss"])
    assert same_state(best["model"], resumed.state_dict())  # restore_best: best.pt's weights


class FailsSecondPass:
    """``shuffled(None)`` whose second pass (the stop's validation, after epoch 1's) fails."""

    def __init__(self) -> None:
        self.loader, self.passes = shuffled(None), 0

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Any:
        self.passes += 1
        if self.passes == 2:
            raise RuntimeError("validation failed")
        return iter(self.loader)


def test_a_stop_whose_validation_fails_keeps_its_checkpoint(tmp_path: Path) -> None:
    """Why a partial epoch that becomes the best writes its checkpoint twice (s47 checked whether one write
    would do): the first write, before validation, is the resume point when that validation fails (or the
    process is killed in it); the second adds the best the validation found (the test above). Passes on
    main: a guard for the first write, which a single write after validation would lose."""
    cfg = dataclasses.replace(
        STOPS_CFG, checkpoint_dir=str(tmp_path), epochs=2, max_steps=9, restore_best=True
    )
    trainer = Trainer(mlp(dropout=0.3), RegressionTask(), cfg)
    with pytest.raises(RuntimeError, match="validation failed"):
        trainer.fit(shuffled(0), FailsSecondPass())
    latest = find_latest(tmp_path)
    assert latest is not None
    state = load_checkpoint(latest)
    assert (state["epoch"], state["batch_in_epoch"], state["step"], state["best_epoch"]) == (1, 4, 9, 1)
