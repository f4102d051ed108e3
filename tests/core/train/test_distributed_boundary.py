"""Two gloo ranks on CPU, ``accumulate=1`` (every micro-batch a window's boundary, where DDP all-reduces the
gradients in backward): a failure on one rank before backward (the task's forward, its loss, a callback's
``on_batch_start``) reaches every rank, and a loader whose ``len`` overstates its batches on one rank (it
runs out early) ends the epoch on every rank, rank zero warning and naming that rank. Both are agreed in the
check before backward (:func:`~carrousel.core.train.boundary.before_backward`). On main the other rank
waited in DDP's gradient all-reduce: gloo aborted it ("Connection reset by peer") or the harness's timeout."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent

_WORKER = textwrap.dedent(
    """
    import logging
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_data, mlp
    from carrousel.core.train import Callback, TrainConfig, Trainer

    rank, (case,) = join_two_ranks()
    x, y = linear_data(96, seed=rank)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 96, 16)]

    class Raises(RegressionTask):  # rank 1's forward or loss raises at its third batch
        calls = 0

        def forward(self, model, batch):
            self.calls += 1
            if rank == 1 and case == "forward" and self.calls == 3:
                raise ValueError("forward failed on rank 1")
            return super().forward(model, batch)

        def loss(self, outputs, batch):
            if rank == 1 and case == "loss" and self.calls == 3:
                raise ValueError("loss failed on rank 1")
            return super().loss(outputs, batch)

    class StartRaises(Callback):
        def on_batch_start(self, trainer, batch_idx, batch):
            if rank == 1 and trainer.step == 2:
                raise ValueError("batch start failed on rank 1")

    class Overstated:  # says 6 batches; rank 1 yields 4
        def __len__(self):
            return len(batches)

        def __iter__(self):
            return iter(batches[: 4 if rank == 1 else 6])

    warnings = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    logging.getLogger("carrousel.core.train").addHandler(Keep())
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")
    callbacks = [StartRaises()] if case == "batch_start" else []
    loader = Overstated() if case == "short" else batches
    try:
        trainer = Trainer(mlp(dropout=0.0, seed=0), Raises(), cfg, callbacks=callbacks)
        result = trainer.fit(loader)
    except Exception as exc:
        doc = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        doc = {"error": None, "steps": trainer.step, "epochs": len(result.history), "warnings": warnings}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("forward", "forward failed on rank 1"),
        ("loss", "loss failed on rank 1"),
        ("batch_start", "batch start failed on rank 1"),
    ],
)
def test_a_failure_before_backward_on_one_rank_reaches_every_rank(
    tmp_path: Path, case: str, error: str
) -> None:
    """Fails on main (rank 0 aborted by gloo in DDP's all-reduce, or hung). Rank 1 raises its own error, rank 0
    one naming rank 1."""
    script = tmp_path / f"{case}.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, timeout=60)
    assert second == {"error": f"ValueError: {error}"}
    assert first["error"].startswith(f"CarrouselError: training failed on rank 1 (ValueError: {error})")


def test_a_loader_overstating_its_length_on_one_rank_ends_every_rank_epoch(tmp_path: Path) -> None:
    """Fails on main (rank 0 hung in DDP's all-reduce, or gloo's abort). Both ranks train rank 1's 4 batches an
    epoch; rank zero warns, naming rank 1, once per fit."""
    script = tmp_path / "short.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), "short", timeout=60)
    assert first["error"] is None and second["error"] is None
    assert first["steps"] == second["steps"] == 8 and first["epochs"] == second["epochs"] == 2
    assert second["warnings"] == []
    [warning] = first["warnings"]
    assert "rank 1" in warning and "len()" in warning
