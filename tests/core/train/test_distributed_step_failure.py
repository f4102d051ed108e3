"""An exception on one rank of two (gloo, CPU) after backward reaches every rank as ``training failed on rank 1
(...)``: between backward and the optimiser step's check (the task's ``batch_size``), in the optimiser step, or
in ``on_batch_end``, at a ``checkpoint_every`` step included. The step's skip-flag all-reduce is the ranks'
check (:func:`~carrousel.core.train.boundary.step_check`, the shape of every check), and a checkpoint step is
agreed before rank zero writes and in place of the barrier after it
(:func:`~carrousel.core.train.epoch_end.checkpoint_step`). On main rank 0 waited in the step's all-reduce of two
flags or in the checkpoint's barrier, rank 1 in a check of three: a hang (the harness's timeout) or a gloo
error. Not covered: a failure inside backward on one rank while DDP all-reduces its gradient buckets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent

_WORKER = textwrap.dedent(
    """
    import os
    import sys
    sys.path.insert(0, sys.argv[3])
    import torch
    from train_helpers import RegressionTask, caught, join_two_ranks, leave_two_ranks, linear_batches, mlp
    from carrousel.core.train import Callback, TrainConfig, Trainer

    rank, (case, folder) = join_two_ranks()
    batches = linear_batches(96, seed=rank)
    at = 3 if case in ("step", "batch_end") else 2  # step 2: a checkpoint step (checkpoint_every=2)

    class SizeRaises(RegressionTask):  # after backward, before the step's check
        def batch_size(self, batch):
            if rank == 1 and case == "batch_size" and trainer.step == at - 1:
                raise ValueError("batch size failed on rank 1")
            return super().batch_size(batch)

    class EndRaises(Callback):
        def on_batch_end(self, trainer, batch_idx, logs):
            if rank == 1 and case.startswith("batch_end") and trainer.step == at:
                raise ValueError("callback failed on rank 1")

    def step_raises(optimizer, args, kwargs):
        if rank == 1 and case.startswith("step") and trainer.step == at - 1:
            raise ValueError("step failed on rank 1")

    cfg = TrainConfig(
        epochs=2, lr=1e-2, progress=False, device="cpu", checkpoint_dir=folder, checkpoint_every=2
    )
    callbacks = [EndRaises()] if case.startswith("batch_end") else []
    trainer = Trainer(mlp(dropout=0.0, seed=0), SizeRaises(), cfg, callbacks=callbacks)
    trainer.optimizer.register_step_pre_hook(step_raises)
    doc = {"error": caught(lambda: trainer.fit(batches))}
    doc["files"] = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("step_at_checkpoint", "step failed on rank 1"),
        ("batch_end_at_checkpoint", "callback failed on rank 1"),
        ("batch_size", "batch size failed on rank 1"),
        ("step", "step failed on rank 1"),
        ("batch_end", "callback failed on rank 1"),
    ],
)
def test_a_failure_after_backward_on_one_rank_reaches_every_rank(
    tmp_path: Path, case: str, error: str
) -> None:
    """Fails on main at a checkpoint step and before the step's check (rank 0 hung in the barrier or the step's
    all-reduce: the timeout). Rank 1 raises its own error, rank 0 one naming rank 1; no checkpoint is written
    of a step that failed on any rank."""
    script = tmp_path / f"{case}.py"
    script.write_text(_WORKER)
    folder = tmp_path / "ckpt"
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, str(folder), timeout=40)
    assert second["error"] == f"ValueError: {error}"
    assert first["error"].startswith(f"CarrouselError: training failed on rank 1 (ValueError: {error})")
    if case not in ("step", "batch_end"):  # failed at step 2, a checkpoint step
        assert not any(name.endswith("-000000002.pt") for name in first["files"]), first["files"]
