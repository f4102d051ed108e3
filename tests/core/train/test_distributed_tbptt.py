"""Truncated BPTT under torchrun (two gloo ranks, CPU) with a loader whose ``len`` overstates its batches on one
rank: each batch is cut into chunks along time (``tbptt_steps``), each chunk a micro-batch, so the rank out of
batches is out while the other is inside a batch's chunks (mid-sequence). Its "out" flag meets the other rank
in the check before that rank's next backward at a boundary
(:func:`~carrousel.core.train.boundary.before_backward`): the epoch ends on both ranks at the short rank's
batches, the unfinished window dropped, the same steps and weights on both. With ``accumulate=5`` this failed
on main: the cut rank had run a synchronised forward with no backward, and its next backward under
``no_sync`` all-reduced the gradients alone (gloo: "collective mismatch", abort); ``drop_window`` now resets
DDP's reducer on every rank. ``accumulate=1`` passed on main too (it guards the chunk loop's agreement)."""

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
    from train_helpers import EchoTask, StreamTagger, echo_streams, join_two_ranks, leave_two_ranks
    from carrousel.core.train import TrainConfig, Trainer

    rank, (accumulate,) = join_two_ranks()
    stream = echo_streams(4, 12 * 6, delay=2, seed=rank)
    batches = [{k: v[:, s : s + 12] for k, v in stream.items()} for s in range(0, 12 * 6, 12)]

    class Overstated:  # says 6 batches of 12 steps (3 chunks of 4 each); rank 1 yields 4
        def __len__(self):
            return len(batches)

        def __iter__(self):
            return iter(batches[: 4 if rank == 1 else 6])

    cfg = TrainConfig(
        epochs=2, lr=1e-2, progress=False, device="cpu", tbptt_steps=4, tbptt_carry=True,
        accumulate=int(accumulate),
    )
    torch.manual_seed(0)
    trainer = Trainer(StreamTagger(8), EchoTask(), cfg)
    try:
        result = trainer.fit(Overstated())
    except Exception as exc:
        doc = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        weights = sum(float(p.double().sum()) for p in trainer.model.parameters())
        doc = {"error": None, "steps": trainer.step, "epochs": len(result.history), "weights": weights}
    leave_two_ranks(doc)
    """
)


@pytest.mark.parametrize(("accumulate", "steps"), [(1, 24), (5, 4)])
def test_tbptt_with_a_rank_out_of_batches_mid_sequence_ends_every_rank_epoch(
    tmp_path: Path, accumulate: int, steps: int
) -> None:
    """Both ranks train rank 1's 4 batches (12 chunks) an epoch, then stop: 12 optimiser steps an epoch with
    ``accumulate=1`` (rank 1 out as rank 0 is at a boundary); with ``accumulate=5`` 2 steps (10 chunks) and the
    window of chunks 11-12 (and rank 0's chunks of its fifth batch) dropped: rank 0 meets rank 1's "out" in
    the check before backward of its third chunk of that batch. The weights stay the same on both ranks."""
    script = tmp_path / "tbptt.py"
    script.write_text(_WORKER)
    first, second = run_two_ranks(script, tmp_path / "store", str(HERE), str(accumulate), timeout=60)
    assert first["error"] is None and second["error"] is None, (first, second)
    assert first["steps"] == second["steps"] == steps, (first, second)
    assert first["epochs"] == second["epochs"] == 2
    assert first["weights"] == pytest.approx(second["weights"], rel=1e-6)
