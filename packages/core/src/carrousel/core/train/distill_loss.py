"""The loss terms of knowledge distillation, one soft (teacher) term per kind of output, and the softmax
kind's mix with the hard labels. :mod:`carrousel.core.train.distill` describes the terms and holds the
:class:`~carrousel.core.train.distill.DistillationTask` that uses them (and re-exports these names).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, ShapeError

__all__ = [
    "DISTILL_KINDS",
    "IGNORE_INDEX",
    "DistillKind",
    "distillation_loss",
    "frame_kl",
    "soft_loss",
    "soft_targets",
]

IGNORE_INDEX = -100
DistillKind = Literal["softmax", "sigmoid", "mse", "pinball", "frames"]
DISTILL_KINDS: tuple[str, ...] = ("softmax", "sigmoid", "mse", "pinball", "frames")


def soft_targets(teacher_logits: Tensor, temperature: float = 1.0) -> Tensor:
    """The teacher's class probabilities at ``temperature``: ``softmax(logits / T)`` in float32."""
    return torch.softmax(teacher_logits.float() / temperature, dim=-1)


@check_args
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
        ShapeError: shapes that differ.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ShapeError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} differ in shape; the teacher must score the same classes"
        )
    s = student_logits.float()
    zero = s.new_zeros(())
    soft = zero
    if alpha > 0 or targets is None:
        soft = soft_loss(s, teacher_logits, "softmax", temperature)
    if targets is None:
        return soft
    hard = zero
    labelled = targets != ignore_index
    if alpha < 1 and bool(labelled.any()):
        hard = F.cross_entropy(s[labelled], targets[labelled])
    return alpha * soft + (1.0 - alpha) * hard


def frame_kl(student: Tensor, teacher: Tensor, lengths: Tensor, temperature: float = 2.0) -> Tensor:
    """``T^2`` times the mean over valid frames of ``KL(softmax(t/T) || softmax(s/T))`` per frame.

    Args:
        student: ``(B, T, C)`` per-frame logits or log-probabilities of the student (gradients flow).
        teacher: ``(B, T, C)`` the teacher's (treated as constants).
        lengths: ``(B,)`` valid frames of each sequence; frames ``t >= lengths[b]`` count nowhere.
        temperature: ``T`` > 0.

    Returns:
        The scalar soft term (0 when no frame is valid).

    Raises:
        ShapeError: shapes that differ, outputs that are not ``(B, T, C)`` or lengths that are not ``(B,)``.
    """
    if student.shape != teacher.shape or student.dim() != 3:
        raise ShapeError(
            f"frame distillation needs student and teacher outputs of one shape (B, T, C), got "
            f"{tuple(student.shape)} and {tuple(teacher.shape)}"
        )
    if lengths.shape != student.shape[:1]:
        raise ShapeError(
            f"lengths must be (B,) = ({student.shape[0]},), one valid-frame count per sequence of the batch, "
            f"got shape {tuple(lengths.shape)}; pass the lengths of this batch (those its student outputs "
            "were computed from)"
        )
    s, t = student.float(), teacher.detach().float()
    log_s, log_t = F.log_softmax(s / temperature, dim=-1), F.log_softmax(t / temperature, dim=-1)
    per_frame = F.kl_div(log_s, log_t, reduction="none", log_target=True).sum(-1)  # (B, T)
    frames = torch.arange(s.shape[1], device=s.device)
    valid = frames.unsqueeze(0) < lengths.to(s.device).unsqueeze(1)
    n = valid.sum()
    if int(n) == 0:
        return per_frame.sum() * 0.0
    return torch.where(valid, per_frame, torch.zeros_like(per_frame)).sum() / n * temperature**2


def soft_loss(
    student: Tensor,
    teacher: Tensor,
    kind: DistillKind = "softmax",
    temperature: float = 2.0,
    quantiles: tuple[float, ...] = (),
    lengths: Tensor | None = None,
) -> Tensor:
    """The soft (teacher) term alone, for every kind of output.

    Args:
        student: the student's outputs, any shape (``(B, C)`` logits for ``"softmax"``, ``(..., Q)``
            quantiles for ``"pinball"``); gradients flow through them.
        teacher: the teacher's outputs of the same shape (treated as constants).
        kind: ``"softmax"``: ``T^2 * mean_rows KL(softmax(t/T) || softmax(s/T))``; ``"sigmoid"``: ``T^2 *``
            the mean over the elements of the binary KL of ``sigmoid(t/T)`` from ``sigmoid(s/T)``;
            ``"mse"``: ``mean((s - t)^2)``; ``"pinball"``: ``mean(max(q e, (q - 1) e))``, ``e = t - s``;
            ``"frames"``: :func:`frame_kl` over the valid frames of ``(B, T, C)`` outputs.
        temperature: ``T`` > 0 (softmax, sigmoid and frames).
        quantiles: ``"pinball"``: the ``Q`` levels of the last dimension.
        lengths: ``"frames"``: ``(B,)`` valid frames of each sequence (None: all frames valid).

    Returns:
        The scalar soft term (0 when the student's outputs equal the teacher's).

    Raises:
        ShapeError: shapes that differ, or quantiles that do not match the last dimension.
        ConfigError: an unknown kind.
    """
    if student.shape != teacher.shape:
        raise ShapeError(
            f"student outputs {tuple(student.shape)} and teacher outputs {tuple(teacher.shape)} differ in "
            "shape; the teacher must predict the same outputs"
        )
    if kind == "frames":
        full = torch.full(student.shape[:1], student.shape[1] if student.dim() > 1 else 0)
        return frame_kl(student, teacher, lengths if lengths is not None else full, temperature)
    s, t = student.float(), teacher.detach().float()
    if kind == "softmax":
        log_s, log_t = F.log_softmax(s / temperature, dim=-1), F.log_softmax(t / temperature, dim=-1)
        return F.kl_div(log_s, log_t, reduction="none", log_target=True).sum(-1).mean() * temperature**2
    if kind == "sigmoid":
        s, t = s / temperature, t / temperature
        p = torch.sigmoid(t)  # log p, log(1 - p) from logsigmoid: finite where p rounds to 0 or 1
        kl = p * (F.logsigmoid(t) - F.logsigmoid(s)) + (1 - p) * (F.logsigmoid(-t) - F.logsigmoid(-s))
        return kl.mean() * temperature**2
    if kind == "mse":
        return F.mse_loss(s, t)
    if kind == "pinball":
        if len(quantiles) != s.shape[-1]:
            raise ShapeError(
                f"{len(quantiles)} quantile levels for outputs of {s.shape[-1]} in the last dimension"
            )
        q = torch.as_tensor(quantiles, dtype=s.dtype, device=s.device)
        err = t - s
        return torch.maximum(q * err, (q - 1) * err).mean()
    raise ConfigError(f"distillation kind {kind!r} is unknown; choose one of: {', '.join(DISTILL_KINDS)}")
