"""Under torchrun, the ranks' per-batch agreement, and its check before backward at a window's boundary.

Every rank of a :class:`~carrousel.core.train.Trainer` under torchrun makes the same check at the same points
of the loop: one all-reduce (MAX, on the CPU: :func:`~.distributed.host_any_flags`) of three flags, a
callback's stop, a rank out of batches and a training failure kept on a rank
(:func:`~.epoch_end.failure_kept`). The checks all have that one shape, so that a rank which failed, or ran
out of batches, and goes to its next check meets the others in theirs wherever they are: after a batch
(:func:`~.epoch_end.agreed_stop`), as a batch is drawn ahead (:func:`~.epoch_end.agreed_batches`), or
before backward at an accumulation window's boundary (:func:`before_backward`).

That last one is where DDP all-reduces the gradients (inside backward) and the optimiser step reduces its
skip flags: a failure on one rank before it (the batch drawn, ``on_batch_start``, the forward pass, the loss)
left the other ranks in those all-reduces, the failing rank in its next check (gloo: "Connection reset by
peer" once it exited; nccl: the process group's timeout). So did a loader whose ``len`` overstates its
batches on one rank: that rank out of them early, the others training on. Now the others meet it before
backward: every rank raises (the failing one its own error, the others a ``CarrouselError`` naming it), or
ends the epoch at the shortest rank's batches, rank zero warning once per fit and naming the short ranks.

Cost: one more all-reduce of three flags per optimiser step (``accumulate`` micro-batches), none inside a
window (under ``no_sync`` nothing is reduced: a failure there meets the check after the batch). No
collective already made per step could carry the flags: the step's skip flags need the gradients (after
backward), the stop check ``on_batch_end``'s stop (after the step). On a loaded 1-core CPU (two gloo ranks)
one such all-reduce took 0.4-2 ms against steps of 3-10 ms of a tiny MLP; it is tens of microseconds on an
idle multi-core host, and under ``nccl`` it runs on the CPU's gloo twin group, not waiting for the GPU.

Not covered: a failure inside backward (the others in DDP's bucket all-reduces already), in the optimiser
step or in ``on_batch_end`` at a ``checkpoint_every`` step; and a failure before the forward pass (the
batch drawn, ``on_batch_start``) or a rank out of batches where DDP's forward itself communicates: every
forward of a model with buffers (``broadcast_buffers``), and for any model the first synchronised forward
after the first optimiser step, where DDP rebuilds its gradient buckets (a rank out after one window).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from carrousel.core.args import check_args
from carrousel.core.train import distributed as dist_utils
from carrousel.core.train.state import window_parts

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = ["EpochCut", "agree", "before_backward", "drop_window"]

logger = logging.getLogger(__name__)


class EpochCut(Exception):  # noqa: N818 (a signal, not an error: the epoch ends on every rank)
    """Raised by :func:`before_backward` when a rank ran out of batches: the batch in hand is not trained and
    the epoch ends (:func:`~.epoch_end.failure_kept` takes it)."""


@check_args
def agree(t: Trainer, out: bool = False) -> bool:
    """The ranks' check (one all-reduce of three flags; a collective, under torchrun only): sets
    ``t.should_stop`` when any rank's callback stopped, raises on every rank when training failed on any
    (:func:`~.distributed.raise_any_failure`; the error is kept in ``t.failure``, so that
    :func:`~.epoch_end.failure_kept` passes it on), and returns whether any rank is ``out`` of batches. A
    loader with a length (the ranks' agreed one, :func:`~.epoch_end.agreed_length`) that is out early on a
    rank is named by rank zero's warning, once per fit (one gather more, then)."""
    flags = [bool(t.should_stop), out, t.failure is not None]
    t.should_stop, any_out, failed = dist_utils.host_any_flags(flags)
    if failed:
        try:
            dist_utils.raise_any_failure(t.failure, "training")
        except Exception as exc:
            t.failure = exc
            raise
    if any_out and t.batches_per_epoch is not None:
        t.cuts += 1
        short = [r for r, o in enumerate(dist_utils.all_gather_objects(out)) if o] if t.cuts == 1 else []
        if short and t.rank_zero:
            logger.warning(
                "the training loader on rank %s ran out after %d batches, though its len() said %d: every "
                "rank ends each such epoch there; make len() match the batches the loader yields",
                ", ".join(map(str, short)), t.batch_in_epoch, t.batches_per_epoch,
            )  # fmt: skip
    return any_out


@check_args
def before_backward(t: Trainer, at_boundary: bool) -> None:
    """The check before backward at a window's boundary (:func:`agree`), under torchrun only (``at_boundary``:
    the micro-batch in hand ends an accumulation window; nothing is checked inside one).

    Raises:
        EpochCut: a rank ran out of batches: the epoch ends on every rank, this batch untrained.
        CarrouselError: training failed on another rank (named).
    """
    if at_boundary and t.env.enabled and agree(t):
        t.micro -= 1  # this micro-batch is not trained
        raise EpochCut


def drop_window(t: Trainer) -> None:
    """After an epoch cut short (:func:`agree`): the unfinished accumulation window's gradients dropped on
    every rank, no step taken on them. The ranks may have trained different numbers of its micro-batches
    (the short rank none of the last one), so an epoch-end step on it would meet no peer on some."""
    if parts := window_parts(t):
        t.micro -= parts
        t.optimizer.zero_grad(set_to_none=True)
