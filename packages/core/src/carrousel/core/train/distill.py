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

Other outputs (``DistillConfig.kind``), so that any core model can be distilled, not only classifiers:

* ``"sigmoid"``: independent sigmoid outputs (multi-label, e.g. bio's DanQ panel): the binary KL divergence
  of every output at temperature ``T``, ``p_t log(p_t / p_s) + (1 - p_t) log((1 - p_t) / (1 - p_s))`` with
  ``p = sigmoid(logit / T)``, averaged over the elements and scaled by ``T**2``.
* ``"mse"``: regression outputs of any shape: ``mean((s - t)**2)`` (the teacher's outputs are the targets).
* ``"pinball"``: quantile outputs ``(..., Q)`` (``DistillConfig.quantiles`` the ``Q`` levels): the pinball
  loss of each student quantile against the teacher's same quantile, ``mean(max(q e, (q - 1) e))`` with
  ``e = t - s``, minimal (0) where the student's quantiles equal the teacher's.

* ``"frames"``: per-frame class logits (or log-probabilities) of sequence outputs ``(B, T, C)``, e.g. a CTC
  acoustic model's: ``T**2`` times the KL divergence of every *valid* frame (``t < lengths[b]``, the
  ``(B,)`` output lengths from ``DistillationTask(lengths=...)``) averaged over the valid frames of the
  batch; padded frames count nowhere. The hard term is the wrapped task's own loss (CTC has no per-frame
  targets).

For these kinds the hard term is the wrapped task's own ``loss(outputs, batch)`` (its loss against the
observed targets: the pinball loss, the binary cross-entropy...), so ``loss = alpha * soft + (1 - alpha) *
base.loss``; ``targets=`` (class indices) belongs to ``"softmax"`` only.

Example:
    >>> task = DistillationTask(  # doctest: +SKIP
    ...     SentimentTask(2), DistillConfig(temperature=2.0, alpha=0.7),
    ...     targets=lambda b: b[2], teacher_logits=lambda b: b[3])
    >>> Trainer(student, task, TrainConfig(epochs=10)).fit(train_loader, val_loader)  # doctest: +SKIP
    >>> DistillationTask(  # doctest: +SKIP
    ...     QuantileForecastTask(qs), DistillConfig(kind="mse", alpha=0.8),
    ...     teacher=ensemble, teacher_forward=lambda t, b: t(b["x"]))
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from carrousel.core.config import check_numbers
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.train.distill_loss import (
    DISTILL_KINDS,
    IGNORE_INDEX,
    DistillKind,
    distillation_loss,
    frame_kl,
    soft_loss,
    soft_targets,
)
from carrousel.core.train.task import Task
from carrousel.core.train.tbptt import first_tensor

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from carrousel.core.metrics import Metric
    from carrousel.core.train.result import FitResult

__all__ = [
    "DISTILL_KINDS",
    "DistillConfig",
    "DistillKind",
    "DistillationTask",
    "distillation_loss",
    "distilled_summary",
    "frame_kl",
    "soft_loss",
    "soft_targets",
]


