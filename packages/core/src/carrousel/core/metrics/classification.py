"""Classification metrics: accuracy, precision, recall and F1 (binary or macro).

Predictions may be given three ways, told apart by shape and dtype:

* logits or probabilities ``(..., C)`` (floating point, one more dimension than the target): the
  predicted class is the arg-max over the last dimension; ``(..., 1)`` is treated as binary scores;
* binary scores of the target's shape (floating point): the prediction is ``score >= threshold``
  (use ``threshold=0.0`` for logits, 0.5 for probabilities), so the target must hold 0/1 (a
  :class:`DataError` otherwise: predicted labels of a multi-class target are given as integers);
* labels of the target's shape (integer or bool).

Targets are integer (or bool) class indices ``(...)``; positions where the target equals
``ignore_index`` are skipped. State is a handful of per-class counts, so batch-accumulated and
cross-process values are exact. Zero divisions (a class never predicted, say) count as 0, as in
scikit-learn's default; ``macro`` averages over the classes that occur in the targets or predictions,
also as scikit-learn does by default, or with ``target_classes=True`` over those that occur in the targets
alone (scikit-learn's ``labels=<the classes in y_true>``): a class the data holds no row of is left out even
when it was predicted, while its wrong predictions still lower the recall of the classes they were taken from.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.metrics._base import Metric, Values, as_tensors, value_of

__all__ = [
    "F1",
    "Accuracy",
    "Average",
    "Precision",
    "Recall",
    "accuracy",
    "f1",
    "precision",
    "recall",
    "to_labels",
]

Average = Literal["binary", "macro"]


def _labels(
    preds: Tensor, target: Tensor, threshold: float, ignore_index: int | None
) -> tuple[Tensor, Tensor, Tensor | None, list[int]]:
    """Predicted and true labels of every position, with one host read for all the input checks.

    Returns:
        ``(labels (N,), target (N,), keep (N,) | None, checks)``: int64 labels, the positions not
        ignored (int64 0/1, None when every position is kept: ignored positions weigh 0 and are not
        dropped, as a boolean index would read the device) and ``checks`` = ``[kept, lowest label,
        highest label]`` over the kept positions (0 and 0 when none is kept), read from the device once.

    Raises:
        ShapeError: when the shapes do not fit or the target is not integral.
        DataError: when a label is negative, a prediction NaN (where the target is not ignored), binary
            scores meet a target class above 1, or logits ``(..., C)`` a target class ``>= C``.
    """
    preds, target = preds.detach(), target.detach()
    binary = False
    columns = 0  # logits (..., C) with C > 1: a target class >= C can never be predicted
    nan = preds.isnan() if preds.is_floating_point() else torch.zeros_like(preds, dtype=torch.bool)
    if preds.is_floating_point() and preds.dim() == target.dim() + 1 and preds.shape[:-1] == target.shape:
        labels = preds.squeeze(-1) >= threshold if preds.shape[-1] == 1 else preds.argmax(-1)
        binary = preds.shape[-1] == 1
        columns = 0 if binary else preds.shape[-1]
        nan = nan.any(-1)
    elif preds.shape == target.shape:
        labels = preds >= threshold if preds.is_floating_point() else preds
        binary = preds.is_floating_point()  # scores cut into 0/1: a target class above 1 never matches
    else:
        if target.is_floating_point() and bool((target != target.round()).any()):  # error path: reads more
            raise ShapeError("classification target must hold integer class indices, got fractional values")
        raise ShapeError(
            f"predictions {tuple(preds.shape)} do not fit target {tuple(target.shape)}; pass logits "
            "(..., C), or scores/labels of the target's shape"
        )
    labels = labels.reshape(-1).long()
    flat = target.reshape(-1)
    flat = flat if flat.device == labels.device else flat.to(labels.device)
    fractional = (flat != flat.round()).any().long() if flat.is_floating_point() else labels.new_zeros(())
    flat = flat.long()
    keep = (flat != ignore_index).long() if ignore_index is not None else None
    nan = nan.reshape(-1) if keep is None else nan.reshape(-1) & keep.bool()  # on the labels' device
    if keep is not None:  # ignored positions: both labels 0 (in range, and a match that keep weighs 0)
        labels, flat = labels * keep, flat * keep
    zero = labels.new_zeros(())
    low = torch.minimum(labels.min(), flat.min()) if flat.numel() else zero
    top = torch.maximum(labels.max(), flat.max()) if flat.numel() else zero
    kept = labels.new_full((), flat.numel()) if keep is None else keep.sum()
    checks = torch.stack([fractional, nan.sum(), kept, low, top]).tolist()  # the one host read
    if checks[0]:
        raise ShapeError("classification target must hold integer class indices, got fractional values")
    if checks[1]:  # arg-max took NaN as the largest and a NaN score as below any threshold: counted
        raise DataError(
            f"predictions hold NaN at {checks[1]} of {checks[2]} positions; check the model's outputs "
            "(a diverged training?) and its inputs for NaN"
        )
    if checks[2] and checks[3] < 0:
        raise DataError("class labels must be non-negative; set ignore_index for padding values")
    if columns and checks[2] and checks[4] >= columns:  # was counted a miss: accuracy 0.25, not an error
        raise DataError(
            f"the target holds class {checks[4]}, but the predictions have {columns} columns (classes 0 to "
            f"{columns - 1}); build the model with num_classes >= {checks[4] + 1} or fix the labels"
        )
    if binary and checks[2] and checks[4] > 1:  # was a miss: 1/3 for [2., 0., 1.] vs [2, 0, 0]
        raise DataError(
            f"floating predictions of the target's shape are binary scores, cut at threshold {threshold} into "
            f"labels 0/1, but the target holds class {checks[4]}; pass logits (..., C), or predicted class "
            "labels as integers (preds.long())"
        )
    return labels, flat, keep, checks[2:]


@check_args
def to_labels(
    preds: Values, target: Values, *, threshold: float = 0.5, ignore_index: int | None = None
) -> tuple[Tensor, Tensor]:
    """Turns predictions (logits, scores or labels) and targets into flat label tensors.

    Args:
        preds: logits/probabilities ``(..., C)``, binary scores ``(...)`` or labels ``(...)``.
        target: class indices ``(...)``.
        threshold: cut-off for binary scores.
        ignore_index: target value whose positions are dropped.

    Returns:
        ``(pred_labels (N,), target (N,))``, both int64.

    Raises:
        ShapeError: when the shapes do not fit or the target is not integral.
        DataError: when a label is negative, a prediction NaN (where the target is not ignored), or binary
            scores meet a target class above 1.
    """
    preds, target = as_tensors(preds, target, "to_labels")
    labels, flat, keep, _ = _labels(preds, target, threshold, ignore_index)
    if keep is None:
        return labels, flat
    kept = keep.bool()
    return labels[kept], flat[kept]


class Accuracy(Metric):
    """Fraction of correct predictions.

    Args:
        threshold: cut-off for binary scores of the target's shape.
        ignore_index: target value to skip (padding).
    """

    higher_is_better = True

    @check_args
    def __init__(self, threshold: float = 0.5, ignore_index: int | None = None) -> None:
        super().__init__()
        self.threshold = threshold
        self.ignore_index = ignore_index

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch: ``preds`` logits ``(..., C)``, scores or labels ``(...)``; ``target`` ``(...)``."""
        preds, target = as_tensors(preds, target, "accuracy")
        labels, flat, keep, _ = _labels(preds, target, self.threshold, self.ignore_index)
        correct = labels == flat
        self.add("correct", correct.sum() if keep is None else (correct.long() * keep).sum())
        # on the device: a tensor made from a host number is a copy to it, which waits for it
        self.add("count", labels.new_full((), flat.numel()) if keep is None else keep.sum())

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        count = self.need(sums, "count", "accuracy")
        if float(count) == 0:
            raise DataError("accuracy: no samples were seen; call update() with non-empty tensors")
        return float(sums["correct"] / count)


