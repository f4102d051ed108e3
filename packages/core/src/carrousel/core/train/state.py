"""Capture and restore of everything a trainer checkpoint holds (plain types and tensors only)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from carrousel.core.config import to_dict
from carrousel.core.device import move_to
from carrousel.core.errors import CheckpointError, DataError
from carrousel.core.train.seed import get_rng_state, set_rng_state

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = [
    "capture",
    "draws_ahead",
    "epoch_iterator",
    "plain_state",
    "restore",
    "resumable_sampler",
    "state_copy",
    "window_grads",
    "window_parts",
]

logger = logging.getLogger(__name__)


def state_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of ``model``'s ``state_dict`` (weights and buffers), detached, on the model's devices."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def resumable_sampler(loader: Any) -> Any:
    """The loader's batch sampler or sampler when it can skip batches and save its state, else None."""
    for part in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
        if part is not None and hasattr(part, "state_dict") and hasattr(part, "skip"):
            return part
    return None


def loader_rng_state(loader: Any) -> list[torch.Tensor]:
    """States of the ``torch.Generator`` a loader shuffles with (``DataLoader(generator=g)``), if any."""
    return [g.get_state() for g in _loader_generators(loader)]


def set_loader_rng_state(loader: Any, states: list[torch.Tensor] | None) -> None:
    """Puts back states from :func:`loader_rng_state` (none recorded: nothing to do)."""
    generators = _loader_generators(loader)
    if states is None or len(states) != len(generators):
        if states:
            logger.warning(
                "the loader's own random generators differ from the checkpoint's: the order changes"
            )
        return
    for generator, state in zip(generators, states, strict=True):
        generator.set_state(state)


def _loader_generators(loader: Any) -> list[torch.Generator]:
    # DataLoader(generator=g) hands g to its RandomSampler; the global RNG states do not cover it
    found: dict[int, torch.Generator] = {}
    for part in (loader, getattr(loader, "sampler", None)):
        generator = getattr(part, "generator", None)
        if isinstance(generator, torch.Generator):
            found.setdefault(id(generator), generator)
    return list(found.values())


def plain_state(state: Any) -> Any:
    """Turns namedtuples into tuples so that a carried stream state can be saved with weights_only."""
    if isinstance(state, tuple):
        return tuple(plain_state(s) for s in state)
    if isinstance(state, list):
        return [plain_state(s) for s in state]
    if isinstance(state, dict):
        return {k: plain_state(v) for k, v in state.items()}
    return state


def capture(t: Trainer) -> dict[str, Any]:
    """Model, optimiser, scheduler, scaler, counters, RNG states (a validation loader's own generator
    included: a resume validates in the order a straight run does), sampler position, history, callbacks,
    the weight average, and inside an accumulation window its gradients (a stop there: ``.epoch_end``)."""
    sampler = resumable_sampler(t.train_loader)
    return {
        "model": t.model.state_dict(),
        "optimizer": t.optimizer.state_dict(),
        "scheduler": t.scheduler.state_dict() if t.scheduler is not None else {},
        "scaler": t.scaler.state_dict() if t.scaler is not None else {},
        "epoch": t.epoch,
        "batch_in_epoch": t.batch_in_epoch,
        "step": t.step,
        "micro": t.micro,
        "sums": list(t.sums),
        "skipped": t.skipped,
        "rng": {
            **get_rng_state(),
            "loader": loader_rng_state(t.train_loader),
            "val_loader": loader_rng_state(t.val_loader),
        },
        "epoch_rng": t.epoch_rng if t.batch_in_epoch else None,
        "history": list(t.history),
        "best_score": t.best_score,
        "best_epoch": t.best_epoch,
        "best_tie": t.best_tie,
        "best_model": t.best_model,
        "callbacks": t.callbacks.state_dict(),
        "ema": t.ema.state_dict() if t.ema is not None else None,
        "sampler": sampler.state_dict() if sampler is not None else {},
        "stream_state": plain_state(t.stream_state) if t.config.tbptt_carry else None,
        "config": to_dict(t.config),
        "world_size": t.env.world_size,
        "grads": window_grads(t.model) if window_parts(t) else None,
    }


def window_parts(t: Trainer) -> int:
    """The micro-batches (batches, or TBPTT chunks) of ``t``'s current gradient-accumulation window trained
    and not yet stepped on: 0 at a window's boundary (its last micro-batch just trained, or none yet), else
    how many of ``accumulate`` (an epoch's end steps on them, a stop inside it saves their gradients). The
    one home of ``t.micro % accumulate``, which the training step, the epoch's end and the checkpoint read."""
    return t.micro % t.config.accumulate


