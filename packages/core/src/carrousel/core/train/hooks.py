"""The callback hooks (:class:`Callback`), their list and checks, and the rules an epoch cut short by a stop
(:data:`PARTIAL`) follows when compared with whole epochs. The hooks' order and the built-in callbacks:
:mod:`carrousel.core.train.callbacks`."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from carrousel.core.errors import ConfigError

if TYPE_CHECKING:
    from carrousel.core.train.trainer import FitResult, Trainer

__all__ = [
    "PARTIAL",
    "Callback",
    "CallbackList",
    "check_callbacks",
    "check_hooks",
    "compares_with_epochs",
    "is_better",
]

PARTIAL = "partial"
"""The history key (1.0) of an epoch a stop cut short (``max_steps``, a callback); absent from finished epochs."""


def is_better(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """True when ``value`` improves on ``best`` by more than ``min_delta`` (``mode`` min or max)."""
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def compares_with_epochs(trainer: Trainer, key: str, logs: dict[str, float]) -> bool:
    """Whether an epoch's ``logs[key]`` may be compared with whole epochs' (a best epoch, a patience count):
    a finished epoch's always; a :data:`PARTIAL` one's only as a validation figure (``val_``, with a
    validation loader: the whole set, evaluated at the stop). Its training figures (``train_loss``,
    ``grad_norm``) cover the batches trained before the stop only, not comparable with whole epochs'."""
    return PARTIAL not in logs or (trainer.validating and key.startswith("val_"))


class Callback:
    """Base class: override the hooks you need; all default to doing nothing.

    Attributes:
        needs_batch_figures: True (the default): :meth:`on_batch_end`'s ``logs`` hold the batch's ``loss``
            and ``grad_norm``, which the trainer then reads from the device every batch (a wait for the GPU).
            False, for a callback that does not need them each batch (a progress bar, a pruner): ``logs``
            hold ``batch_size`` and ``lr``, and ``loss`` and ``train_loss`` (the epoch's mean so far) only
            at the batches where the trainer read its figures anyway (:mod:`carrousel.core.train.figures`).
    """

    needs_batch_figures: ClassVar[bool] = True

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called once before the first epoch (also when resuming)."""

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        """Called once after training, with the result."""

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        """Called before each training epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Called after each epoch with everything logged for it (train and validation)."""

    def on_batch_start(self, trainer: Trainer, batch_idx: int, batch: Any) -> None:
        """Called before each training batch (already on the device)."""

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        """Called after each training batch with ``loss``, ``grad_norm`` (when stepped), ``lr``,
        ``batch_size`` and ``train_loss`` (see :attr:`needs_batch_figures`)."""

    def on_validation_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """Called after each validation pass with the ``val_*`` values."""

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None:
        """Called after rank zero wrote a checkpoint."""

    def state_dict(self) -> dict[str, Any]:
        """State to save in checkpoints (plain types only)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores what :meth:`state_dict` returned."""


def check_callbacks(callbacks: object) -> list[Callback]:
    """``callbacks`` (a sequence of :class:`Callback`, or None) as a list.

    Raises:
        ConfigError: one callback instead of a list, or an item that is not a :class:`Callback`.
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise ConfigError(
            f"callbacks must be a list of Callback, got one {type(callbacks).__name__}; pass [callback]"
        )
    items: list[Callback] = []
    for i, cb in enumerate(callbacks if isinstance(callbacks, Iterable) else [callbacks]):
        if not isinstance(cb, Callback):
            raise ConfigError(
                f"callbacks[{i}] is a {type(cb).__name__}, not a carrousel.core.train.Callback; subclass "
                "Callback and override the hooks it needs (on_epoch_end, ...)"
            )
        items.append(cb)
    return items


def check_hooks(callbacks: Iterable[Callback]) -> None:
    """Refuses a callback whose overridden hook cannot take the arguments the trainer passes it (positional,
    as :meth:`CallbackList.call` passes them), before any work: it failed with Python's plain TypeError deep
    in the loop, after an epoch's training.

    Raises:
        ConfigError: the first such hook, naming the callback, the hook and the signature it must accept.
    """
    hooks = [n for n, v in vars(Callback).items() if callable(v) and not n.startswith("_")]
    for cb in callbacks:
        for hook in hooks:
            if getattr(type(cb), hook, None) is getattr(Callback, hook):
                continue
            params = list(inspect.signature(getattr(Callback, hook)).parameters)[1:]  # without self
            try:
                inspect.signature(getattr(cb, hook)).bind(*params)
            except ValueError:  # a callable without a signature (a builtin): not checkable
                continue
            except TypeError as exc:
                expected = ", ".join(["self", *params])
                raise ConfigError(
                    f"callback {type(cb).__name__}.{hook} cannot take the trainer's arguments ({exc}); "
                    f"define it as def {hook}({expected})"
                ) from None


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = list(callbacks)

    def check(self) -> None:
        """:func:`check_hooks` of the callbacks (those added after construction included)."""
        check_hooks(self.callbacks)

    def call(self, hook: str, *args: Any) -> None:
        """Calls ``hook`` with ``args`` on each callback."""
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def state_dict(self) -> dict[str, Any]:
        """States of the callbacks that have one, keyed by position and class name."""
        out = {}
        for i, cb in enumerate(self.callbacks):
            state = cb.state_dict()
            if state:
                out[f"{i}:{type(cb).__name__}"] = state
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores states saved by :meth:`state_dict` (callbacks are matched by position and class)."""
        for i, cb in enumerate(self.callbacks):
            key = f"{i}:{type(cb).__name__}"
            if key in state:
                cb.load_state_dict(state[key])