class _ClassCounts(Metric):
    """Shared state of precision, recall and F1: per-class true positives, predicted and true counts."""

    higher_is_better = True
    kind: ClassVar[str] = ""

    def __init__(
        self,
        average: Average = "binary",
        *,
        pos_label: int = 1,
        threshold: float = 0.5,
        num_classes: int | None = None,
        ignore_index: int | None = None,
        target_classes: bool = False,
    ) -> None:
        super().__init__()
        if average not in ("binary", "macro"):
            raise ConfigError(f"{self.kind}: average must be 'binary' or 'macro', got {average!r}")
        if average == "binary" and pos_label not in (0, 1):
            raise ConfigError(f"{self.kind}: pos_label must be 0 or 1 for binary averaging, got {pos_label}")
        if num_classes is not None and num_classes < 1:
            raise ConfigError(f"{self.kind}: num_classes must be >= 1, got {num_classes}")
        self.average = average
        self.pos_label = pos_label
        self.threshold = threshold
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.target_classes = target_classes

    def update(self, preds: Values, target: Values) -> None:
        """Adds a batch: ``preds`` logits ``(..., C)``, scores or labels ``(...)``; ``target`` ``(...)``."""
        preds, target = as_tensors(preds, target, self.kind)
        labels, flat, keep, (kept, _, top) = _labels(preds, target, self.threshold, self.ignore_index)
        top = top if kept else 0
        if self.average == "binary" and top > 1:
            raise ConfigError(
                f"{self.kind}: average='binary' needs labels in {{0, 1}}, found label {top}; "
                "use average='macro' for more classes"
            )
        if self.num_classes is not None and top >= self.num_classes:
            raise DataError(f"{self.kind}: label {top} is out of range for num_classes={self.num_classes}")
        n = max(top + 1, self.num_classes or 0, 2 if self.average == "binary" else 1)
        # counted by scatter-add into n bins: bincount reads the largest label from a GPU, a boolean index
        # the count of true positives; ignored positions (whose labels may be out of range) weigh 0 in bin 0
        weight = flat.new_ones(()).expand_as(flat) if keep is None else keep  # 1 per kept position
        match = (labels == flat).long()
        self.add("tp", _counts(flat, match if keep is None else match * keep, n))
        self.add("predicted", _counts(labels, weight, n))
        self.add("actual", _counts(flat, weight, n))

    def _per_class(self, tp: Tensor, predicted: Tensor, actual: Tensor) -> Tensor:
        raise NotImplementedError

    def compute_from_state(self, sums: dict[str, Tensor], cats: dict[str, Tensor]) -> float:
        actual = self.need(sums, "actual", self.kind)
        if float(actual.sum()) == 0:
            raise DataError(f"{self.kind}: no samples were seen; call update() with non-empty tensors")
        tp, predicted = sums["tp"], sums["predicted"]
        n = max(tp.numel(), predicted.numel(), actual.numel())
        tp, predicted, actual = (
            torch.nn.functional.pad(t, (0, n - t.numel())) for t in (tp, predicted, actual)
        )
        values = self._per_class(tp, predicted, actual)
        if self.average == "binary":
            return float(values[self.pos_label])
        present = actual > 0 if self.target_classes else (predicted + actual) > 0
        return float(values[present].mean())


