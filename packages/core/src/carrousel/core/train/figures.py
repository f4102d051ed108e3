"""The training loop's per-step figures, kept on the device and read together.

Reading a GPU tensor on the host (``float(loss)``) waits for every kernel queued before it: the GPU then
idles while the host queues the next step. The Trainer used to read each micro-batch's loss and each
optimiser step's gradient norm at once, two waits per step; it now records them here, as the tensors
they are, and reads all that is pending in one transfer (:meth:`StepFigures.settle`):

* at each optimiser step where the step depends on them: ``nonfinite="skip"`` (a non-finite loss or
  gradient skips the step), fp16's GradScaler (it reads its own overflow flag anyway) and ``torchrun``
  (the ranks agree on a skip or a stop); the window's losses and the norm come in the same transfer;
* at the end of each batch when a callback implements ``on_batch_end`` and needs the batch's loss and
  gradient norm as floats in its ``logs`` (``Callback.needs_batch_figures``; the built-in progress bar
  and the pruner do not: they are given the loss at the batches where it was read anyway);
* otherwise (``nonfinite="stop"``, no such callback): every ``log_every`` optimiser steps, before a
  checkpoint, ``Trainer.state_dict`` and an overflow error, at the epoch's end, and when any other error
  leaves the fit (the steps taken on NaN weights can fail first: a pending non-finite figure is then the
  error raised, the other its cause).

In the last case a non-finite loss or gradient norm is found up to ``log_every - 1`` optimiser steps after
it happened (those steps were taken, on non-finite weights); the :class:`NonFiniteLossError` still names
the epoch and step where it happened, with the same message. Values are summed on the host in the order
and the float arithmetic they always were, so every logged figure is bit for bit what one read per
micro-batch gave.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import Tensor

if TYPE_CHECKING:
    from carrousel.core.train.trainer import Trainer

__all__ = ["StepFigures", "read_all"]


class _Record(NamedTuple):
    kind: str  # "loss", "norm", or "end" (a batch ended: its loss sum goes into the epoch's)
    value: Tensor | None  # the device tensor (None for "end")
    n: int  # samples behind a loss
    epoch: int  # where it was recorded (the trainer's epoch and optimiser step then)
    step: int


def read_all(tensors: list[Tensor]) -> list[float]:
    """Every one-element tensor of ``tensors`` as a float, in one device-to-host transfer where they share a
    device (their dtypes promoted exactly: bf16/fp16/float32 values are float64 values); one read each
    otherwise."""
    if not tensors:
        return []
    try:
        return [float(v) for v in torch.cat([t.detach().reshape(1) for t in tensors]).tolist()]
    except RuntimeError:  # tensors on several devices
        return [float(t) for t in tensors]


class StepFigures:
    """The losses and gradient norms a :class:`~carrousel.core.train.Trainer` has recorded and not yet read.

    Attributes:
        last_batch: ``(loss sum, samples)`` of the last batch whose figures were read (finite losses only,
            each weighted by its samples): what the batch's ``logs["loss"]`` is made of.
    """

    def __init__(self) -> None:
        self._pending: list[_Record] = []
        self._loss_sum, self._count = 0.0, 0  # of the batch in progress, over its figures read so far
        self.last_batch: tuple[float, int] = (0.0, 0)

    def __len__(self) -> int:
        """Records not yet read."""
        return len(self._pending)

    def read_free(self) -> bool:
        """True when :meth:`settle` reads nothing from the device: only batch ends are pending."""
        return all(r.value is None for r in self._pending)

    def loss(self, value: Tensor, n: int, epoch: int, step: int) -> None:
        """Records a micro-batch's (or TBPTT chunk's) loss over ``n`` samples."""
        self._pending.append(_Record("loss", value.detach(), n, epoch, step))

    def norm(self, value: Tensor, epoch: int, step: int) -> None:
        """Records an optimiser step's pre-clip gradient norm, the step taken unread (``nonfinite="stop"``)."""
        self._pending.append(_Record("norm", value.detach(), 0, epoch, step))

    def end_batch(self) -> None:
        """Marks the end of a batch: when read, its loss sum and samples join the epoch's sums."""
        self._pending.append(_Record("end", None, 0, 0, 0))

    def settle(self, trainer: Trainer, extra: Tensor | None = None) -> float | None:
        """Reads every pending figure (and ``extra``, a norm the caller decides on) in one transfer and
        applies them in the order they were recorded: finite losses summed per batch, a batch's sums added to
        ``trainer.sums`` at its end, recorded norms to the norm sums; a non-finite one goes to
        ``trainer._nonfinite`` with the epoch and step it was recorded at (it raises with ``"stop"`` in one
        process; under torchrun the error comes at the step, once the ranks agree).

        Returns:
            ``extra`` as a float, or None without one.
        """
        records, self._pending = self._pending, []
        tensors = [r.value for r in records if r.value is not None]
        values = iter(read_all(tensors + ([extra] if extra is not None else [])))
        sums = trainer.sums
        for record in records:
            if record.kind == "end":
                sums[0] += self._loss_sum
                sums[1] += self._count
                self.last_batch = (self._loss_sum, self._count)
                self._loss_sum, self._count = 0.0, 0
                continue
            value = next(values)
            if record.kind == "loss":
                if math.isfinite(value):
                    self._loss_sum, self._count = self._loss_sum + value * record.n, self._count + record.n
                else:
                    trainer._nonfinite(f"loss is {value}", record.epoch, record.step)
            elif math.isfinite(value):
                sums[2] += value
                sums[3] += 1
            else:
                trainer._nonfinite(f"gradient norm is {value}", record.epoch, record.step)
        return next(values) if extra is not None else None