@dataclass(frozen=True)
class DistillConfig:
    """How soft and hard targets are mixed.

    Attributes:
        temperature: softens both distributions (1 = plain softmax; Hinton et al. use 2 to 20).
        alpha: weight of the soft (teacher) term, in [0, 1]; ``1 - alpha`` weighs the hard labels.
        ignore_index: the target of rows without a label (soft term only; ``"softmax"``).
        kind: the outputs: ``"softmax"`` class logits, ``"sigmoid"`` independent (multi-label) logits,
            ``"mse"`` regression values, ``"pinball"`` quantiles, ``"frames"`` per-frame logits of
            sequences with their lengths (see the module's docstring).
        quantiles: ``"pinball"``: the ``Q`` levels of the last output dimension.
    """

    temperature: float = 2.0  # temperature of teacher and student in the soft term (softmax, sigmoid)
    alpha: float = 0.5  # weight of the soft term; 1 = teacher only, 0 = labels only
    ignore_index: int = IGNORE_INDEX  # target of unlabelled rows
    kind: DistillKind = "softmax"  # the outputs' kind: softmax | sigmoid | mse | pinball | frames
    quantiles: tuple[float, ...] = ()  # pinball: the levels of the last output dimension

    def __post_init__(self) -> None:
        check_numbers(self)
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ConfigError(f"distillation temperature must be a positive number, got {self.temperature}")
        if not (math.isfinite(self.alpha) and 0.0 <= self.alpha <= 1.0):
            raise ConfigError(f"distillation alpha must be in [0, 1], got {self.alpha}")
        if self.kind not in DISTILL_KINDS:
            raise ConfigError(
                f"distillation kind {self.kind!r} is unknown; choose one of: {', '.join(DISTILL_KINDS)}"
            )
        if self.kind == "pinball" and not (self.quantiles and all(0.0 < q < 1.0 for q in self.quantiles)):
            raise ConfigError("pinball distillation needs quantiles=(levels in (0, 1)), e.g. (0.1, 0.5, 0.9)")


def _tensor(value: Any, source: str, fix: str) -> Tensor:
    """``value`` when it is a tensor, else one ShapeError naming ``source``, the type it gave and ``fix``
    (as the trainer's check of ``Task.loss`` reads: :func:`~carrousel.core.train.task.check_loss`)."""
    if not isinstance(value, Tensor):
        raise ShapeError(f"DistillationTask: {source} returned a {type(value).__name__}, not a tensor; {fix}")
    return value


