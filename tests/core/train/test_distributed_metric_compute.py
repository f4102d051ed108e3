"""A metric's ``compute()`` failing on one rank of two (gloo, CPU) after evaluation reaches every rank: the
failing rank raises its own error, the other a CarrouselError naming it. Two places: the metric's result
from the merged state (``compute_from_state``: after the state's gather, the ranks then compute the rest and
agree in one all-reduce, :func:`~carrousel.core.train.inference.evaluate_loop`), and the rank's own state
before the gather (the failure travels in the gather itself, :class:`~carrousel.core.metrics.Metric`). On
main the failing rank raised alone while the other waited in the next metric's gather, or gloo aborted it."""

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
    import torch
    from train_helpers import RegressionTask, caught, join_two_ranks, leave_two_ranks, linear_batches, mlp
    from carrousel.core.metrics import MeanAbsoluteError, MeanSquaredError
    from carrousel.core.train import TrainConfig, Trainer

    rank, (case,) = join_two_ranks()
    batches = linear_batches(64, seed=rank)

    class FromState(MeanAbsoluteError):  # rank 1's result from the merged state raises
        def compute_from_state(self, sums, cats):
            if rank == 1:
                raise ValueError("metric failed on rank 1")
            return super().compute_from_state(sums, cats)

    class OwnState(MeanAbsoluteError):  # rank 1's own state cannot be assembled (before the gather)
        def compute(self, sync=True):
            if rank == 1:
                self.append("bad", torch.zeros(2, 1))
                self.append("bad", torch.zeros(3, 2))
            return super().compute(sync)

    class Task(RegressionTask):
        def metrics(self):
            first = FromState() if case == "from_state" else OwnState()
            return {"first": first, "second": MeanSquaredError()}

        def update_metrics(self, metrics, outputs, batch):
            for metric in metrics.values():
                metric.update(outputs, batch[1])

    trainer = Trainer(mlp(dropout=0.0, seed=0), Task(), TrainConfig(progress=False, device="cpu"))
    doc = {"error": caught(lambda: trainer.evaluate(batches))}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize(
    ("case", "error"),
    [("from_state", "ValueError: metric failed on rank 1"), ("own_state", "RuntimeError: ")],
)
def test_a_metric_failing_on_one_rank_reaches_every_rank(tmp_path: Path, case: str, error: str) -> None:
    """Fails on main (rank 0 hung in the next gather, or gloo's abort)."""
    script = tmp_path / f"{case}.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, timeout=60)
    assert second["error"].startswith(error)
    assert first["error"].startswith("CarrouselError: ") and "failed on rank 1 (" + error in first["error"]
    # one wording with the trainer's (errors.rank_failure); the metric's own-state line lacked "this rank stops"
    assert first["error"].endswith("; this rank stops with it: fix the error that rank raised")
