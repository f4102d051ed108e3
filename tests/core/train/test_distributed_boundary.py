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
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_batches, mlp
    from carrousel.core.train import TrainConfig, Trainer

    rank, _ = join_two_ranks()
    batches = linear_batches(96, seed=rank)

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


_COUNT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    import torch.distributed as dist
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_batches, mlp
    from carrousel.core.train import Callback, TrainConfig, Trainer

    rank, _ = join_two_ranks()
    batches = linear_batches(96, seed=rank)
    calls = [0]
    real = dist.all_reduce

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    dist.all_reduce = counted

    class Watches(Callback):  # an on_batch_end hook that might stop: the check after each batch is kept
        def on_batch_end(self, trainer, batch_idx, logs):
            pass

    doc = {}
    for name, callbacks in (("kept", [Watches()]), ("folded", [])):
        cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")
        trainer = Trainer(mlp(dropout=0.0, seed=0), RegressionTask(), cfg, callbacks=callbacks)
        calls[0] = 0
        trainer.fit(batches)
        weights = [round(v, 6) for v in trainer.model[0].weight.flatten().tolist()]
        doc[name] = {"all_reduces": calls[0], "steps": trainer.step, "weights": weights}
    leave_two_ranks(doc)
    """
)


def test_the_step_check_stands_for_the_check_after_its_batch(tmp_path: Path) -> None:
    """Fails on main (the same count either way). Two epochs of 6 steps, ``accumulate=1``, no callback: the
    check after the batch is left out from the second step on, except at each epoch's last batch (9 of 12
    batches), the step's check carrying its flags; the weights trained are the same."""
    script = tmp_path / "count.py"
    script.write_text(_COUNT)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), timeout=60)
    for doc in (first, second):
        assert doc["kept"]["steps"] == doc["folded"]["steps"] == 12
        assert doc["kept"]["all_reduces"] - doc["folded"]["all_reduces"] == 9
        assert doc["kept"]["weights"] == doc["folded"]["weights"]
