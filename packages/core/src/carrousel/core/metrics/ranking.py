"""Exact ROC-AUC and PR-AUC (average precision) over all samples seen.

The stateful classes keep every score and label (one float64 and one int64 per sample), so the value
over many batches, or over many processes, is the exact value on all the data, never a mean of
per-batch AUCs. Ties are handled as scikit-learn does: ROC-AUC is the trapezoidal area (equal to the
Mann-Whitney statistic with average ranks), PR-AUC is scikit-learn's ``average_precision_score``
(a step-wise sum over distinct thresholds, no interpolation).

Scores are ``(...)`` for a binary target in {0, 1}, ``(..., 2)`` (the positive column is used), or
``(..., C)`` for a multi-class target in ``[0, C)``, macro-averaged one-vs-rest. A class without
positives (or, for ROC-AUC, without negatives) makes the area undefined: :class:`DataError`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from carrousel.core.device import wide_float
from carrousel.core.errors import DataError, ShapeError
from carrousel.core.metrics._base import Metric, Values, as_tensors, value_of

__all__ = ["PRAUC", "ROCAUC", "binary_average_precision", "binary_roc_auc", "pr_auc", "roc_auc"]


def binary_roc_auc(scores: Tensor, positive: Tensor) -> Tensor:
    """Exact ROC-AUC of 1-D ``scores`` for the boolean labels ``positive``; ties count one half.

    Raises:
        DataError: when only one class is present.
    """
    n_pos = int(positive.sum())
    n_neg = positive.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        raise DataError(
            f"roc_auc: needs both classes, got {n_pos} positives and {n_neg} negatives; evaluate on more data"
        )
    sorted_scores, order = scores.sort()
    _, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).to(scores.dtype)
    mean_rank = ends - (counts.to(scores.dtype) - 1) / 2  # 1-based average rank of each tie group
    pos_rank_sum = mean_rank[inverse][positive[order]].sum()
    return (pos_rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def binary_average_precision(scores: Tensor, positive: Tensor) -> Tensor:
    """Average precision (PR-AUC) of 1-D ``scores`` for the boolean labels ``positive``.

    Raises:
        DataError: when there is no positive sample.
    """
    n_pos = int(positive.sum())
    if n_pos == 0:
        raise DataError("pr_auc: needs at least one positive sample; evaluate on more data")
    order = scores.argsort(descending=True, stable=True)
    s = scores[order]
    y = positive[order].to(scores.dtype)
    tps = y.cumsum(0)
    fps = (1 - y).cumsum(0)
    last = torch.ones_like(s, dtype=torch.bool)  # last index of each distinct threshold
    last[:-1] = s[:-1] != s[1:]
    tps, fps = tps[last], fps[last]
    prec = tps / (tps + fps)
    rec = tps / n_pos
    rec_prev = torch.cat([rec.new_zeros(1), rec[:-1]])
    return ((rec - rec_prev) * prec).sum()


class _ScoreMetric(Metric):
    """Keeps all scores and integer targets; subclasses give the binary area function."""

    name = "auc"
    higher_is_better = True

    def __init__(self, ignore_index: int | None = None) -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self._width: int | None = None

    def reset(self) -> None:
        super().reset()
        self._width = None

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch.

        Args:
            preds: scores ``(...)`` or ``(..., 1)`` (binary), ``(..., 2)`` (binary: the second column) or
                ``(..., C)`` (per-class scores, one-vs-rest).
            target: class indices ``(...)``: 0/1 for binary scores, ``[0, C)`` otherwise.
        """
        preds, target = as_tensors(preds, target, self.name, "scores")
        if not preds.is_floating_point():
            raise ShapeError(f"{self.name}: scores must be floating point, got {preds.dtype}")
        if target.is_floating_point() and not bool((target == target.round()).all()):
            raise ShapeError(f"{self.name}: target must hold class indices, got fractional values")
        if preds.shape == target.shape:
            width, scores = 0, preds.reshape(-1)
        elif preds.dim() == target.dim() + 1 and preds.shape[:-1] == target.shape:
            width = preds.shape[-1]
            scores = preds.reshape(-1, width)
            if width == 1:  # one score column, e.g. nn.Linear(d, 1) under BCE: binary scores (it was read as
                width, scores = 0, scores[:, 0]  # one-vs-rest over one class: a DataError for any 0/1 target)
            elif width == 2:
                width, scores = 0, scores[:, 1]
        else:
            raise ShapeError(
                f"{self.name}: scores {tuple(preds.shape)} do not fit target {tuple(target.shape)}; "
                "pass scores of the target's shape or (..., C)"
            )
        if self._width is not None and width != self._width:
            raise ShapeError(f"{self.name}: score width changed between batches ({self._width} -> {width})")
        self._width = width
        flat = target.detach().reshape(-1).to(preds.device).long()
        if self.ignore_index is not None:
            keep = flat != self.ignore_index
            scores, flat = scores[keep], flat[keep]
        self.append("scores", scores.to(wide_float(preds.device)))
        self.append("target", flat)

    def _binary(self, scores: Tensor, positive: Tensor) -> Tensor:
        raise NotImplementedError

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        if "target" not in cats or cats["target"].numel() == 0:
            raise DataError(f"{self.name}: no samples were seen; call update() before compute()")
        scores, target = cats["scores"], cats["target"]
        if not bool(torch.isfinite(scores).all()):
            raise DataError(f"{self.name}: scores contain NaN or infinity")
        if scores.dim() == 1:
            if int(target.min()) < 0 or int(target.max()) > 1:
                raise DataError(f"{self.name}: binary scores need targets in {{0, 1}}; pass (..., C) scores")
            return float(self._binary(scores, target == 1))
        C = scores.shape[1]
        if int(target.min()) < 0 or int(target.max()) >= C:
            raise DataError(f"{self.name}: targets must lie in [0, {C}) for {C} score columns")
        return float(torch.stack([self._binary(scores[:, c], target == c) for c in range(C)]).mean())


class ROCAUC(_ScoreMetric):
    """Exact area under the ROC curve (binary, or macro one-vs-rest over C score columns).

    Args:
        ignore_index: target value to skip (padding).
    """

    name = "roc_auc"

    def _binary(self, scores: Tensor, positive: Tensor) -> Tensor:
        return binary_roc_auc(scores, positive)


class PRAUC(_ScoreMetric):
    """Average precision, the step-wise area under the precision-recall curve (scikit-learn's).

    Args:
        ignore_index: target value to skip (padding).
    """

    name = "pr_auc"

    def _binary(self, scores: Tensor, positive: Tensor) -> Tensor:
        return binary_average_precision(scores, positive)


def roc_auc(scores: Values, target: Values) -> float:
    """Exact ROC-AUC: ``scores`` ``(N,)`` with 0/1 ``target`` ``(N,)``, or ``(N, C)`` one-vs-rest macro."""
    return value_of(ROCAUC(), scores, target)


def pr_auc(scores: Values, target: Values) -> float:
    """Average precision: ``scores`` ``(N,)`` with 0/1 ``target`` ``(N,)``, or ``(N, C)`` macro."""
    return value_of(PRAUC(), scores, target)
