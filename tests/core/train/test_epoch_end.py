"""An epoch's end and a ``max_steps`` stop inside one: the history, the checkpoint of the stop, exact resume."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from train_helpers import STOPS_CFG, RegressionTask, Unsized, linear_data, mlp, shuffled, timeless

from carrousel.core.train import Callback, TrainConfig, Trainer, find_latest, load_checkpoint
from tests.state_dicts import same_state


def _fit(
    cfg: TrainConfig, seeded: bool, resume: str | None = None, callbacks: list[Callback] | None = None
) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    model = mlp(dropout=0.3)
    # shuffled: it must not draw from the RNG before the stop is checkpointed; from the global RNG (its own
    # generator would start afresh)
    val = shuffled(None)
    result = Trainer(model, RegressionTask(), cfg, callbacks=callbacks).fit(
        shuffled(0 if seeded else None), val, resume=resume
    )
    return model, timeless(result.history)


@pytest.mark.parametrize("seeded", [False, True])
@pytest.mark.parametrize(("stop", "budget", "batch"), [(9, None, 4), (6, 17, 12), (9, 17, 4)])
def test_a_max_steps_stop_inside_an_epoch_resumes_as_the_straight_run(
    tmp_path: Path, seeded: bool, stop: int, budget: int | None, batch: int
) -> None:
    """A fit stopped by ``max_steps`` inside an epoch wrote an end-of-epoch checkpoint (the next epoch, batch 0)
    and logged the partial epoch as done: a resume with a larger budget skipped the rest of that epoch, and
    its weights differed from a straight run's. Now the stop is checkpointed where it stopped (as
    ``checkpoint_every`` does), the partial epoch is marked ``partial`` and a resume continues it exactly."""
    straight, straight_history = _fit(dataclasses.replace(STOPS_CFG, max_steps=budget), seeded)
    ckpt = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path))
    _, stopped = _fit(dataclasses.replace(ckpt, max_steps=stop), seeded)
    assert [row.get("partial") for row in stopped] == [None] * (len(stopped) - 1) + [1.0]
    assert [row["epoch"] for row in stopped] == [float(e + 1) for e in range(len(stopped))]
    latest = find_latest(tmp_path)
    assert latest is not None
    state = load_checkpoint(latest)
    assert (state["epoch"], state["batch_in_epoch"], state["step"]) == (stop // 7, batch, stop)
    assert len(state["history"]) == stop // 7  # the finished epochs only
    resumed, resumed_history = _fit(dataclasses.replace(ckpt, max_steps=budget), seeded, resume="auto")
    assert same_state(straight.state_dict(), resumed.state_dict())
    assert resumed_history == straight_history


def test_a_max_steps_stop_at_an_epochs_end_is_a_full_epoch(tmp_path: Path) -> None:
    """Stopped on the epoch's last step (its short window, flushed at the end): no ``partial`` mark, the
    checkpoint is the next epoch's start, as before."""
    cfg = dataclasses.replace(STOPS_CFG, max_steps=7, checkpoint_dir=str(tmp_path))
    _, history = _fit(cfg, seeded=False)
    assert len(history) == 1 and "partial" not in history[0]
    latest = find_latest(tmp_path)
    assert latest is not None and load_checkpoint(latest)["batch_in_epoch"] == 0


def test_a_stop_where_checkpoint_every_just_wrote_resumes_as_the_straight_run(tmp_path: Path) -> None:
    """``checkpoint_every`` wrote the stop's state at that very step: it is not written twice (one
    ``on_checkpoint`` for it) and the resume continues it."""
    straight, _ = _fit(STOPS_CFG, seeded=False)
    ckpt = dataclasses.replace(STOPS_CFG, checkpoint_dir=str(tmp_path), checkpoint_every=3)
    seen = Seen()
    _fit(dataclasses.replace(ckpt, max_steps=9), seeded=False, callbacks=[seen])
    assert [p.name for p in seen.paths] == [f"ckpt-{s // 7:04d}-{s:09d}.pt" for s in (3, 6, 7, 9)]
    resumed, _ = _fit(ckpt, seeded=False, resume="auto")
    assert same_state(straight.state_dict(), resumed.state_dict())


class Seen(Callback):
    def __init__(self) -> None:
        self.paths: list[Path] = []

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None:
        self.paths.append(path)


@pytest.mark.parametrize("stop", [5, 13])
def test_a_loader_without_a_length_takes_a_stop_as_inside_the_epoch(tmp_path: Path, stop: int) -> None:
    """Without a length, a stop on the epoch's last batch (13 of 13) is marked ``partial`` too; the resume
    finds no batch left, ends the epoch, and matches the straight run."""
    x, y = linear_data(200)
    loader = Unsized([(x[i : i + 16], y[i : i + 16]) for i in range(0, 200, 16)])
    cfg = dataclasses.replace(STOPS_CFG, accumulate=1)
    straight = mlp(dropout=0.3)
    want = Trainer(straight, RegressionTask(), cfg).fit(loader, loader)
    ckpt = dataclasses.replace(cfg, checkpoint_dir=str(tmp_path))
    stopped = Trainer(mlp(dropout=0.3), RegressionTask(), dataclasses.replace(ckpt, max_steps=stop)).fit(
        loader
    )
    assert stopped.history[-1]["partial"] == 1.0
    resumed = mlp(dropout=0.3)
    got = Trainer(resumed, RegressionTask(), ckpt).fit(loader, loader, resume="auto")
    assert same_state(straight.state_dict(), resumed.state_dict())
    assert [h["train_loss"] for h in got.history] == [h["train_loss"] for h in want.history]