def window_grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The gradients accumulated so far in an unfinished accumulation window, by parameter name."""
    return {name: p.grad for name, p in model.named_parameters() if p.grad is not None}


# settings the checkpoint's optimiser and scheduler state carry, and the one they matter for (None: all)
_KEPT = {"lr": None, "weight_decay": None, "scheduler": None, "momentum": "sgd", "step_size": "step plateau"}
_KEPT |= {"gamma": "step plateau", "warmup_pct": "onecycle"}


def _load_optimizer(t: Trainer, state: dict[str, Any]) -> None:
    """Loads the optimiser's state, refusing one written by another optimiser and saying which settings of
    ``t.config`` the checkpoint's optimiser and scheduler state override.

    Raises:
        CheckpointError: another optimiser (its state would not fit: SGD raised KeyError 'momentum' at the
            first step, Adam silently ran AdamW's decoupled weight decay), or other parameter groups.
    """
    saved = state.get("config") or {}
    was, now = str(saved.get("optimizer", t.config.optimizer)).lower(), t.config.optimizer.lower()
    if was != now:
        raise CheckpointError(
            f"the checkpoint was written with optimizer={was!r}, this trainer's is {now!r}; its optimiser "
            f"state does not fit another optimiser: resume with optimizer={was!r}, or start a new fit"
        )
    try:
        t.optimizer.load_state_dict(state["optimizer"])
    except (ValueError, KeyError) as exc:  # other parameter groups (lr_scales) or another model's parameters
        raise CheckpointError(
            f"the checkpoint's optimiser state does not fit this trainer's ({exc}); resume with the "
            "TrainConfig it was written with (lr_scales)"
        ) from None
    changed = [
        f"{k}={saved[k]!r} (TrainConfig now: {getattr(t.config, k)!r})"
        for k, used in _KEPT.items()
        if k in saved
        and saved[k] != getattr(t.config, k)
        and (used is None or {t.config.optimizer.lower(), t.config.scheduler.lower()} & set(used.split()))
    ]
    if changed:  # exact continuation: the optimiser's and scheduler's state carry the checkpoint's settings
        logger.warning(
            "resuming continues the checkpoint's optimiser and scheduler state, written with %s; a new "
            "value is not applied as a new fit would apply it (the learning rate stays the checkpoint's): "
            "start a new fit, without resume, to use it",
            ", ".join(changed),
        )


# the scheduler state keys that size a schedule by the fit's budget (epochs, max_steps), and their unit
_BUDGET = {"total_steps": "steps", "T_max": "epochs"}  # onecycle, cosine


def _warn_schedule_budget(t: Trainer, saved: dict[str, Any]) -> None:
    """Logs once when the checkpoint's schedule was sized for another budget than this fit's. The resumed
    run cannot equal a straight run with the new budget (the steps taken followed the old schedule), so the
    checkpoint's schedule continues, as a changed ``lr`` does; before, the change went without a word."""
    for key, unit in _BUDGET.items():
        was, now = saved.get(key), getattr(t.scheduler, key, None)
        if was is not None and now is not None and was != now:
            cfg = t.config
            logger.warning(
                "the checkpoint's %s schedule was sized for %d %s, this fit's budget (epochs=%d, max_steps=%s) "
                "sizes it for %d: the resume keeps the checkpoint's schedule and differs from a straight run "
                "with the new budget; start a new fit, without resume, for a schedule over %d %s",
                cfg.scheduler, was, unit, cfg.epochs, cfg.max_steps, now, now, unit,
            )  # fmt: skip


def restore(t: Trainer, state: dict[str, Any]) -> None:
    """Loads what :func:`capture` returned into trainer ``t`` (RNG states included).

    Raises:
        CheckpointError: the checkpoint's weights do not fit ``t.model`` (another architecture or size), or
            its optimiser state the trainer's optimiser (:func:`_load_optimizer`).
    """
    try:
        t.model.load_state_dict(state["model"])
    except RuntimeError as exc:  # missing or unexpected keys, size mismatches: one line naming the first
        detail = next((ln.strip() for ln in str(exc).splitlines()[1:] if ln.strip()), str(exc)).rstrip(".")
        raise CheckpointError(
            f"the checkpoint does not fit this model ({detail}); resume with the model it was written for"
        ) from None
    _load_optimizer(t, state)
    if t.scheduler is not None and state["scheduler"]:
        _warn_schedule_budget(t, state["scheduler"])
        t.scheduler.load_state_dict(state["scheduler"])
    if t.scaler is not None and state["scaler"]:
        t.scaler.load_state_dict(state["scaler"])
    t.epoch, t.batch_in_epoch, t.step = state["epoch"], state["batch_in_epoch"], state["step"]
    t.micro, t.sums, t.skipped = state["micro"], list(state["sums"]), state["skipped"]
    t.history = list(state["history"])
    t.best_score, t.best_epoch = state["best_score"], state["best_epoch"]
    t.best_tie = state.get("best_tie")  # absent from checkpoints written before TrainConfig.tie_break
    best = state["best_model"]
    t.best_model = {k: v.to(t.device) for k, v in best.items()} if best else None
    t.callbacks.load_state_dict(state["callbacks"])
    if t.ema is not None:
        if state.get("ema"):
            t.ema.load_state_dict(state["ema"])
        else:  # a checkpoint written without weight averaging
            logger.warning("the checkpoint holds no weight average: it starts from the resumed weights")
            t.ema.reset(t.model)
    sampler = resumable_sampler(t.train_loader)
    if sampler is not None and state["sampler"]:
        sampler.load_state_dict(state["sampler"])
    stream = state.get("stream_state")
    t.stream_state = move_to(stream, t.device) if stream is not None else None
    t.epoch_rng = state["epoch_rng"]
    set_rng_state(state["rng"])
    set_loader_rng_state(t.train_loader, state["rng"].get("loader"))
    set_loader_rng_state(t.val_loader, state["rng"].get("val_loader"))
    grads = state.get("grads") or {}  # a stop inside an accumulation window: the resume completes it
    for name, p in t.model.named_parameters():
        p.grad = grads[name].to(p.device, p.dtype) if name in grads else None
    if state.get("world_size", 1) != t.env.world_size:
        logger.warning(
            "checkpoint written with %s processes, resuming with %d: the data order changes",
            state.get("world_size"),
            t.env.world_size,
        )


def epoch_iterator(t: Trainer) -> Iterator[Any]:
    """Starts epoch ``t.epoch`` of ``t.train_loader``, continuing mid-epoch after a resume.

    At an epoch start the RNG states are recorded, the global ones and a ``DataLoader(generator=g)``'s
    (a shuffling loader draws its order from them). When a
    checkpoint was written mid-epoch, that epoch-start state is put back, the loader is started again
    (same order), the batches already trained on are skipped (by a resumable sampler's ``skip`` or by
    drawing and dropping them), and the RNG state of the moment of the checkpoint is restored.
    """
    loader = t.train_loader
    current = None
    if t.batch_in_epoch == 0 or t.epoch_rng is None:
        t.epoch_rng = {**get_rng_state(), "loader": loader_rng_state(loader)}
    else:
        current = get_rng_state()
        set_rng_state(t.epoch_rng)
        set_loader_rng_state(loader, t.epoch_rng.get("loader"))
    for part in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
        if part is not None and hasattr(part, "set_epoch"):
            part.set_epoch(t.epoch)
    skip = t.batch_in_epoch
    sampler = resumable_sampler(loader)
    if skip and sampler is not None:
        sampler.skip(skip)
        skip = 0
    iterator = iter(loader)
    for _ in range(skip):
        next(iterator)
    if current is not None:
        set_rng_state(current)
    if not t.config.tbptt_carry:
        t.stream_state = None
    if t.batch_in_epoch or draws_ahead(t):  # the latter: agreed_batches (epoch_end) agrees a rank's empty
        return iterator  # epoch across ranks, which one rank cannot raise alone
    return _not_empty(iterator)


def draws_ahead(t: Trainer) -> bool:
    """Whether the ranks agree the end of each epoch, each drawing its next batch ahead
    (:func:`~carrousel.core.train.epoch_end.agreed_batches`): under torchrun with a loader without a length,
    where the ranks may hold different numbers of batches."""
    return t.env.enabled and t.batches_per_epoch is None


def _not_empty(iterator: Iterator[Any]) -> Iterator[Any]:
    """The batches of an epoch from its start; none at all is an error, not an epoch of NaN losses."""
    empty = True
    for batch in iterator:
        empty = False
        yield batch
    if empty:
        raise DataError("the training loader yielded no batches; check the dataset, batch_size and drop_last")
