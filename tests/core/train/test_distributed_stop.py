"""A stop set by a callback on one rank of two (gloo, CPU) stops every rank at the same step, with the same
weights and history: ``trainer.should_stop`` is all-reduced (MAX) where the loop reads it (each batch's end,
each epoch's start, the top of the loop after an epoch's end). On main the rank that stopped left the loop
while the other went on to the next step's (or epoch's) all-reduce: a hang, a gloo error once the first
rank's process was gone, or a split run. Each rank runs in its own process, meeting the other in a file
store; a hang fails the test at its timeout."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.gloo_pair import run_two_ranks

HERE = Path(__file__).parent
_STEPS = {"batch_end": 3, "epoch_start": 4, "epoch_end": 4}  # where rank 1 stops: the steps taken

_WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, join_two_ranks, leave_two_ranks, linear_data, mlp, timeless
    from carrousel.core.train import Callback, TrainConfig, Trainer

    class StopOnRankOne(Callback):
        # sets should_stop on rank 1 only: at step 3's batch end, epoch 2's start or epoch 1's end
        def __init__(self, rank, hook):
            self.rank, self.hook = rank, hook

        def on_batch_end(self, trainer, batch_idx, logs):
            if self.hook == "batch_end" and self.rank == 1 and trainer.step == 3:
                trainer.should_stop = True

        def on_epoch_start(self, trainer, epoch):
            if self.hook == "epoch_start" and self.rank == 1 and epoch == 1:
                trainer.should_stop = True

        def on_epoch_end(self, trainer, epoch, logs):
            if self.hook == "epoch_end" and self.rank == 1 and epoch == 0:
                trainer.should_stop = True

    rank, (hooks,) = join_two_ranks()
    x, y = linear_data(64)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    cfg = TrainConfig(epochs=3, lr=1e-2, progress=False, device="cpu")
    out = {}
    for hook in hooks.split(","):  # one fit per hook, in one process group: one start of two processes
        model = mlp(dropout=0.0, seed=0)
        result = Trainer(model, RegressionTask(), cfg, callbacks=[StopOnRankOne(rank, hook)]).fit(batches)
        weights = [round(v, 6) for p in model.parameters() for v in p.detach().flatten().tolist()]
        history = timeless(result.history)
        out[hook] = {"steps": result.steps, "stopped": result.stopped_early, "history": history,
                     "weights": weights}
    leave_two_ranks(out)
    """
)


