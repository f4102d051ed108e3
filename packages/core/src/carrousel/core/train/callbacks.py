"""Typed callback hooks and the built-in callbacks: early stopping, progress bar, history, TensorBoard.

Hooks are called in this order::

    on_fit_start
      on_epoch_start
        on_batch_start, on_batch_end            (per micro-batch / TBPTT chunk group)
        on_validation_end                       (after the validation pass, when there is one)
      on_epoch_end                              (logs hold train_loss, val_* , lr, grad_norm, ...)
    on_fit_end

Every hook receives the :class:`~carrousel.core.train.Trainer`; a callback stops training by setting
``trainer.should_stop = True`` (in ``on_batch_end``: after that batch, the cut epoch logged ``"partial"``,
:mod:`~carrousel.core.train.epoch_end`; in ``on_epoch_start``: the epoch skipped, no batch trained).
Under torchrun a stop set on one rank stops every rank at the same point (:func:`~.epoch_end.agreed_stop`).
Callbacks that keep state across epochs implement ``state_dict`` / ``load_state_dict`` so that it is saved
in checkpoints and restored on resume.

The hooks' base class and its list live in :mod:`~carrousel.core.train.hooks`, the progress bar and the
history and TensorBoard writers in :mod:`~carrousel.core.train.loggers`; every name is importable from here.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.train.config import key_without_validation
from carrousel.core.train.hooks import (
    PARTIAL,
    Callback,
    CallbackList,
    check_callbacks,
    compares_with_epochs,
    is_better,
)
from carrousel.core.train.loggers import HistoryLogger, ProgressBar, TensorBoardLogger
from carrousel.core.train.task import check_monitor

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = [
    "PARTIAL",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "HistoryLogger",
    "ProgressBar",
    "TensorBoardLogger",
    "check_callbacks",
    "compares_with_epochs",
    "is_better",
]

logger = logging.getLogger(__name__)


class EarlyStopping(Callback):
    """Stops training when a logged value has not improved for ``patience`` epochs.

    An epoch a stop cut short (``"partial"``) counts only when the value is a validation figure
    (:func:`compares_with_epochs`), as it becomes ``best.pt`` only then.

    Args:
        monitor: the logged key, e.g. ``"val_loss"`` or ``"val_f1"``.
        mode: ``"min"`` or ``"max"``.
        patience: epochs without improvement allowed.
        min_delta: smallest change that counts as an improvement (>= 0).
    """

    @check_args
    def __init__(
        self, monitor: str = "val_loss", mode: str = "min", patience: int = 5, min_delta: float = 0.0
    ) -> None:
        if mode not in ("min", "max"):
            raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience < 1:  # 0 or less stopped at the first epoch that did not improve, as 1 does
            raise ConfigError(
                f"patience must be >= 1 (epochs without improvement before stopping), got {patience}; "
                "e.g. patience=5"
            )
        if not math.isfinite(min_delta):
            raise ConfigError(f"min_delta must be a finite number, got {min_delta!r}; e.g. min_delta=0.0")
        if min_delta < 0:  # a worse value counted as an improvement: early stopping never came
            raise ConfigError(f"min_delta must be >= 0 (the gain an improvement needs), got {min_delta!r}")
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        self.best: float | None = None
        self.wait = 0
        # (monitor, mode) the trainer checked already: its built-in one (TrainConfig(patience=...))
        self.checked: tuple[str, str] | None = None
        self.logged: str | None = None  # the key read this fit: monitor, or train_loss in val_loss's place
        self.restored = False  # load_state_dict ran since the last fit started (a resume): keep best/wait

    def on_fit_start(self, trainer: Trainer) -> None:
        """Resolves the monitored key as ``TrainConfig.monitor`` is: in a fit with no validation loader
        (``trainer.validating`` False) ``val_loss`` is ``train_loss`` and any other ``val_`` key is a ConfigError before any step
        (:func:`~carrousel.core.train.config.key_without_validation`; was "only [...] are logged" after a
        whole epoch). Then checks ``mode`` against the trainer's task metric it monitors
        (:func:`check_monitor`), unless the trainer checked that monitor and mode already (its built-in
        early stopping, set by ``TrainConfig``). A fresh fit starts ``best`` and ``wait`` anew; a resumed
        one keeps what the checkpoint restored (the trainer loads it before this hook)."""
        if not self.restored:  # reused in a new fit, the last fit's best/wait stopped it at once
            self.best, self.wait = None, 0
        self.restored = False
        name, key = type(self).__name__, self.monitor
        if not trainer.validating:
            key = key_without_validation(key, f"{name} monitor", f"{name}(monitor='train_loss', mode='min')")
            if key != self.monitor:
                logger.info("no validation loader: %s monitors %s, not %s", name, key, self.monitor)
        if self.checked != (key, self.mode):
            check_monitor(trainer.task, key, self.mode, owner=name)
        self.logged = key

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        key = self.logged or self.monitor
        if key not in logs:
            raise ConfigError(
                f"early stopping monitors {key!r} but only {sorted(logs)} are logged; "
                "pick one of those (or pass a val_loader)"
            )
        if not compares_with_epochs(trainer, key, logs):  # was counted: a patience spent, or a best kept
            logger.info("early stopping skips epoch %d: its %s covers part of the epoch", epoch + 1, key)
            return
        value = logs[key]
        if is_better(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            logger.info("early stopping: %s did not improve for %d epochs", key, self.wait)
            trainer.should_stop = True

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait = state["best"], state["wait"]
        self.restored = True
