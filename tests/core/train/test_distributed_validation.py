"""Validation under torchrun with ranks holding different numbers of validation batches (two gloo ranks on
CPU, tests/gloo_pair.py): evaluation has no per-batch collective (each rank runs its own batches, then one
all-reduce of the loss sums and one gather per metric), so uneven shares, an empty one included, do not
desynchronise the ranks. A guard, not a fix: these pass on main too; a hang fails them at their timeout."""

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
    from torch.utils.data import DataLoader, TensorDataset
    from train_helpers import RegressionTask, Unsized, join_two_ranks, leave_two_ranks, linear_batches, linear_data, mlp, timeless
    from carrousel.core.train import TrainConfig, Trainer

    rank, _ = join_two_ranks()
    train = linear_batches(64, seed=rank)
    xv, yv = linear_data(80, seed=7)
    val = [(xv[i : i + 16], yv[i : i + 16]) for i in range(0, 80, 16)]
    model = mlp(dropout=0.0, seed=0)
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")
    trainer = Trainer(model, RegressionTask(), cfg)
    # validation without a length: 3 batches on rank 0, none on rank 1
    result = trainer.fit(train, val_loader=Unsized(val[: 3 - 3 * rank]))
    # a DataLoader of 5 batches, sharded for evaluation without padding: 3 batches on rank 0, 2 on rank 1
    loader = DataLoader(TensorDataset(xv, yv), batch_size=16)
    got = trainer.evaluate(loader)["loss"]
    with torch.no_grad():
        want = float(torch.nn.functional.mse_loss(model(xv), yv))
    leave_two_ranks({"history": timeless(result.history), "evaluate": got, "want": want})
    """
)


def test_uneven_validation_shares_keep_the_ranks_together(tmp_path: Path) -> None:
    script = tmp_path / "val.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), timeout=40)
    assert first["history"] == second["history"]
    assert all("val_loss" in row for row in first["history"])
    assert abs(first["evaluate"] - first["want"]) < 1e-5 and first["evaluate"] == second["evaluate"]


_ONE_RANK_WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_batches, mlp, timeless
    from carrousel.core.train import TrainConfig, Trainer

    rank, (case,) = join_two_ranks()
    train = linear_batches(64, seed=rank)
    val = linear_batches(48, seed=7)

    class Failing:  # rank 1's second validation batch raises, in the second epoch
        def __init__(self):
            self.passes = 0

        def __iter__(self):
            self.passes += 1
            for i, batch in enumerate(val):
                if rank == 1 and self.passes == 2 and i == 1:
                    raise ValueError("bad batch on rank 1")
                yield batch

    # "raise": rank 1's validation raises; "empty0" / "empty1": that rank's validation list is empty
    loader = Failing() if case == "raise" else ([] if case == f"empty{rank}" else val)
    cfg = TrainConfig(epochs=2, lr=1e-2, progress=False, device="cpu")
    try:
        result = Trainer(mlp(dropout=0.0, seed=0), RegressionTask(), cfg).fit(train, val_loader=loader)
    except Exception as exc:
        doc = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        doc = {"history": timeless(result.history), "monitor": result.monitor}
    leave_two_ranks(doc)
    """
)


def test_a_validation_error_on_one_rank_reaches_every_rank(tmp_path: Path) -> None:
    """Fails on main (rank 0 hung in the validation loss's all-reduce, then a gloo error once rank 1 was
    gone): rank 1's validation raised alone. Now the ranks agree a failure with the loss sums: rank 1 raises
    its own error, rank 0 one naming rank 1 and that error."""
    script = tmp_path / "raise.py"
    script.write_text(_ONE_RANK_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), "raise", timeout=60)
    assert second == {"error": "ValueError: bad batch on rank 1"}
    assert first["error"].startswith(
        "CarrouselError: evaluation failed on rank 1 (ValueError: bad batch on rank 1)"
    )


@pytest.mark.parametrize("case", ["empty0", "empty1"])
def test_one_rank_with_an_empty_validation_list_validates_on_every_rank(tmp_path: Path, case: str) -> None:
    """Whether a fit validates is agreed (any rank's validation loader holding batches): with rank 0's list
    empty and rank 1's not, or the reverse, both ranks validate every epoch, with the same figures. A
    guard: this passes on main too."""
    script = tmp_path / f"{case}.py"
    script.write_text(_ONE_RANK_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), case, timeout=60)
    assert first == second and first["monitor"] == "val_loss"
    assert all("val_loss" in row for row in first["history"])
