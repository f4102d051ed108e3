"""The Task: what a domain hands the trainer besides a model and data.

A task turns a batch into model outputs (:meth:`Task.forward`), outputs into a scalar loss
(:meth:`Task.loss`) and, optionally, outputs into metric updates. The trainer knows nothing else about
the domain.

Stateful tasks and truncated BPTT
---------------------------------
A task that sets ``stateful = True`` receives and returns a recurrent state:
``forward(model, batch, state) -> (outputs, new_state)``, with ``state=None`` meaning "start fresh".
When ``TrainConfig.tbptt_steps = k > 0`` the trainer cuts each batch into chunks of ``k`` time steps
with :meth:`Task.split` (default: every tensor with at least two dimensions is sliced along dim 1, the
time axis of ``(B, T, ...)`` batches; a ``"lengths"`` entry of a dict batch is clipped per chunk, while
lengths in a tuple batch ``(x, lengths, y)`` cannot be told from labels and pass unclipped: the encoder
then refuses a length past the chunk, so use a dict batch or override :meth:`Task.split`), runs
the chunks in order, passes each chunk's final state to the next one after :meth:`Task.detach_state`,
and takes one optimiser step per chunk. Sample ``b`` of a chunk continues sample ``b`` of the previous
chunk, so the state is carried per sample; in variable-length batches a chunk past a sample's end has
length 0, and :class:`~carrousel.core.nn.RecurrentEncoder` given a state keeps that sample's state and
outputs zeros there (the loss should mask steps past ``lengths``). With ``TrainConfig.tbptt_carry`` the state also flows from
one batch to the next (for loaders that cut one long series into ``B`` parallel streams and yield
consecutive segments, sample ``b`` of batch ``i + 1`` continuing sample ``b`` of batch ``i``); it is reset
at each epoch start, and all batches must then have the same ``B``. Evaluation and prediction run the
same chunking (and carrying) without gradients; chunk outputs are joined back along time by
:meth:`Task.join`. Mid-epoch checkpoints save a carried state with namedtuples turned into tuples.

A stateful task, in short::

    class StreamTask(Task):
        stateful = True

        def forward(self, model, batch, *state):
            outputs, new_state = model(batch["x"], state[0] if state else None)
            return outputs, new_state
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.train.tbptt import detach_tree, first_tensor, split_time

if TYPE_CHECKING:
    from carrousel.core.metrics import Metric

__all__ = ["Task", "check_loss", "check_monitor", "check_parts", "check_tie_break"]


class Task:
    """Base class of domain tasks. Override :meth:`forward` and :meth:`loss` at least.

    Attributes:
        stateful: when True, ``forward`` takes and returns a recurrent state (see the module docstring).
    """

    stateful: bool = False

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Any:
        """Runs the model on a batch.

        Args:
            model: the (possibly DDP-wrapped) model, already on the batch's device.
            batch: one batch from the loader, already on the device.
            *state: stateful tasks only: the state carried from the previous chunk (None at the start).

        Returns:
            The outputs (any structure), or ``(outputs, new_state)`` for stateful tasks.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward(model, batch)")

    def loss(self, outputs: Any, batch: Any) -> Tensor:
        """Returns the scalar loss of ``outputs`` for ``batch`` (mean over the batch)."""
        raise NotImplementedError(f"{type(self).__name__} must implement loss(outputs, batch)")

    def metrics(self) -> dict[str, Metric]:
        """Returns fresh metric objects by name (logged as ``val_<name>``). Default: none."""
        return {}

    def update_metrics(self, metrics: dict[str, Metric], outputs: Any, batch: Any) -> None:
        """Updates the metric objects from one batch's outputs. Default: nothing."""

    def batch_size(self, batch: Any) -> int:
        """Number of samples in ``batch``: dim 0 of its first tensor (1 when it holds no tensor)."""
        tensor = first_tensor(batch)
        return int(tensor.shape[0]) if tensor is not None and tensor.dim() > 0 else 1

    # --- stateful / truncated-BPTT hooks -------------------------------------------------------------
    def split(self, batch: Any, steps: int) -> list[Any]:
        """Cuts a batch into chunks of ``steps`` time steps along dim 1 (stateful tasks only).

        Tensors with fewer than two dimensions are passed whole to every chunk, except a dict entry (or a
        namedtuple field) named ``"lengths"`` ``(B,)``, which becomes each chunk's valid length (possibly 0).
        """
        return split_time(batch, steps)

    def detach_state(self, state: Any) -> Any:
        """Cuts the gradient path of a state between chunks. Default: detaches every tensor."""
        return detach_tree(state)

    def join(self, outputs: list[Any]) -> Any:
        """Joins per-chunk outputs back along time (dim 1) for ``predict``; default handles tensors,
        tuples and dicts of tensors and returns the list unchanged otherwise."""
        if len(outputs) == 1:
            return outputs[0]
        head = outputs[0]
        if isinstance(head, Tensor):
            return torch.cat(outputs, dim=1) if head.dim() >= 2 else outputs
        if isinstance(head, Mapping):
            return {k: self.join([o[k] for o in outputs]) for k in head}
        if isinstance(head, tuple) and not hasattr(head, "_fields"):
            return tuple(self.join([o[i] for o in outputs]) for i in range(len(head)))
        return outputs


