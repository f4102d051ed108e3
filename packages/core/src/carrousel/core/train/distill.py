"""Knowledge distillation: train a student on a teacher's soft targets (Hinton et al. 2015).

The loss mixes the usual hard-label cross-entropy with the Kullback-Leibler divergence from the
teacher's temperature-softened distribution to the student's::

    loss = alpha * T**2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y)

``s`` and ``t`` are the student's and the teacher's logits, ``T`` the temperature and ``alpha`` the
weight of the soft term. The ``T**2`` keeps the soft term's gradients on the scale of the hard term's
when ``T`` changes (the soft gradients shrink as ``1 / T**2``), so ``alpha`` means the same at every
temperature. The KL divergence equals the soft cross-entropy ``-sum p_t log p_s`` minus the teacher's
entropy, a constant: the same gradients, but 0 when the student matches the teacher.

Rows without a label (a *transfer set* of unlabelled text the teacher has scored) carry the target
``ignore_index`` (-100, as in :func:`torch.nn.functional.cross_entropy`): they add to the soft term only,
and the hard term is the mean over the labelled rows of the batch (0 when it has none).

:class:`DistillationTask` wraps any classification :class:`~carrousel.core.train.Task`: the wrapped
task's ``forward`` makes the student's logits and its metrics are kept; the teacher's logits come either
precomputed with the data (``teacher_logits=lambda batch: batch[3]``) or from a teacher module run on
the fly, without gradients, in eval mode (``teacher=module, teacher_forward=lambda t, batch: t(batch[0])``).

Example:
    >>> task = DistillationTask(  # doctest: +SKIP
    ...     SentimentTask(2), DistillConfig(temperature=2.0, alpha=0.7),
    ...     targets=lambda b: b[2], teacher_logits=lambda b: b[3])
    >>> Trainer(student, task, TrainConfig(epochs=10)).fit(train_loader, val_loader)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.errors import ConfigError
from carrousel.core.train.task import Task
from carrousel.core.train.tbptt import first_tensor

if TYPE_CHECKING:
    from carrousel.core.metrics import Metric

__all__ = ["DistillConfig", "DistillationTask", "distillation_loss", "soft_targets"]

IGNORE_INDEX = -100


@dataclass(frozen=True)
class DistillConfig:
    """How soft and hard targets are mixed.

    Attributes:
        temperature: softens both distributions (1 = plain softmax; Hinton et al. use 2 to 20).
        alpha: weight of the soft (teacher) term, in [0, 1]; ``1 - alpha`` weighs the hard labels.
        ignore_index: the target of rows without a label (soft term only).
    """

    temperature: float = 2.0  # softmax temperature of both teacher and student in the soft term
    alpha: float = 0.5  # weight of the soft term; 1 = teacher only, 0 = labels only
    ignore_index: int = IGNORE_INDEX  # target of unlabelled rows

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"distillation temperature must be a positive number, got {self.temperature}")
        if not (math.isfinite(self.alpha) and 0.0 <= self.alpha <= 1.0):
            raise ConfigError(f"distillation alpha must be in [0, 1], got {self.alpha}")


def soft_targets(teacher_logits: Tensor, temperature: float = 1.0) -> Tensor:
    """The teacher's class probabilities at ``temperature``: ``softmax(logits / T)`` in float32."""
    return torch.softmax(teacher_logits.float() / temperature, dim=-1)