def test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(tmp_path: Path) -> None:
    """Fails on main: a hang (the rank that did not stop waits in its next all-reduce) or a gloo error.
    Rank 1 alone stops at step 3's batch end (a partial epoch 1), at epoch 2's start or at epoch 1's end."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), ",".join(_STEPS), timeout=60)
    assert first == second  # the same steps, history and weights: no rank trained a step the other did not
    for hook, steps in _STEPS.items():
        assert (first[hook]["steps"], first[hook]["stopped"], len(first[hook]["history"])) == (steps, True, 1)
    assert first["batch_end"]["history"][0]["partial"] == 1.0


_TWIN_WORKER = textwrap.dedent(
    """
    import json, sys
    import torch.distributed as dist
    from carrousel.core.train import distributed as d

    rank, store = int(sys.argv[1]), sys.argv[2]
    made, new_group, get_backend = [], dist.new_group, dist.get_backend

    def counted(*args, **kwargs):
        made.append(True)  # counted, not held: a destroyed group held to the exit can abort it (gloo)
        return new_group(*args, **kwargs)

    dist.new_group = counted
    dist.get_backend = lambda *group: get_backend(*group) if group else "nccl"  # the default group's: the twin's path
    out = []
    for round_ in range(2):  # a default group destroyed and made again gets its own twin
        dist.init_process_group("gloo", init_method=f"file://{store}{round_}", rank=rank, world_size=2)
        flags = [d.host_any_flags([rank == 1, False]), d.host_any_flags([rank == 0])]
        out.append({"flags": flags, "groups": len(made)})
        dist.barrier()  # both ranks done with the twin before it goes (a rank gone first: gloo's abort)
        dist.destroy_process_group()
        d.release_host_group()
    print(json.dumps(out))
    """
)


def test_host_any_flags_under_nccl_reduces_over_one_gloo_twin_per_default_group(tmp_path: Path) -> None:
    """The ``nccl`` path of host_any_flags (no CPU test reached it: the default group is gloo here, its
    backend reported as nccl): one ``gloo`` twin made per default group, none for the later calls, a new
    one after the default group is made again; the flags reduced as any_flags reduces them."""
    script = tmp_path / "twin.py"
    script.write_text(_TWIN_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", timeout=40)
    assert first == second
    assert first == [{"flags": [[True, False], [True]], "groups": n} for n in (1, 2)]


_LEAVE_WORKER = textwrap.dedent(
    """
    import json, os, sys
    import torch.distributed as dist
    from carrousel.core.atomic import discarding_writes
    from carrousel.core.train import distributed as d

    rank, store, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    os.environ.update(RANK=str(rank), WORLD_SIZE="2")  # as torchrun sets them: what results_discarded reads
    get_backend = dist.get_backend
    dist.get_backend = lambda *group: get_backend(*group) if group else "nccl"  # host_any_flags' gloo twin
    out = []
    for round_ in range(rounds):  # a new group each round, as each command line run makes one
        dist.init_process_group("gloo", init_method=f"file://{store}{round_}", rank=rank, world_size=2)
        flags = d.host_any_flags([rank == 1]) + d.host_any_flags([False])  # the twin's steps, then leave
        code = None
        if rank == 0:  # rank zero goes on, out of the group its peers left; a second call waits for none
            d.leave_to_rank_zero()
            d.leave_to_rank_zero()
        else:  # a command line's other rank: its outputs discarded, it ends here
            try:
                with discarding_writes():
                    d.leave_to_rank_zero()
            except SystemExit as done:
                code = done.code
        held = any(g is not None for g in d._HOST_GROUP)  # a destroyed twin held to the exit: gloo can abort
        out.append({"flags": flags, "joined": dist.is_initialized(), "exit": code, "held": held})
    print(json.dumps(out))
    """
)


def test_leave_to_rank_zero_waits_for_every_rank_and_every_rank_leaves_the_group(tmp_path: Path) -> None:
    """Fails on main: rank 1 destroyed the group as soon as it got there (no barrier: with the gloo twin of
    host_any_flags, gloo aborted a rank 1 run in 7) and rank zero stayed in a group its peer had left (its
    next group could not be made; a second call would have waited on the gone peer). Five command lines'
    worth of groups on two gloo ranks: every one ends on both ranks, rank 1 exiting 0."""
    script = tmp_path / "leave.py"
    script.write_text(_LEAVE_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", "5", timeout=40)
    assert first == [{"flags": [True, False], "joined": False, "exit": None, "held": False}] * 5
    assert second == [{"flags": [True, False], "joined": False, "exit": 0, "held": False}] * 5


_UNEVEN_WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from train_helpers import RegressionTask, Unsized, join_two_ranks, leave_two_ranks, linear_data, mlp, timeless
    from carrousel.core.train import TrainConfig, Trainer

    rank, (rank_one_batches, kind) = join_two_ranks()
    x, y = linear_data(80, seed=rank)
    # 5 batches an epoch on rank 0, rank_one_batches on rank 1: a list (a length) or without a length
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 80, 16)][: int(rank_one_batches) if rank else 5]
    model = mlp(dropout=0.0, seed=0)
    cfg = TrainConfig(epochs=2, lr=1e-2, accumulate=2, progress=False, device="cpu")
    try:
        result = Trainer(model, RegressionTask(), cfg).fit(batches if kind == "sized" else Unsized(batches))
    except Exception as exc:
        doc = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        weights = [round(v, 6) for p in model.parameters() for v in p.detach().flatten().tolist()]
        doc = {"steps": result.steps, "history": timeless(result.history), "weights": weights}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize("kind", ["unsized", "sized"])
def test_ranks_holding_different_numbers_of_batches_agree_on_the_epochs_end(
    tmp_path: Path, kind: str
) -> None:
    """Fails on main (a hang: the test's timeout): a loader yielding 5 batches an epoch on rank 0 and 3 on
    rank 1; rank 1 left the epoch for its all-reduce while rank 0 waited in the next step's. Without a
    length, each rank says it is out of batches in the batch end's all-reduce; with one (a list, split
    unevenly by the user: ``sized``, which failed on main after the unsized case was fixed), the ranks agree
    the fewest batches at the fit's start and each epoch ends there. Both end each epoch after 3 batches
    (2 optimiser steps with accumulate 2, the second on the window's one batch), with the same weights and
    history."""
    script = tmp_path / "uneven.py"
    script.write_text(_UNEVEN_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), "3", kind, timeout=60)
    assert first == second
    assert (first["steps"], len(first["history"])) == (4, 2)
    assert "partial" not in first["history"][-1]


@pytest.mark.parametrize("kind", ["unsized", "sized"])
def test_a_rank_with_no_batches_raises_the_same_error_on_every_rank(tmp_path: Path, kind: str) -> None:
    """Fails on main (a hang: the test's timeout): a loader yielding 5 batches an epoch on rank 0 and none
    on rank 1; rank 1 raised its "no batches" error alone while rank 0 waited in the first draw's
    all-reduce (without a length) or in the first step's (with one: ``sized`` failed on main after the
    unsized case was fixed). Now the empty start is agreed, in the first draw's all-reduce or in the
    lengths' at the fit's start: every rank raises the same DataError."""
    script = tmp_path / "empty.py"
    script.write_text(_UNEVEN_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), "0", kind, timeout=60)
    assert first == second
    assert first["error"].startswith("DataError: the training loader yielded no batches on at least one rank")