def check_loss(loss: object) -> Tensor:
    """``loss`` when it is one number in a tensor (a 0-d or one-element tensor: what ``backward`` takes).

    Raises:
        ShapeError: not a tensor, or an unreduced loss (a tensor of more than one element).
    """
    if not isinstance(loss, Tensor):
        raise ShapeError(
            f"Task.loss returned a {type(loss).__name__}, not a tensor; return the loss as a torch.Tensor "
            "computed from the outputs (e.g. nn.functional.cross_entropy(outputs, y))"
        )
    if loss.numel() != 1:
        raise ShapeError(
            f"Task.loss returned a tensor of shape {tuple(loss.shape)}, not one number; reduce it over the "
            "batch (e.g. loss.mean())"
        )
    return loss


def check_parts(model: object, task: object) -> None:
    """The model and task a :class:`~carrousel.core.train.Trainer` is given, checked up front.

    Raises:
        ConfigError: a model that is not an ``nn.Module`` or a task that is not a :class:`Task`.
    """
    if not isinstance(model, nn.Module):
        raise ConfigError(
            f"model must be a torch.nn.Module, got {type(model).__name__}; wrap it in an nn.Module"
        )
    if not isinstance(task, Task):
        raise ConfigError(
            f"task must be a carrousel.core.train.Task, got {type(task).__name__}; subclass Task and "
            "implement forward(model, batch) and loss(outputs, batch)"
        )


def check_monitor(task: Task, monitor: str, mode: str, owner: str = "TrainConfig") -> None:
    """Refuses a monitored task metric whose direction contradicts ``mode``, before any training.

    ``val_<name>`` (or ``train_<name>``) of a metric in ``task.metrics()`` is checked against its
    ``higher_is_better``: with ``restore_best`` the wrong ``mode`` would keep the worst epoch's weights
    (an :class:`~carrousel.core.train.EarlyStopping` callback would stop on the metric getting better).
    Logged values that are not task metrics (``val_loss``, ``lr``) are not checked. ``owner`` is where the
    ``mode`` was set, named in the fix (``TrainConfig``, or ``EarlyStopping`` for the callback).

    Raises:
        ConfigError: ``mode="min"`` on a metric where higher is better, or ``"max"`` where lower is.
    """
    metric = _task_metric(task, monitor)
    if metric is None:
        return
    want = "max" if metric.higher_is_better else "min"
    if mode != want:
        better = "higher" if metric.higher_is_better else "lower"
        raise ConfigError(
            f"monitor {monitor!r} is {type(metric).__name__}, where {better} is better, but mode={mode!r} "
            f"would keep the worst epoch; set {owner}(mode={want!r})"
        )


def check_tie_break(task: Task, tie_break: str | None) -> None:
    """Refuses, before any training, a ``TrainConfig.tie_break`` naming a task metric where higher is better:
    the lower value wins a tie, so ``tie_break="val_accuracy"`` would keep the less accurate of tied epochs.
    Logged values that are not task metrics (``val_loss``) are not checked.

    Raises:
        ConfigError: naming the metric and the fix.
    """
    metric = None if tie_break is None else _task_metric(task, tie_break)
    if metric is not None and metric.higher_is_better:
        raise ConfigError(
            f"tie_break {tie_break!r} is {type(metric).__name__}, where higher is better, but the lower value "
            "wins a tie and would keep the worse epoch; break ties on a value where lower is better, e.g. "
            "tie_break='val_loss'"
        )


def _task_metric(task: Task, key: str) -> Any:
    """The task metric a logged key names (``val_<name>`` or ``train_<name>``), or None."""
    prefix, _, name = key.partition("_")
    return task.metrics().get(name) if prefix in ("val", "train") else None
