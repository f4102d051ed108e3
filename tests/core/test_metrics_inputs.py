"""The metrics take what a user holds: numpy arrays and Python lists give the figures tensors give (every
entry point failed with "'numpy.ndarray' object has no attribute 'detach'" or "... 'is_floating_point'"),
and anything else is one ShapeError naming the metric."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core.errors import DataError, ShapeError
from carrousel.core.metrics import (
    ROCAUC,
    Accuracy,
    Perplexity,
    PinballLoss,
    accuracy,
    f1,
    mae,
    mse,
    pinball_loss,
    pr_auc,
    precision,
    recall,
    roc_auc,
    to_labels,
)

SCORES = [0.1, 0.9, 0.6, 0.4, 0.8, 0.3]
LABELS = [0, 1, 0, 0, 1, 1]
VALUES = [1.0, 2.5, -0.5, 3.0, 0.0, 1.5]


def _accumulated(metric: Any, preds: Any, target: Any) -> float:
    metric.update(preds, target)
    return float(metric.compute())


CASES: dict[str, tuple[Callable[[Any, Any], float], list[Any], list[Any]]] = {
    "accuracy": (accuracy, SCORES, LABELS),
    "precision": (precision, SCORES, LABELS),
    "recall": (recall, SCORES, LABELS),
    "f1": (f1, SCORES, LABELS),
    "roc_auc": (roc_auc, SCORES, LABELS),
    "pr_auc": (pr_auc, SCORES, LABELS),
    "mae": (mae, SCORES, VALUES),
    "mse": (mse, SCORES, VALUES),
    "pinball_loss": (lambda p, t: pinball_loss(p, t, [0.1, 0.9]), [[s, s + 1] for s in SCORES], VALUES),
    "Accuracy": (lambda p, t: _accumulated(Accuracy(), p, t), SCORES, LABELS),
    "ROCAUC": (lambda p, t: _accumulated(ROCAUC(), p, t), SCORES, LABELS),
    "PinballLoss": (lambda p, t: _accumulated(PinballLoss([0.5]), p, t), [[s] for s in SCORES], VALUES),
    "Perplexity": (lambda p, t: _accumulated(Perplexity(), p, t), [[0.0, 1.0, -1.0]] * 2, [1, 0]),
}


@pytest.mark.parametrize("name", CASES)
def test_numpy_arrays_and_lists_give_the_tensor_figure(name: str) -> None:
    """Each as the tensor it converts to: a list as ``torch.tensor`` (float32), an array keeping its dtype."""
    fn, preds, target = CASES[name]
    assert fn(preds, target) == fn(torch.tensor(preds), torch.tensor(target))
    arrays = np.array(preds), np.array(target)
    assert fn(*arrays) == fn(*(torch.from_numpy(a) for a in arrays))


def test_to_labels_takes_numpy() -> None:
    labels, target = to_labels(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 1]))
    assert labels.tolist() == [0, 1] and target.tolist() == [0, 1]


@pytest.mark.parametrize("bad", [{"a": 1}, "scores", [[1.0], [2.0, 3.0]]])
def test_other_inputs_are_one_shape_error_naming_the_metric(bad: object) -> None:
    with pytest.raises(ShapeError, match=r"^roc_auc: scores must be a tensor, a numpy array or a list"):
        roc_auc(bad, LABELS)  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match=r"^mse: target must be a tensor, a numpy array or a list"):
        mse(VALUES, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("preds", "target"),
    [
        (torch.tensor([[float("nan"), 0.0], [0.2, 0.9]]), torch.tensor([0, 1])),  # logits: arg-max took NaN
        (torch.tensor([float("nan"), 0.9]), torch.tensor([0, 1])),  # binary scores: NaN < threshold
    ],
    ids=["logits", "scores"],
)
def test_nan_predictions_are_one_data_error_not_a_count(preds: torch.Tensor, target: torch.Tensor) -> None:
    """A NaN prediction (a diverged model's output) was counted as a class: accuracy 1.0 here."""
    for metric in (accuracy, f1):
        with pytest.raises(DataError, match=r"^predictions hold NaN at 1 of 2 positions; check the model's"):
            metric(preds, target)
    acc = Accuracy()
    with pytest.raises(DataError, match="predictions hold NaN"):
        acc.update(preds, target)


def test_nan_at_ignored_positions_and_minus_inf_logits_are_read() -> None:
    """Padding rows (target = ignore_index) may hold anything; -inf is a masked logit, not a fault."""
    preds = torch.tensor([[float("nan"), 0.0], [float("-inf"), 0.9], [0.8, 0.1]])
    assert accuracy(preds, torch.tensor([-100, 1, 0]), ignore_index=-100) == 1.0


@pytest.mark.parametrize("metric", [accuracy, f1, precision, recall, to_labels])
def test_binary_scores_against_a_multiclass_target_are_refused(metric: Callable[..., Any]) -> None:
    """Floating predictions of the target's shape are binary scores cut at 0.5 into 0/1: against a target
    holding class 2 they never match it. accuracy([2., 0., 1.], [2, 0, 0]) was 0.333 (scikit-learn, reading
    them as labels: 0.667), without a word; now one DataError naming the fix."""
    with pytest.raises(DataError, match=r"holds class 2; pass logits .*preds\.long\(\)"):
        metric(torch.tensor([2.0, 0.0, 1.0]), torch.tensor([2, 0, 0]))
    with pytest.raises(DataError, match="holds class 2"):  # (N, 1) scores are binary as well
        metric(torch.tensor([[0.9], [0.1], [0.7]]), torch.tensor([2, 0, 0]))
    assert accuracy(torch.tensor([2, 0, 1]), torch.tensor([2, 0, 0])) == pytest.approx(
        2 / 3
    )  # integer labels
    assert accuracy(torch.tensor([0.9, 0.2, 0.3]), torch.tensor([1, 0, 1])) == pytest.approx(
        2 / 3
    )  # 0/1 target
    # an ignored position holding a larger value is no class of the target
    assert accuracy(torch.tensor([0.9, 0.2]), torch.tensor([1, 7]), ignore_index=7) == 1.0