def distillation_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    targets: Tensor | None = None,
    temperature: float = 2.0,
    alpha: float = 0.5,
    ignore_index: int = IGNORE_INDEX,
) -> Tensor:
    """``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, targets)``.

    Args:
        student_logits: ``(B, C)`` logits of the student (gradients flow through them).
        teacher_logits: ``(B, C)`` logits of the teacher (treated as constants).
        targets: ``(B,)`` class indices, ``ignore_index`` for unlabelled rows; None: the soft term only
            (as if ``alpha`` were 1).
        temperature: ``T`` > 0.
        alpha: weight of the soft term in [0, 1].
        ignore_index: the target of unlabelled rows.

    Returns:
        The scalar loss: the soft term is the batch mean of the per-row KL divergence, the hard term the
        mean cross-entropy over labelled rows (0 when there are none).

    Raises:
        ValueError: shapes that differ.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} differ in shape; the teacher must score the same classes"
        )
    s = student_logits.float()
    zero = s.new_zeros(())
    soft = zero
    if alpha > 0 or targets is None:
        log_p_student = F.log_softmax(s / temperature, dim=-1)
        log_p_teacher = F.log_softmax(teacher_logits.detach().float() / temperature, dim=-1)
        kl = F.kl_div(log_p_student, log_p_teacher, reduction="none", log_target=True).sum(-1)
        soft = kl.mean() * temperature**2
    if targets is None:
        return soft
    hard = zero
    labelled = targets != ignore_index
    if alpha < 1 and bool(labelled.any()):
        hard = F.cross_entropy(s[labelled], targets[labelled])
    return alpha * soft + (1.0 - alpha) * hard


def _logits(outputs: Any) -> Tensor:
    if not isinstance(outputs, Tensor):
        raise TypeError(
            f"the wrapped task's forward returned {type(outputs).__name__}; pass logits=... to "
            "DistillationTask to pick the logits out of it"
        )
    return outputs


class DistillationTask(Task):
    """Wraps a classification task so that its student learns from a teacher's soft targets as well.

    Args:
        base: the student's task: its ``forward`` gives the outputs, its metrics are reported on validation.
        config: temperature and mixing weight.
        targets: ``batch -> (B,)`` hard labels (``ignore_index`` where none); None: the soft term only.
        teacher_logits: ``batch -> (B, C)`` precomputed teacher logits carried by the data.
        teacher: a teacher module run on the fly instead (eval mode, no gradients, moved to the batch's
            device on first use); not trained and not part of the student.
        teacher_forward: ``(teacher, batch) -> (B, C)`` logits; default ``teacher(batch[0])``.
        logits: ``outputs -> (B, C)`` student logits from the base task's outputs (default: the outputs).

    Raises:
        ValueError: neither or both of ``teacher_logits`` and ``teacher``; a stateful base task.
    """

    def __init__(
        self,
        base: Task,
        config: DistillConfig | None = None,
        *,
        targets: Callable[[Any], Tensor] | None = None,
        teacher_logits: Callable[[Any], Tensor] | None = None,
        teacher: nn.Module | None = None,
        teacher_forward: Callable[[nn.Module, Any], Tensor] | None = None,
        logits: Callable[[Any], Tensor] = _logits,
    ) -> None:
        if (teacher_logits is None) == (teacher is None):
            raise ValueError("DistillationTask needs exactly one of teacher_logits=... and teacher=...")
        if base.stateful:
            raise ValueError("DistillationTask does not wrap stateful (truncated-BPTT) tasks")
        self.base = base
        self.config = config or DistillConfig()
        self.targets = targets
        self.teacher_logits = teacher_logits
        self.teacher = teacher.eval().requires_grad_(False) if teacher is not None else None
        self.teacher_forward = teacher_forward or (lambda module, batch: module(batch[0]))
        self.logits = logits

    def _teacher(self, batch: Any) -> Tensor:
        if self.teacher_logits is not None:
            return self.teacher_logits(batch)
        assert self.teacher is not None
        ref = first_tensor(batch)
        if ref is not None:
            param = next(self.teacher.parameters(), None)
            if param is not None and param.device != ref.device:
                self.teacher.to(ref.device)
        self.teacher.eval()
        with torch.no_grad():
            return self.teacher_forward(self.teacher, batch)

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Any:
        return self.base.forward(model, batch)

    def loss(self, outputs: Any, batch: Any) -> Tensor:
        cfg = self.config
        return distillation_loss(
            self.logits(outputs),
            self._teacher(batch),
            self.targets(batch) if self.targets is not None else None,
            cfg.temperature,
            cfg.alpha,
            cfg.ignore_index,
        )

    def metrics(self) -> dict[str, Metric]:
        return self.base.metrics()

    def update_metrics(self, metrics: dict[str, Metric], outputs: Any, batch: Any) -> None:
        self.base.update_metrics(metrics, outputs, batch)

    def batch_size(self, batch: Any) -> int:
        return self.base.batch_size(batch)
