"""A non-finite loss on one rank of two (gloo, CPU): every rank stops with the same one-line error
(``nonfinite="stop"``), or every rank skips the same steps (``"skip"``). On main the rank whose loss was NaN
raised in its read of the figures, before the step's all-reduce of the skip flag, while the other rank
(its gradient NaN too: DDP averaged it) waited in that all-reduce: a hang, or a gloo connection error
once the first rank's process was gone; never the same error on both ranks. Each rank runs in its own
process, meeting the other in a file store; a hang fails the test at its timeout."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent

_WORKER = textwrap.dedent(
    """
    import math, sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_data, mlp, timeless
    from carrousel.core.errors import NonFiniteLossError
    from carrousel.core.train import TrainConfig, Trainer

    class NanOnRankOne(RegressionTask):
        def __init__(self, rank, nan_at):
            self.rank, self.nan_at, self.calls = rank, nan_at, 0

        def loss(self, outputs, batch):
            self.calls += 1
            loss = super().loss(outputs, batch)
            return loss * math.nan if self.rank == 1 and self.calls == self.nan_at else loss

    rank, (nonfinite,) = join_two_ranks()
    x, y = linear_data(64)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu", nonfinite=nonfinite, accumulate=2)
    try:
        result = Trainer(mlp(dropout=0.0), NanOnRankOne(rank, nan_at=3), cfg).fit(batches)
        out = {"skipped": result.skipped_steps, "steps": result.steps, "history": timeless(result.history)}
    except NonFiniteLossError as exc:
        out = {"error": str(exc)}
    leave_two_ranks(out)
    """
)


def _two_ranks(tmp_path: Path, nonfinite: str) -> list[dict[str, object]]:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    return run_two_ranks(script, tmp_path / "store", str(HERE), nonfinite, timeout=60)


def test_a_nan_loss_on_one_rank_stops_every_rank_with_the_same_error(tmp_path: Path) -> None:
    """Fails on main (a hang, or rank 0 dying in gloo: 'Connection closed by peer')."""
    first, second = _two_ranks(tmp_path, "stop")
    assert first == second
    assert first["error"].startswith("loss is nan on rank 1 at epoch 1, step 1; lower the learning rate")
    assert "\n" not in first["error"]


def test_a_nan_loss_on_one_rank_skips_the_step_on_every_rank(tmp_path: Path) -> None:
    """A guard (this case agreed on main too): both ranks skip the step and log the same history."""
    first, second = _two_ranks(tmp_path, "skip")
    assert first == second
    assert first["skipped"] == 1 and first["steps"] == 4