class DistillationTask(Task):
    """Wraps a task (classification, multi-label, regression, quantiles) so that its student learns from a teacher's soft targets as well.

    Args:
        base: the student's task: its ``forward`` gives the outputs, its metrics are reported on validation.
        config: temperature and mixing weight.
        targets: ``batch -> (B,)`` hard labels (``ignore_index`` where none); None: the soft term only, with
            kind ``"softmax"`` (``alpha`` below 1 is then warned of: the wrapped task's loss is not used).
        teacher_logits: ``batch -> (B, C)`` precomputed teacher logits (or outputs) carried by the data.
        teacher: a teacher module run on the fly instead (eval mode, under ``torch.no_grad``, moved to
            the batch's device on first use); not trained and not part of the student. Its parameters keep
            their ``requires_grad``: a layer the student shares with it still trains, and the teacher can
            be trained again afterwards.
        teacher_forward: ``(teacher, batch) -> (B, C)`` logits; default ``teacher(batch[0])``, the inputs
            alone: for padded batches ``(x, lengths, y)`` pass ``lambda t, b: t(b[0], b[1])``, else the
            teacher reads every sequence to the padded end and its soft targets differ from its predictions.
        logits: ``outputs -> (B, C)`` student logits from the base task's outputs; None: the outputs.
        lengths: ``"frames"``: ``outputs -> (B,)`` valid frames of the student's (and teacher's) outputs,
            e.g. ``lambda out: out[1]`` for a CTC model's ``(log_probs, out_lengths)``.

    Raises:
        ConfigError: neither or both of ``teacher_logits`` and ``teacher``; a stateful base task;
            ``targets`` with a kind other than ``"softmax"`` (their hard term is the base task's loss).
        ShapeError: in :meth:`loss`, student or teacher outputs that are not a tensor (a tuple, a dict):
            one line naming what was received and the argument that picks the tensor out.
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
        logits: Callable[[Any], Tensor] | None = None,
        lengths: Callable[[Any], Tensor] | None = None,
    ) -> None:
        if (teacher_logits is None) == (teacher is None):
            raise ConfigError("DistillationTask needs exactly one of teacher_logits=... and teacher=...")
        if base.stateful:
            raise ConfigError("DistillationTask does not wrap stateful (truncated-BPTT) tasks")
        if targets is not None and config is not None and config.kind != "softmax":
            raise ConfigError(
                f"targets=... (class indices) is for kind 'softmax'; kind {config.kind!r} takes its hard "
                "term from the wrapped task's loss"
            )
        self.base = base
        self.config = config or DistillConfig()
        if self.config.kind == "softmax" and targets is None and self.config.alpha < 1:
            logger.warning(  # the other kinds mix in the wrapped task's loss; softmax takes targets=...
                "DistillationTask: alpha=%g has no effect: with kind 'softmax' and no targets=... the loss is "
                "the soft term alone (the wrapped task's loss is not used); pass targets=lambda batch: <its "
                "class indices> to mix in the hard term, or DistillConfig(alpha=1.0) for the soft term alone",
                self.config.alpha,
            )
        self.targets = targets
        self.teacher_logits = teacher_logits
        self.teacher = teacher.eval() if teacher is not None else None  # no_grad in _teacher: nothing frozen
        self.teacher_forward = teacher_forward  # None: teacher(batch[0]), named "the teacher" in errors
        self.logits = logits
        self.lengths = lengths

    def _student(self, outputs: Any) -> Tensor:
        if self.logits is None:
            fix = "pass logits=... to pick the student's logits out of it, e.g. logits=lambda out: out[0]"
            return _tensor(outputs, "the wrapped task's forward", fix)
        return _tensor(self.logits(outputs), "logits=...", "return the student's logits as a torch.Tensor")

    def _teacher(self, batch: Any) -> Tensor:
        if self.teacher_logits is not None:
            fix = "return the teacher's logits carried by the batch, e.g. teacher_logits=lambda b: b[3]"
            return _tensor(self.teacher_logits(batch), "teacher_logits=...", fix)
        assert self.teacher is not None
        ref = first_tensor(batch)
        if ref is not None:
            param = next(self.teacher.parameters(), None)
            if param is not None and param.device != ref.device:
                self.teacher.to(ref.device)
        self.teacher.eval()
        with torch.no_grad():
            if self.teacher_forward is not None:
                out = self.teacher_forward(self.teacher, batch)
                return _tensor(out, "teacher_forward=...", "return the teacher's logits as a torch.Tensor")
            out = self.teacher(batch[0])
        fix = "pass teacher_forward=... to pick its logits out, e.g. teacher_forward=lambda t, b: t(b[0])[0]"
        return _tensor(out, "the teacher", fix)

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Any:
        return self.base.forward(model, batch)

    def loss(self, outputs: Any, batch: Any) -> Tensor:
        cfg = self.config
        if cfg.kind != "softmax":  # soft term against the teacher's outputs, hard term the base task's loss
            soft = hard = None
            if cfg.alpha > 0:
                lengths = self.lengths(outputs) if self.lengths is not None else None
                soft = soft_loss(
                    self._student(outputs),
                    self._teacher(batch),
                    cfg.kind,
                    cfg.temperature,
                    cfg.quantiles,
                    lengths,
                )
            if cfg.alpha < 1:
                hard = self.base.loss(outputs, batch)
            if soft is None:
                assert hard is not None
                return hard
            return soft if hard is None else cfg.alpha * soft + (1.0 - cfg.alpha) * hard
        return distillation_loss(
            self._student(outputs),
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


def distilled_summary(
    teacher: nn.Module, student: nn.Module, config: DistillConfig, result: FitResult
) -> dict[str, Any]:
    """The JSON-ready record every domain export keeps of a distilled variant (beside its own figures):
    parameters before and after, the soft term's kind, ``alpha`` and temperature, epochs run and the best one.
    """
    return {
        "parameters": {
            "before": sum(p.numel() for p in teacher.parameters()),
            "after": sum(p.numel() for p in student.parameters()),
        },
        "kind": config.kind,
        "alpha": config.alpha,
        "temperature": config.temperature,
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
    }
