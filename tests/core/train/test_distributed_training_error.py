"""An exception on one rank of two (gloo, CPU) during training reaches every rank: the failing rank keeps it,
the flag travels in the per-batch stop check (epoch_end.agreed_stop / agreed_batches) or, before backward at
a window's boundary, in the check there (:func:`~carrousel.core.train.boundary.before_backward`), and every
rank raises (distributed.raise_any_failure): the failing rank its own error, the other a CarrouselError
naming that rank. On main the failing rank raised alone while the other waited in its next collective: a
hang (the harness's timeout), or in DDP's gradient all-reduce, which gloo aborted ("Connection reset by
peer"). Covered: a callback's ``on_batch_end`` raising (after the step), the task's loss raising inside an
accumulation window (no gradient all-reduce pending), a loader without a length raising as it is drawn, and
with ``accumulate=1`` (every micro-batch a window's boundary) the task's forward, its loss or a callback's
``on_batch_start`` raising before backward. A loader overstating its length: test_distributed_boundary.py."""

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
    from carrousel.core.train import Callback, TrainConfig, Trainer

    rank, (case,) = join_two_ranks()
    batches = linear_batches(96, seed=rank)

    class Raises(RegressionTask):  # rank 1's forward or loss raises at its third micro-batch
        calls = 0

        def forward(self, model, batch):
            self.calls += 1
            if rank == 1 and case == "forward" and self.calls == 3:
                raise ValueError("forward failed on rank 1")
            return super().forward(model, batch)

        def loss(self, outputs, batch):
            if rank == 1 and case.startswith("loss") and self.calls == 3:
                raise ValueError("loss failed on rank 1")
            return super().loss(outputs, batch)

    class StartRaises(Callback):  # rank 1's on_batch_start raises at step 2
        def on_batch_start(self, trainer, batch_idx, batch):
            if rank == 1 and trainer.step == 2:
                raise ValueError("batch start failed on rank 1")

    class EndRaises(Callback):  # rank 1's on_batch_end raises at step 2
        def on_batch_end(self, trainer, batch_idx, logs):
            if rank == 1 and trainer.step == 2:
                raise ValueError("callback failed on rank 1")

    class DrawRaises:  # no length; rank 1's third batch raises as it is drawn
        def __iter__(self):
            for i, batch in enumerate(batches):
                if rank == 1 and i == 2:
                    raise ValueError("batch failed on rank 1")
                yield batch

    accumulate = 2 if case == "loss_in_window" else 1  # the third micro-batch: inside a window of 2
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu", accumulate=accumulate)
    callbacks = {"batch_start": [StartRaises()], "batch_end": [EndRaises()]}.get(case, [])
    loader = DrawRaises() if case == "draw" else batches
    doc = {"error": caught(lambda: Trainer(mlp(dropout=0.0, seed=0), Raises(), cfg, callbacks=callbacks).fit(loader))}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("batch_end", "callback failed on rank 1"),
        ("loss_in_window", "loss failed on rank 1"),
        ("draw", "batch failed on rank 1"),
        ("forward", "forward failed on rank 1"),
        ("loss_at_boundary", "loss failed on rank 1"),
        ("batch_start", "batch start failed on rank 1"),
    ],
)
def test_a_training_error_on_one_rank_reaches_every_rank(tmp_path: Path, case: str, error: str) -> None:
    """Fails on main (rank 0 hung: the timeout; before backward at a window's boundary, rank 0 aborted by gloo
    in DDP's all-reduce, or hung). Rank 1 raises its own error, rank 0 one naming rank 1."""
    script = tmp_path / f"{case}.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, timeout=60)
    assert second == {"error": f"ValueError: {error}"}
    assert first["error"].startswith(f"CarrouselError: training failed on rank 1 (ValueError: {error})")
