"""Feature ("hint") distillation: the student also regresses the teacher's features, not only its logits.

The soft term of :class:`~carrousel.core.train.DistillationTask` hands the student ``C`` numbers a row (the
teacher's logits). When the teacher computes a feature vector on the way (a sentence encoder's embedding,
``D`` numbers), the student can be asked for that too (FitNets' hints, Romero et al. 2015; Patient KD, Sun
et al. 2019)::

    loss = distillation loss + beta * mean_rows (1 - cos(P f_s, f_t))

``f_s`` is the student's feature vector ``(B, D_s)``, the input of one of its submodules (the *tap*, e.g.
the dropout before its classifier, whose input is the pooled vector), ``f_t`` the teacher's ``(B, D_t)``
and ``P`` a trainable linear projection ``D_s -> D_t`` used in training only. Cosine, not the squared
error: it ignores the projection's scale (a normalised embedding such as a sentence encoder's carries
none), is bounded in [0, 2] whatever ``D_t``, and on normalised vectors equals half their squared
distance. Rows whose teacher features are all zero (rows the teacher gave none, e.g. hand-labelled ones)
are left out of the mean, as ``ignore_index`` rows are out of the hard term.

:class:`HintStudent` wraps the student with ``P``, so that the trainer, whose optimiser takes the model's
parameters, trains ``P`` as well, and checkpoints, the best epoch's weights and the weight average hold
it. It returns the student's outputs unchanged and keeps the projected features of its forward for
:class:`HintDistillationTask` to take. Save ``wrapper.student``: ``P`` is not part of it.

Example:
    >>> model = HintStudent(student, student.dropout, 128, 384)  # doctest: +SKIP
    >>> task = HintDistillationTask(  # doctest: +SKIP
    ...     SentimentTask(2), DistillConfig(alpha=0.9), beta=1.0,
    ...     targets=lambda b: b[2], teacher_logits=lambda b: b[3], teacher_features=lambda b: b[4])
    >>> Trainer(model, task, TrainConfig(epochs=8)).fit(train_loader, val_loader)  # doctest: +SKIP
    >>> Bundle(kind=..., model=model.student, ...)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.train.distill import DistillationTask, DistillConfig

if TYPE_CHECKING:
    from carrousel.core.metrics import Metric
    from carrousel.core.train.task import Task

__all__ = ["HintDistillationTask", "HintOutputs", "HintStudent", "hint_loss"]


class HintOutputs(NamedTuple):
    """What :meth:`HintDistillationTask.forward` returns: the base task's outputs and the projected features."""

    outputs: Any  # the wrapped task's outputs, as its forward made them
    features: Tensor  # (B, D_t) the student's features through the projection


def hint_loss(student: Tensor, teacher: Tensor) -> Tensor:
    """``mean_rows (1 - cos(student, teacher))`` over the rows whose teacher features are not all zero.

    Args:
        student: ``(B, D)`` projected student features (gradients flow through them).
        teacher: ``(B, D)`` the teacher's features (treated as constants); an all-zero row counts nowhere.

    Returns:
        The scalar term, in [0, 2] (0 when no row has teacher features).

    Raises:
        ShapeError: shapes that differ or are not ``(B, D)``.
    """
    if student.shape != teacher.shape or student.dim() != 2:
        raise ShapeError(
            f"hint features need one shape (B, D) for student and teacher, got {tuple(student.shape)} and "
            f"{tuple(teacher.shape)}"
        )
    s, t = student.float(), teacher.detach().float().to(student.device)
    rows = t.abs().sum(-1) > 0
    if not bool(rows.any()):
        return s.sum() * 0.0
    return (1.0 - F.cosine_similarity(s[rows], t[rows], dim=-1, eps=1e-8)).mean()


