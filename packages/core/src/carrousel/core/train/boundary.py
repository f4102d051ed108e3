"""Under torchrun, the ranks' per-batch agreement, and its check before backward at a window's boundary.

Every rank of a :class:`~carrousel.core.train.Trainer` under torchrun makes the same check at the same points
of the loop: one all-reduce (MAX, on the CPU: :func:`~.distributed.host_any_flags`) of five flags, a
callback's stop, a rank out of batches, a training failure kept on a rank (:func:`~.epoch_end.failure_kept`)
and the optimiser step's two skip flags (False elsewhere). The checks all have that one shape, so that a rank
which failed, or ran out of batches, and goes to its next check meets the others in theirs wherever they are:
after a batch (:func:`~.epoch_end.agreed_stop`), as a batch is drawn ahead (:func:`~.epoch_end.agreed_batches`),
before backward at an accumulation window's boundary (:func:`before_backward`), at the optimiser step
(:func:`step_check`), or around a ``checkpoint_every`` checkpoint (:func:`~.epoch_end.checkpoint_step`).

Before backward is where DDP all-reduces the gradients (inside backward): a failure on one rank before it (the
batch drawn, ``on_batch_start``, the forward pass, the loss) left the other ranks in those all-reduces, the
failing rank in its next check (gloo: "Connection reset by peer" once it exited; nccl: the process group's
timeout). So did a loader whose ``len`` overstates its batches on one rank: that rank out of them early, the
others training on. Now the others meet it before backward: every rank raises (the failing one its own
error, the others a ``CarrouselError`` naming it), or ends the epoch at the shortest rank's batches, rank zero
warning once per fit and naming the short ranks. A failure after backward (the figures, clipping: before the
step's check; the step; ``on_batch_end``; at a checkpoint step too) meets the others in the step's check, the
check after the batch, or the checkpoint's checks.

Cost: per optimiser step, the check before backward and the step's check (which was an all-reduce of its two
flags before); the check after the batch is left out where the step's check stands for it
(:func:`after_step_agreed`: no ``on_batch_end`` hook that may stop, no buffers, not the epoch's last batch),
so two all-reduces per step with ``accumulate=1``, as before this check existed. Folding the check before
backward with the check after the previous batch is not possible without changing what a stop means: the
next batch would be drawn, ``on_batch_start`` called and the forward run before a stop agreed. Inside a
window (under ``no_sync`` nothing is reduced) only the check after each batch is made. On a loaded 1-core CPU
(two gloo ranks) one such all-reduce took 0.4-2 ms against steps of 3-10 ms of a tiny MLP; it is tens of
microseconds on an idle multi-core host, and under ``nccl`` it runs on the CPU's gloo twin group, not waiting
for the GPU.

Not covered: a failure inside backward while DDP all-reduces its gradient buckets (the others wait in those
all-reduces, which the failing rank never joins: no check can come before them); and a failure before the
forward pass (the batch drawn, ``on_batch_start``) or a rank out of batches where DDP's forward itself
communicates: every forward of a model with buffers (``broadcast_buffers``), and for any model the first
synchronised forward after the first optimiser step, where DDP rebuilds its gradient buckets (a rank out
after one window). For the same reason the check after the batch is kept with buffers and for the first two
steps (:func:`after_step_agreed`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from torch.nn.parallel import DistributedDataParallel

from carrousel.core.args import check_args
from carrousel.core.train import distributed as dist_utils
from carrousel.core.train.hooks import Callback
from carrousel.core.train.loggers import ProgressBar
from carrousel.core.train.state import window_parts

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = [
    "EpochCut",
    "after_step_agreed",
    "agree",
    "before_backward",
    "drop_window",
    "fold_allowed",
    "step_check",
]

logger = logging.getLogger(__name__)


class EpochCut(Exception):  # noqa: N818 (a signal, not an error: the epoch ends on every rank)
    """Raised by :func:`before_backward` when a rank ran out of batches: the batch in hand is not trained and
    the epoch ends (:func:`~.epoch_end.failure_kept` takes it)."""


@check_args
def agree(t: Trainer, out: bool = False) -> bool:
    """The ranks' check (one all-reduce of the five flags; a collective, under torchrun only): sets
    ``t.should_stop`` when any rank's callback stopped, raises on every rank when training failed on any
    (:func:`~.distributed.raise_any_failure`; the error is kept in ``t.failure``, so that
    :func:`~.epoch_end.failure_kept` passes it on), and returns whether any rank is ``out`` of batches. A
    loader with a length (the ranks' agreed one, :func:`~.epoch_end.agreed_length`) that is out early on a
    rank is named by rank zero's warning, once per fit (one gather more, then)."""
    return _agree(t, out, False, False)[0]


@check_args
def step_check(t: Trainer, window_bad: bool, norm_bad: bool) -> tuple[bool, bool]:
    """The optimiser step's agreement under torchrun: whether any rank's window held a non-finite loss, and
    whether any rank's gradient norm is not finite, reduced in the ranks' check (:func:`agree`, the same
    five flags), so that a rank which failed after backward (its figures, the clipping) and went to its
    next check meets the others here: every rank raises. Before, this was an all-reduce of two flags of its
    own, where the others waited while the failing rank sent three: a hang."""
    return _agree(t, False, window_bad, norm_bad)[1:]


def _agree(t: Trainer, out: bool, window_bad: bool, norm_bad: bool) -> tuple[bool, bool, bool]:
    """:func:`agree` with the step's two flags (:func:`step_check`): any rank out, any window bad, any norm
    bad."""
    flags = [bool(t.should_stop), out, t.failure is not None, window_bad, norm_bad]
    t.should_stop, any_out, failed, any_window, any_norm = dist_utils.host_any_flags(flags)
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
    return any_out, any_window, any_norm


def fold_allowed(t: Trainer) -> bool:
    """Whether, in this fit, the optimiser step's check (:func:`step_check`) may stand for the check after
    its batch (:func:`after_step_agreed`): no rank has an ``on_batch_end`` hook that may set a stop (any
    callback's but the progress bar's) and the model has no buffers (DDP's forward then broadcasts them: a
    rank that failed after the step would meet that broadcast in its check). One all-reduce per fit, under
    torchrun only (False in one process)."""
    if not t.env.enabled:
        return False
    own = [
        cb
        for cb in t.callbacks.callbacks
        if type(cb).on_batch_end is not Callback.on_batch_end and not isinstance(cb, ProgressBar)
    ]
    buffers = any(True for _ in t.model.buffers())
    return not dist_utils.host_any_flags([bool(own) or buffers])[0]


def after_step_agreed(t: Trainer) -> bool:
    """Whether the check after the batch just trained may be left out, the optimiser step's check
    (:func:`step_check`) having carried its flags: the batch ended with a step, in a fit that allows it
    (:func:`fold_allowed`), two steps in (DDP's forward rebuilds its buckets, a collective, at the first
    synchronised forward after the first step), and the loop goes on to the next batch (not at
    ``max_steps`` nor the epoch's last batch, where other collectives follow). The only collective each rank
    enters next is then a check: before backward (:func:`before_backward`), or the check after the next
    batch. A rank whose step or ``on_batch_end`` failed makes the check after the batch and meets the
    others there, as before. Saves one all-reduce per optimiser step."""
    cfg = t.config
    return (
        t.fold
        and window_parts(t) == 0
        and t.step >= 2
        and not (cfg.max_steps is not None and t.step >= cfg.max_steps)
        and not (t.batches_per_epoch is not None and t.batch_in_epoch >= t.batches_per_epoch)
    )


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
    (the short rank none of the last one), so an epoch-end step on it would meet no peer on some.

    DDP's reducer is reset on every rank: a rank cut before backward (:func:`before_backward`) ran a
    synchronised forward, which leaves its reducer waiting for that backward, and its next backward under
    ``no_sync`` (``accumulate`` > 1, a TBPTT chunk) then all-reduced the gradients alone: gloo's "collective
    mismatch" abort. The reset makes every rank rebuild its buckets once more, together, after the next step.
    """
    if parts := window_parts(t):
        t.micro -= parts
        t.optimizer.zero_grad(set_to_none=True)
    if isinstance(t._net, DistributedDataParallel):
        t._net.reducer._reset_state()
