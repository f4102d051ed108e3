"""Two gloo ranks on CPU, ``accumulate=1`` (every micro-batch a window's boundary, where DDP all-reduces the
gradients in backward): a loader whose ``len`` overstates its batches on one rank (it runs out early) ends the
epoch on every rank, rank zero warning and naming that rank, agreed in the check before backward
(:func:`~carrousel.core.train.boundary.before_backward`). On main the other rank waited in DDP's gradient
all-reduce: gloo aborted it ("Connection reset by peer") or the harness's timeout. A failure before backward on
one rank (the task's forward, its loss, a callback's ``on_batch_start``): test_distributed_training_error.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent

_WORKER = textwrap.dedent(
    """
    import logging
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_data, mlp
    from carrousel.core.train import TrainConfig, Trainer

    rank, _ = join_two_ranks()
    x, y = linear_data(96, seed=rank)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 96, 16)]

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
    try:
        trainer = Trainer(mlp(dropout=0.0, seed=0), RegressionTask(), cfg)
        result = trainer.fit(Overstated())
    except Exception as exc:
        doc = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        doc = {"error": None, "steps": trainer.step, "epochs": len(result.history), "warnings": warnings}
    leave_two_ranks(doc)
    """
)


def test_a_loader_overstating_its_length_on_one_rank_ends_every_rank_epoch(tmp_path: Path) -> None:
    """Fails on main (rank 0 hung in DDP's all-reduce, or gloo's abort). Both ranks train rank 1's 4 batches an
    epoch; rank zero warns, naming rank 1, once per fit."""
    script = tmp_path / "short.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), timeout=60)
    assert first["error"] is None and second["error"] is None
    assert first["steps"] == second["steps"] == 8 and first["epochs"] == second["epochs"] == 2
    assert second["warnings"] == []
    [warning] = first["warnings"]
    assert "rank 1" in warning and "len()" in warning
