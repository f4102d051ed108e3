"""The built-in reporting callbacks: a progress bar, the history files and TensorBoard scalars."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_write_text
from carrousel.core.curves import finite_history, history_csv
from carrousel.core.train.hooks import Callback

if TYPE_CHECKING:
    from carrousel.core.train.trainer import FitResult, Trainer

__all__ = ["HistoryLogger", "ProgressBar", "TensorBoardLogger"]

logger = logging.getLogger(__name__)


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