def _counts(index: Tensor, weight: Tensor, n: int) -> Tensor:
    """``bincount(index[weight > 0], minlength=n)`` for 0/1 weights, without reading the device."""
    return torch.zeros(n, dtype=torch.long, device=index.device).scatter_add_(0, index, weight)


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    return torch.where(den > 0, num / den.clamp_min(1), torch.zeros_like(num))


class Precision(_ClassCounts):
    """Precision ``tp / (tp + fp)``, binary (of ``pos_label``) or macro-averaged over classes.

    Args:
        average: ``"binary"`` (labels in {0, 1}) or ``"macro"``.
        pos_label: the positive class for binary averaging.
        threshold: cut-off for binary scores of the target's shape.
        num_classes: fixes the class count (checked); otherwise learned from the labels seen.
        ignore_index: target value to skip (padding).
        target_classes: ``macro`` averages over the classes present in the targets only, not over those
            predicted but absent from them (see the module docstring).
    """

    kind = "precision"

    def _per_class(self, tp: Tensor, predicted: Tensor, actual: Tensor) -> Tensor:
        return _safe_div(tp, predicted)


class Recall(_ClassCounts):
    """Recall ``tp / (tp + fn)``, binary or macro; arguments as :class:`Precision`."""

    kind = "recall"

    def _per_class(self, tp: Tensor, predicted: Tensor, actual: Tensor) -> Tensor:
        return _safe_div(tp, actual)


class F1(_ClassCounts):
    """F1 score ``2 tp / (2 tp + fp + fn)``, binary or macro; arguments as :class:`Precision`."""

    kind = "f1"

    def _per_class(self, tp: Tensor, predicted: Tensor, actual: Tensor) -> Tensor:
        return _safe_div(2 * tp, predicted + actual)


@check_args
def accuracy(
    preds: Values, target: Values, *, threshold: float = 0.5, ignore_index: int | None = None
) -> float:
    """Fraction of correct predictions; ``preds`` logits ``(..., C)``, scores or labels ``(...)``."""
    return value_of(Accuracy(threshold=threshold, ignore_index=ignore_index), preds, target)


def _functional(
    cls: type[_ClassCounts],
    preds: Values,
    target: Values,
    average: Average,
    pos_label: int,
    threshold: float,
    ignore_index: int | None,
    target_classes: bool,
) -> float:
    """:func:`precision`, :func:`recall` or :func:`f1`: their one keyword block, passed on to ``cls``."""
    metric = cls(
        average,
        pos_label=pos_label,
        threshold=threshold,
        ignore_index=ignore_index,
        target_classes=target_classes,
    )
    return value_of(metric, preds, target)


@check_args
def precision(
    preds: Values,
    target: Values,
    average: Average = "binary",
    *,
    pos_label: int = 1,
    threshold: float = 0.5,
    ignore_index: int | None = None,
    target_classes: bool = False,
) -> float:
    """Precision, binary or macro; see :class:`Precision`."""
    return _functional(Precision, preds, target, average, pos_label, threshold, ignore_index, target_classes)


@check_args
def recall(
    preds: Values,
    target: Values,
    average: Average = "binary",
    *,
    pos_label: int = 1,
    threshold: float = 0.5,
    ignore_index: int | None = None,
    target_classes: bool = False,
) -> float:
    """Recall, binary or macro; see :class:`Recall`."""
    return _functional(Recall, preds, target, average, pos_label, threshold, ignore_index, target_classes)


@check_args
def f1(
    preds: Values,
    target: Values,
    average: Average = "binary",
    *,
    pos_label: int = 1,
    threshold: float = 0.5,
    ignore_index: int | None = None,
    target_classes: bool = False,
) -> float:
    """F1 score, binary or macro; see :class:`F1`."""
    return _functional(F1, preds, target, average, pos_label, threshold, ignore_index, target_classes)