class HintStudent(nn.Module):
    """A student with a training-only projection of its features to the teacher's feature size.

    Args:
        student: the model to train and save (its forward and outputs are unchanged).
        tap: a submodule of ``student`` whose first input, ``(B, student_dim)``, is the feature vector.
        student_dim: ``D_s``, the size of that input.
        teacher_dim: ``D_t``, the size of the teacher's features.

    Raises:
        ConfigError: ``tap`` is not a submodule of ``student``, or a feature size is below 1.
    """

    @check_args
    def __init__(self, student: nn.Module, tap: nn.Module, student_dim: int, teacher_dim: int) -> None:
        super().__init__()
        if not any(module is tap for module in student.modules()):
            raise ConfigError(
                "HintStudent: tap must be a submodule of the student (its input is the features)"
            )
        if student_dim < 1 or teacher_dim < 1:
            raise ConfigError(f"feature sizes must be positive, got {student_dim} and {teacher_dim}")
        self.student = student
        self.projection = nn.Linear(student_dim, teacher_dim)
        self._tap = (tap,)  # a tuple: not registered twice (it is the student's already)
        self.features: Tensor | None = None  # (B, D_t) of the last forward, until taken

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The student's outputs for its own arguments; the projected features are kept in ``features``."""
        seen: list[Tensor] = []
        handle = self._tap[0].register_forward_pre_hook(lambda _module, inputs: seen.append(inputs[0]))
        try:
            outputs = self.student(*args, **kwargs)
        finally:
            handle.remove()
        if not seen:
            raise RuntimeError("HintStudent: the tap module did not run in the student's forward")
        self.features = self.projection(seen[-1])
        return outputs

    def take_features(self) -> Tensor:
        """The projected features of the last forward, ``(B, D_t)``; cleared, so that none outlives its step."""
        if self.features is None:
            raise RuntimeError("HintStudent: no features; run the model first")
        features, self.features = self.features, None
        return features


def _hint_student(model: nn.Module) -> HintStudent:
    """``model`` itself or the HintStudent inside a DDP (or other ``.module``) wrapper."""
    inner = model if isinstance(model, HintStudent) else getattr(model, "module", None)
    if not isinstance(inner, HintStudent):
        raise TypeError(
            f"HintDistillationTask trains a HintStudent, got {type(model).__name__}; wrap the student: "
            "HintStudent(student, tap, student_dim, teacher_dim)"
        )
    return inner


class HintDistillationTask(DistillationTask):
    """:class:`DistillationTask` plus ``beta`` times the hint term :func:`hint_loss` (module docstring).

    Args:
        base: the student's task (its forward runs the :class:`HintStudent`, its metrics are kept).
        config: temperature, mixing weight and kind of the soft term.
        beta: weight of the hint term, >= 0; 0 gives the distillation loss alone, bit for bit.
        teacher_features: ``batch -> (B, D_t)`` the teacher's features carried by the data (all-zero rows:
            none).
        **kwargs: :class:`DistillationTask`'s (``targets``, ``teacher_logits``, ``teacher``...).

    Its ``forward`` returns :class:`HintOutputs` (the loss and the base task's metrics read them); predict
    with the base task, on the unwrapped student.

    Raises:
        ConfigError: ``beta`` negative or not finite.
    """

    @check_args
    def __init__(
        self,
        base: Task,
        config: DistillConfig | None = None,
        *,
        beta: float,
        teacher_features: Callable[[Any], Tensor],
        **kwargs: Any,
    ) -> None:
        if not (math.isfinite(beta) and beta >= 0):
            raise ConfigError(f"hint weight beta must be a number >= 0, got {beta}")
        super().__init__(base, config, **kwargs)
        self.beta = beta
        self.teacher_features = teacher_features

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> HintOutputs:
        outputs = self.base.forward(model, batch)
        return HintOutputs(outputs, _hint_student(model).take_features())

    def loss(self, outputs: Any, batch: Any) -> Tensor:
        loss = super().loss(outputs.outputs, batch)
        if self.beta == 0:
            return loss
        return loss + self.beta * hint_loss(outputs.features, self.teacher_features(batch))

    def update_metrics(self, metrics: dict[str, Metric], outputs: Any, batch: Any) -> None:
        self.base.update_metrics(metrics, outputs.outputs, batch)
