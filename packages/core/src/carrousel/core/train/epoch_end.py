"""An epoch's end and a stop inside one: the monitored value, the best epoch, the history and the checkpoints
of a :class:`~carrousel.core.train.Trainer`; and an epoch's start, where a callback's stop skips the epoch.

At an epoch's end (:func:`end_epoch`) the monitored value is checked, an epoch-level scheduler steps, the
best epoch is kept, the logs join the history, the callbacks hear of it, and a checkpoint of the next
epoch's start is written. A stop with batches of the epoch left (:func:`stopped_inside`: ``max_steps``
reached, or a callback setting ``trainer.should_stop`` in ``on_batch_end``) is checkpointed where it stopped
first (:func:`stop_state`), before validation (which can draw from the random generators) and any
bookkeeping, as ``checkpoint_every`` checkpoints: a resume with a larger budget continues that epoch
exactly. A stop inside a gradient-accumulation window takes no optimiser step (half a window is no step):
the window's gradients are saved in that checkpoint, for the resume to complete the window, and dropped
from the model. The stop's logs then join the history marked ``"partial": 1.0`` (:func:`stop_inside_epoch`:
the figures of the batches trained so far and a validation of the weights at the stop), but no
epoch-level scheduler steps: no epoch ended. Its weights may become the best ones (``best.pt``,
``restore_best``) only when the monitored value is a validation figure (the whole validation loader is
evaluated at the stop): a training figure of part of an epoch is not comparable with whole epochs', nor
does it count for :class:`~carrousel.core.train.EarlyStopping` (:func:`~.callbacks.compares_with_epochs`). A
loader without a length gives no way to tell its last batch: a stop there is taken as inside the epoch
(the resume then finds no batch left and ends it).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, DataError, NonFiniteLossError
from carrousel.core.train import distributed as dist_utils
from carrousel.core.train.boundary import EpochCut, agree, drop_window
from carrousel.core.train.callbacks import PARTIAL, compares_with_epochs, is_better
from carrousel.core.train.loaders import loader_length
from carrousel.core.train.optim import SCHEDULER_PER_STEP
from carrousel.core.train.state import draws_ahead, epoch_iterator, state_copy, window_parts

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = [
    "agreed_batches",
    "agreed_length",
    "agreed_save",
    "agreed_stop",
    "checkpoint_step",
    "end_epoch",
    "failure_kept",
    "max_steps_reached",
    "save_checkpoint",
    "start_epoch",
    "stop_inside_epoch",
    "stop_state",
    "stopped_inside",
]

logger = logging.getLogger(__name__)
_END = object()  # a rank out of batches (agreed_batches)


def start_epoch(t: Trainer) -> Iterator[Any] | None:
    """The batches of epoch ``t.epoch`` (:func:`~carrousel.core.train.state.epoch_iterator`), after the
    callbacks' ``on_epoch_start``; None when one of them set ``t.should_stop`` there: the fit ends before
    the epoch's first batch, which is not recorded (no step, validation, history entry, ``on_epoch_end``
    or checkpoint: the latest one, if any, of the epoch's start, stays the resume point). Before, the epoch
    trained one batch (an optimiser step, ``accumulate`` 1) and was logged as a partial one. The batches
    are started only for an epoch that runs: a skipped one draws no loader seed and starts no workers (it
    did both before, the iterator being built before ``on_epoch_start``; a callback drawing random
    numbers there now draws them before the loader's epoch-start state is recorded, the same in a resume).
    """
    t.callbacks.call("on_epoch_start", t, t.epoch)
    if not agreed_stop(t):
        return epoch_iterator(t)
    logger.info(
        "stopped at the start of epoch %d (should_stop set in on_epoch_start): no batch trained", t.epoch + 1
    )
    return None


def agreed_stop(t: Trainer) -> bool:
    """``t.should_stop``, the same on every rank: under torchrun (a process group of more than one rank) it
    is True on every rank when a callback set it on any (one all-reduce, MAX), and is then set on every
    rank; in one process it is read as it is. A collective: every rank calls it at the same points of the
    loop (each batch's end, each epoch's start and the top of the loop after an epoch's end; at a batch's
    end with the ranks' end of batches where that is agreed, :func:`agreed_batches`). Before, a stop
    set on one rank only (a callback reading a file or a clock, early stopping on a rank's own figure)
    ended that rank's loop while the others waited in the next step's all-reduce: a hang, or a split run.
    The flag is reduced on the CPU (:func:`~carrousel.core.train.distributed.host_any_flags`): under
    ``nccl`` the per-batch check does not wait for the GPU. A training failure kept on a rank
    (:func:`failure_kept`) travels in the same all-reduce: every rank raises then
    (:func:`~carrousel.core.train.distributed.raise_any_failure`).
    """
    if t.env.enabled:
        agree(t)  # the same five flags as every check: a rank that failed meets the others in theirs
    return bool(t.should_stop)


@contextlib.contextmanager
def failure_kept(t: Trainer) -> Iterator[None]:
    """Under torchrun, keeps an exception of the training step in ``t.failure`` instead of raising it:
    the ranks agree it in the next per-batch check (:func:`agreed_stop`, :func:`agreed_batches`) and every
    rank raises, this one its own error, the others a ``CarrouselError`` naming this rank and its error.
    Before, this rank raised alone while the others waited in their next collective: a hang. In one
    process the exception is raised as it is."""
    try:
        yield
    except EpochCut:  # agreed before backward (boundary.before_backward): agreed_batches ends the epoch
        pass
    except Exception as exc:
        if not t.env.enabled or exc is t.failure:  # an agreed failure (boundary.agree): raised on
            raise
        t.failure = exc


def agreed_batches(t: Trainer, batches: Iterator[Any]) -> Iterator[Any]:
    """The batches of the epoch, up to the first stop: the loop trains each one it is given; after each
    batch ``max_steps`` ends the epoch (the same step on every rank), else a callback's stop is agreed
    (:func:`agreed_stop`) before the next batch is drawn. Under torchrun with a loader without a length
    (an iterable, a ``DataLoader`` of an ``IterableDataset``), where the ranks may hold different numbers of
    batches, the epoch's end is agreed too: each rank draws its next batch first and says whether it is out
    of them in the same all-reduce as the stop, and the epoch ends on every rank when any is out (the other
    ranks' drawn batches unused, the epoch a whole one). Before, the rank out of batches left the loop for
    the epoch's all-reduce while the others waited in the next step's: a hang, or a split run. A loader
    with a length (sharded into equal parts by :func:`~.distributed.shard_loader`, or split unevenly by
    its user) is not drawn ahead: under torchrun the epoch ends after the ranks' agreed number of batches
    (:func:`agreed_length`), no batch drawn past it.

    Under torchrun a training failure on one rank (kept by :func:`failure_kept`, or the loader raising as a
    batch is drawn) travels in that same all-reduce, and every rank raises (at ``max_steps``, one more
    all-reduce of the flag, once per fit). Where the other ranks wait in no other collective first, that
    reaches them: a failure after the step (``on_batch_end``), one inside an accumulation window (under
    ``no_sync``), a loader without a length raising. A failure before backward at a window's boundary
    (the batch drawn, ``on_batch_start``, the forward pass, the loss) meets the others in the check made
    there, before DDP's gradient all-reduce (:func:`~.boundary.before_backward`, one all-reduce per
    optimiser step); so does a rank whose loader runs out before its ``len()``: the epoch ends on every
    rank, the unfinished window dropped (except where DDP's forward communicates: see that module). Before,
    the others waited in DDP's all-reduce (gloo: "Connection reset by peer"). A failure after backward (before or in the optimiser step, in ``on_batch_end``, at a
    ``checkpoint_every`` step too) meets the others in the step's check, the check after the batch or the
    checkpoint's (:func:`checkpoint_step`). Still not reached: a failure inside backward while DDP
    all-reduces the gradients (the others in those all-reduces): they wait until the process group's
    timeout, or torchrun ends them.

    Raises:
        DataError: under torchrun with a loader without a length, a rank out of batches at the epoch's
            start: raised on every rank (agreed in the first draw's all-reduce). Before, that rank raised
            alone while the others waited in the all-reduce: a hang.
        CarrouselError: under torchrun, on the other ranks when training failed on one (that one raises
            its own error): :func:`~carrousel.core.train.distributed.raise_any_failure`.
    """
    if not draws_ahead(t):
        cut = t.env.enabled and t.batches_per_epoch is not None  # the ranks' agreed length (agreed_length)
        cuts = t.cuts  # a rank out of batches before its len(): agreed in a check, counted (boundary.agree)
        while not (cut and t.batch_in_epoch >= (t.batches_per_epoch or 0)):  # no batch drawn past it
            t.batch_agreed = False  # set by the batch's last check when it stands for the one after it
            with failure_kept(t):
                if (batch := next(batches, _END)) is _END:
                    if cut:  # the others meet this rank in their next check, and end the epoch too
                        agree(t, out=True)
                        drop_window(t)
                    return
            if t.failure is None:
                yield batch
            ended = t.cuts != cuts or max_steps_reached(t)  # cut before backward (boundary.before_backward)
            if t.cuts == cuts and not t.batch_agreed:  # else agreed there, or in the batch's last check
                ended = agreed_stop(t) or ended  # the check after the batch, at max_steps too
            if t.cuts != cuts:  # a rank out of batches, agreed in either check
                drop_window(t)
                return
            if ended:
                return
        return
    first = t.batch_in_epoch == 0  # the epoch's start: no batch on a rank is an error, agreed like the end
    while True:
        batch = _END
        with failure_kept(t):
            if t.failure is None:  # a rank whose step failed draws no batch more
                batch = next(batches, _END)
        out = agree(t, out=batch is _END)  # the ranks' check, as after a batch and before backward
        if out and first:
            raise DataError(
                "the training loader yielded no batches on at least one rank; check the dataset, batch_size "
                "and drop_last, and that an IterableDataset gives every rank a share"
            )
        if t.should_stop or out:
            return
        first = False
        yield batch
        if max_steps_reached(t):  # no draw follows: its check made here (a failure kept on a rank raised)
            agreed_stop(t)
            return


def agreed_length(t: Trainer) -> int | None:
    """The batches an epoch takes on every rank, from the length of this rank's ``t.train_loader`` (None: no
    ``len``): under torchrun the ranks' fewest (one all-gather at the fit's start), None on every rank when
    any loader has no length (the epoch's end is then agreed batch by batch, :func:`agreed_batches`); the
    loader's own length in one process. A loader a user split unevenly (3 batches on rank 0, 2 on rank 1) trains the fewest on each
    rank, :func:`agreed_batches` drawing no batch past them; before, the rank out of batches left the epoch
    for its all-reduce while the others waited in the next step's: a hang, or a gloo error.

    Raises:
        DataError: under torchrun, a rank's loader with a length of 0 (the same error on every rank).
    """
    length = loader_length(t.train_loader)
    if not t.env.enabled:
        return length
    lengths = dist_utils.all_gather_objects(length)  # a collective: every rank calls it in fit
    if any(n is None for n in lengths):
        return None
    if min(lengths) == 0:
        raise DataError(
            "the training loader yielded no batches on at least one rank; check the dataset, batch_size "
            "and drop_last, and that every rank gets a share"
        )
    if max(lengths) != min(lengths) and t.rank_zero:
        logger.warning(
            "the ranks' training loaders hold different numbers of batches (%s): every rank trains the "
            "fewest, %d, each epoch; shard the data evenly (a DataLoader is sharded for you) to use them all",
            ", ".join(map(str, lengths)), min(lengths),
        )  # fmt: skip
    return int(min(lengths))


def end_epoch(t: Trainer, logs: dict[str, float]) -> None:
    """The end of epoch ``t.epoch``: best epoch, history, callbacks, then the next epoch's checkpoint.

    Raises:
        NonFiniteLossError: every optimiser step so far was skipped (nothing was trained).
        ConfigError: the monitored or tie-break key is not logged.
    """
    cfg = t.config
    value = _monitored(t, logs)
    sched = t.scheduler
    if sched is not None and cfg.scheduler.lower() not in SCHEDULER_PER_STEP:
        with warnings.catch_warnings():  # a resume with no batch of the epoch left: its steps were taken
            if t.step:  # before the checkpoint, which PyTorch cannot know ("scheduler before optimizer")
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step", UserWarning)
            sched.step(value) if cfg.scheduler.lower() == "plateau" else sched.step()
    improved = _keep_best(t, logs, value)
    t.history.append(logs)
    t.callbacks.call("on_epoch_end", t, t.epoch, logs)
    t.epoch += 1
    t.batch_in_epoch, t.micro, t.sums = 0, 0, [0.0, 0.0, 0.0, 0.0]
    agreed_save(t, best=improved)


def max_steps_reached(t: Trainer) -> bool:
    """Whether ``t`` took its ``max_steps`` optimiser steps (never without a ``max_steps``)."""
    return t.config.max_steps is not None and t.step >= t.config.max_steps


def stopped_inside(t: Trainer) -> bool:
    """Whether the fit stops with batches of epoch ``t.epoch`` left: ``max_steps`` reached or a callback's
    ``should_stop``, before the epoch's last batch (a loader without a length: taken as inside). Before, a
    callback's stop was taken as the epoch's end: a half accumulation window was stepped, the partial epoch
    logged as a finished one and checkpointed as the next epoch's start (a resume skipped the rest)."""
    stop = t.should_stop or max_steps_reached(t)
    return stop and not (t.batches_per_epoch is not None and t.batch_in_epoch >= t.batches_per_epoch)


def stop_state(t: Trainer) -> dict[str, Any] | None:
    """Checkpoints a stop inside an epoch where it stopped (unless ``checkpoint_every`` just did, at this
    step), before validation; returns that state for ``best.pt`` (None: no checkpoints, or not rank zero).
    Inside an accumulation window, the window's gradients go into that state (averaged over the ranks under
    torchrun first) and are then dropped: no optimiser step is taken on half a window."""
    window = window_parts(t) != 0
    state = None
    if t.ckpt is not None:
        t.figures.settle(t)  # on every rank, as save_checkpoint does
        if window and t.env.enabled:  # accumulated under no_sync: each rank's own until now
            dist_utils.average_gradients([p for p in t.model.parameters() if p.grad is not None])
        state = t.state_dict() if t.rank_zero else None
        every = t.config.checkpoint_every
        if window or not (every and t.step % every == 0):  # else _train_batch wrote this state already
            agreed_save(t, state=state)
    if window:
        t.optimizer.zero_grad(set_to_none=True)
    return state


def stop_inside_epoch(t: Trainer, logs: dict[str, float], state: dict[str, Any] | None) -> None:
    """A stop inside epoch ``t.epoch``, checkpointed by :func:`stop_state` (``state``): its logs join the
    history marked :data:`PARTIAL`; the epoch, its batch position and sums stay as they are and no
    epoch-level scheduler steps.

    Its weights become the best (``best.pt`` is then ``state``, and the ``restore_best`` weights) only when
    they improve a monitored value measured on the whole validation set (``monitor`` a ``val_`` key and a
    validation loader): a partial epoch's training figures (``train_loss``, monitored without a validation
    loader) cover part of an epoch's batches and do not compete with whole epochs'. The stop's checkpoint
    is then written again with that best (only its ``best_*`` entries change): a resume kept the best of
    before the stop, and when no later epoch beat that one, its ``best_epoch`` and ``restore_best`` weights
    named another epoch than ``best.pt`` held. The resumed ``best_score`` may then be this partial figure,
    which the resumed history (a straight run's, without the partial entry) does not hold.
    """
    value = _monitored(t, logs)
    logs[PARTIAL] = 1.0
    improved = compares_with_epochs(t, t.monitor, logs) and _keep_best(t, logs, value)  # as EarlyStopping's
    t.history.append(logs)
    t.callbacks.call("on_epoch_end", t, t.epoch, logs)
    if improved and state is not None and t.ckpt is not None:
        state.update(best_score=t.best_score, best_epoch=t.best_epoch, best_tie=t.best_tie)
        state["best_model"] = t.best_model
        t.best_checkpoint = t.ckpt.save_best(state)
        t.last_checkpoint = t.ckpt.save(state, t.epoch, t.step)  # the resume knows best.pt holds the stop
    why = f"max_steps={t.config.max_steps} reached" if max_steps_reached(t) else "stopped"
    of = f" of {t.batches_per_epoch}" if t.batches_per_epoch is not None else ""
    logger.info(
        "%s at batch %d%s of epoch %d (step %d): its history entry is marked %r%s",
        why, t.batch_in_epoch, of, t.epoch + 1, t.step, PARTIAL,
        f"; resume continues it from {t.last_checkpoint}" if t.last_checkpoint else "",
    )  # fmt: skip


def checkpoint_step(t: Trainer) -> None:
    """The checkpoint of a ``checkpoint_every`` step, from inside the batch. Under torchrun the ranks agree
    (:func:`~.boundary.agree`) before rank zero writes, and again in place of the barrier after it: a
    failure on any rank in the step or ``on_batch_end`` (whose rank goes to its next check) meets the others
    in the first, and no checkpoint is written of that step; one in the write on rank zero in the second
    (:func:`agreed_save`), which also stands for the check after the batch (``t.batch_agreed``)."""
    if not t.env.enabled:
        save_checkpoint(t)
        return
    agree(t)
    agreed_save(t)  # its check (none without a checkpoint folder: the first then stands for it)
    t.batch_agreed = True


@check_args
def agreed_save(t: Trainer, best: bool = False, state: dict[str, Any] | None = None) -> None:
    """:func:`save_checkpoint`; under torchrun its failure on rank zero (the write, ``on_checkpoint``) is kept
    and the ranks agree (:func:`~.boundary.agree`) in place of the barrier: every rank raises ``training
    failed on rank 0 (...)``. Before, at an epoch's end or a stop inside one, the others hung in the barrier."""
    if not t.env.enabled or t.ckpt is None:
        save_checkpoint(t, best=best, state=state)
        return
    try:
        save_checkpoint(t, best=best, state=state, wait=False)
    except Exception as exc:
        t.failure = exc
    agree(t)


@check_args
def save_checkpoint(
    t: Trainer, best: bool = False, state: dict[str, Any] | None = None, wait: bool = True
) -> None:
    """Writes the trainer's state (or ``state``, captured earlier) as its latest checkpoint, and as
    ``best.pt`` when ``best``; on rank zero, the other ranks waiting (a barrier, unless not ``wait``: the
    caller's next collective then does, :func:`checkpoint_step`). Nothing without a checkpoint folder."""
    if t.ckpt is None:
        return
    t.figures.settle(t)  # no checkpoint of weights a non-finite step went into, unnoticed
    if t.rank_zero:
        state = t.state_dict() if state is None else state
        t.last_checkpoint = t.ckpt.save(state, t.epoch, t.step)
        if best:
            t.best_checkpoint = t.ckpt.save_best(state)
        t.callbacks.call("on_checkpoint", t, t.last_checkpoint)
    if wait:
        dist_utils.barrier()


def _monitored(t: Trainer, logs: dict[str, float]) -> float:
    """The monitored value of ``logs``, after the checks every epoch's end makes."""
    if t.step and t.skipped == t.step:  # "skip" is for a stray bad batch: this trained nothing
        raise NonFiniteLossError(
            f"all {t.step} optimiser steps up to epoch {t.epoch + 1} were skipped for a non-finite "
            "loss or gradient, so nothing was trained; check the inputs and targets for NaN/inf "
            "(torch.isfinite(x).all()) or lower the learning rate"
        )
    if t.monitor not in logs:
        raise ConfigError(f"monitor {t.monitor!r} is not logged; pick one of {sorted(logs)}")
    value = logs[t.monitor]
    if not math.isfinite(value) and all(math.isfinite(h.get(t.monitor, 0.0)) for h in t.history):
        logger.warning(  # once per fit: no such epoch can be kept as the best, nor stop early
            "the monitored %s is %s at epoch %d; check the %s batches for NaN/inf (inputs, targets) or "
            "lower the learning rate",
            t.monitor, value, t.epoch + 1, "held-out" if t.monitor.startswith("val_") else "training",
        )  # fmt: skip
    if t.tie_break is not None and t.tie_break not in logs:
        raise ConfigError(f"tie_break {t.tie_break!r} is not logged; pick one of {sorted(logs)}")
    return value


def _keep_best(t: Trainer, logs: dict[str, float], value: float) -> bool:
    """Keeps epoch ``t.epoch`` as the best when its monitored ``value`` improves; returns whether it did."""
    cfg = t.config
    tie = None if t.tie_break is None else logs[t.tie_break]
    improved = is_better(value, t.best_score, cfg.mode, cfg.min_delta) or (
        tie is not None and value == t.best_score and is_better(tie, t.best_tie, "min")
    )  # before: an exact tie kept the first epoch, however much lower a later one's tie_break value
    if improved:
        t.best_score, t.best_epoch, t.best_tie = value, t.epoch + 1, tie
        if cfg.restore_best and t.ema is not None:
            t.best_model = t.ema.averaged_state(t.model)
        elif cfg.restore_best:
            t.best_model = state_copy(t.model)
    return improved
