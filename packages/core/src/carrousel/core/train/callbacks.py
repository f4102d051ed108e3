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
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_write_text
from carrousel.core.curves import finite_history, history_csv
from carrousel.core.errors import ConfigError
from carrousel.core.train.config import key_without_validation
from carrousel.core.train.task import check_monitor

if TYPE_CHECKING:
    from carrousel.core.train.trainer import FitResult, Trainer

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


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = list(callbacks)

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


class ProgressBar(Callback):
    """tqdm bar per epoch with loss, learning rate, throughput (samples/s) and ETA; rank zero only.

    The loss shown is the epoch's mean training loss so far (``train_loss`` at its end), updated when the
    trainer reads its figures anyway: every optimiser step with ``nonfinite="skip"``, every ``log_every``
    steps with ``"stop"`` (the bar makes no read of its own, :attr:`Callback.needs_batch_figures`). The
    figures after the bar are rebuilt every ``refresh_every`` batches, for a newer loss at most every
    :attr:`min_interval` seconds, and at the epoch's end when a batch came since the last rebuild: the
    epoch's last figures (loss, learning rate, rate) are the ones left on the bar.

    Args:
        refresh_every: batches between updates of the shown rate and learning rate (the bar itself moves
            every batch, the loss when it is read).
        label: what is being trained, before the epoch in the bar and the epoch's log line, e.g.
            ``"member 2/3"`` gives ``member 2/3, epoch 1/5``; "" the plain ``epoch 1/5``.
    """

    needs_batch_figures = False
    min_interval = 0.1  # seconds between rebuilds for a new loss alone (tqdm's own redraw interval)

    @check_args
    def __init__(self, refresh_every: int = 10, label: str = "") -> None:
        self.refresh_every = max(1, refresh_every)
        self._loss = ""  # the epoch's mean training loss, as shown
        self.label = f"{label}, " if label else ""
        self._bar: Any = None
        self.last_postfix: dict[str, str] = {}  # the figures shown last (for inspection)
        self._new_loss: float | None = None  # a loss read and not yet shown
        self._built, self._lr = -math.inf, 0.0  # when the figures were last rebuilt, and the newest lr
        self._stale = False  # a batch came since the figures were last rebuilt

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        if not trainer.rank_zero:  # given as a callback (the trainer adds its own on rank zero only)
            return
        from tqdm.auto import tqdm

        total = trainer.batches_per_epoch
        self._bar = tqdm(
            total=total,
            initial=trainer.batch_in_epoch,  # > 0 when resuming mid-epoch
            desc=f"{self.label}epoch {epoch + 1}/{trainer.config.epochs}",
            leave=False,
            dynamic_ncols=True,
            unit="batch",
        )
        self._t0, self._samples, self._loss = time.perf_counter(), 0, ""
        self._new_loss, self._built, self._lr, self._stale = None, -math.inf, 0.0, False

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        bar = self._bar
        if bar is None:
            return
        self._samples += int(logs.get("batch_size", 0))
        bar.update(1)
        loss = logs.get("train_loss", math.nan)
        if math.isfinite(loss):
            self._new_loss = loss
        self._lr, self._stale = logs.get("lr", 0), True
        # with nonfinite="skip" a new loss comes every step: shown at most every min_interval seconds (tqdm
        # redraws no faster), not rebuilt per batch (the rate, a dict, tqdm's postfix text)
        now = time.perf_counter()
        fresh = self._new_loss is not None and now - self._built >= self.min_interval
        if fresh or batch_idx % self.refresh_every == 0:
            self._show(self._lr, now)

    def _show(self, lr: float, now: float) -> None:
        """Rebuilds the figures after the bar: the loss (the newest read), the learning rate and the rate."""
        if self._new_loss is not None:
            self._loss, self._new_loss = f"{self._new_loss:.4g}", None
        rate = self._samples / max(now - self._t0, 1e-9)
        shown = {"loss": self._loss} if self._loss else {}
        self.last_postfix = {**shown, "lr": f"{lr:.2e}", "samples_s": f"{rate:.0f}"}
        self._bar.set_postfix(self.last_postfix, refresh=False)
        self._built, self._stale = now, False

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self._bar is not None:
            # a batch since the last rebuild: its loss, learning rate and rate are shown (the lr shown was
            # the one of the last rebuild, batch 10 of 13 under a per-step schedule)
            if self._stale:
                self._show(self._lr, time.perf_counter())
            self._bar.close()
            self._bar = None
        if trainer.rank_zero:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in logs.items() if k != "epoch")
            logger.info("%sepoch %d: %s", self.label, epoch + 1, shown)

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class HistoryLogger(Callback):
    """Writes the per-epoch history as ``history.csv`` and ``history.json`` in ``log_dir`` (atomically);
    a non-finite figure is an empty cell and a JSON null."""

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        # a skipped or diverged epoch can log NaN/inf: written as empty cells and nulls, never as numbers
        history = finite_history(trainer.history)
        atomic_write_text(self.log_dir / "history.csv", history_csv(trainer.history))
        atomic_write_text(self.log_dir / "history.json", json.dumps(history, indent=1, allow_nan=False))


class TensorBoardLogger(Callback):
    """Writes every epoch's logs as TensorBoard scalars; does nothing when tensorboard is not installed."""

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)
        self._writer: Any = None

    @staticmethod
    def available() -> bool:
        """True when ``torch.utils.tensorboard`` can be imported."""
        try:
            import torch.utils.tensorboard  # noqa: F401
        except Exception:  # tensorboard missing or broken: stay optional
            return False
        return True

    def on_fit_start(self, trainer: Trainer) -> None:
        if self.available():
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.log_dir / "tensorboard"))

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        if self._writer is not None:
            for key, value in logs.items():
                if key != "epoch":
                    self._writer.add_scalar(key, value, epoch + 1)
            self._writer.flush()

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
