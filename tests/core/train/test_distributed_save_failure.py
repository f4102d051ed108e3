"""A checkpoint that cannot be written on rank zero (two gloo ranks, CPU) reaches every rank as ``training
failed on rank 0 (OSError: ...)``: at an epoch's end and at a stop inside an epoch, where the write was outside
the failure-keeping scope and the other ranks waited in the barrier after it. The write now keeps its error and
the ranks agree in place of that barrier (:func:`~carrousel.core.train.epoch_end.agreed_save`). On main rank 0
raised alone and rank 1 hung in the barrier (the harness's timeout)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent

_WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, caught, join_two_ranks, leave_two_ranks, linear_batches, mlp
    from carrousel.core.train import TrainConfig, Trainer

    rank, (case, folder) = join_two_ranks()
    batches = linear_batches(64, seed=rank)
    max_steps = 2 if case == "stop_inside" else None  # a stop at batch 2 of 4: stop_state's checkpoint
    cfg = TrainConfig(
        epochs=2, lr=1e-2, progress=False, device="cpu", checkpoint_dir=folder, max_steps=max_steps
    )
    trainer = Trainer(mlp(dropout=0.0, seed=0), RegressionTask(), cfg)

    def read_only(*args, **kwargs):
        raise OSError(f"[Errno 30] Read-only file system: {folder!r}")

    if rank == 0:
        trainer.ckpt.save = read_only
    doc = {"error": caught(lambda: trainer.fit(batches)), "epoch": trainer.epoch}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize("case", ["epoch_end", "stop_inside"])
def test_a_checkpoint_rank_zero_cannot_write_fails_every_rank(tmp_path: Path, case: str) -> None:
    """Fails on main (rank 1 hung in the barrier after rank zero's write: the timeout). Rank 0 raises its own
    OSError, rank 1 a CarrouselError naming rank 0 and that error; neither trains another epoch."""
    script = tmp_path / f"{case}.py"
    script.write_text(_WORKER)
    folder = tmp_path / "ckpt"
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, str(folder), timeout=40)
    assert first["error"].startswith("OSError: [Errno 30] Read-only file system"), first
    assert second["error"].startswith(
        "CarrouselError: training failed on rank 0 (OSError: [Errno 30] Read-only file system"
    ), second
    assert first["epoch"] == second["epoch"] == (1 if case == "epoch_end" else 0)
