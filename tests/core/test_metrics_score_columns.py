"""ROC-AUC and PR-AUC of one score column: a binary model's ``(N, 1)`` output (``nn.Linear(d, 1)`` under
``BCEWithLogitsLoss``) is its binary scores, as the classification metrics already read ``(..., 1)``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from carrousel.core.metrics import PRAUC, ROCAUC, accuracy, pr_auc, roc_auc


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(64, generator=g, dtype=torch.float64)
    target = (scores + torch.randn(64, generator=g, dtype=torch.float64) > 0).long()
    return scores, target


def test_one_score_column_is_binary_scores() -> None:
    """Before, ``(N, 1)`` was read as one-vs-rest over one class: a DataError ('targets must lie in [0, 1)
    for 1 score columns') for every 0/1 target."""
    scores, target = _data()
    y, s = target.numpy(), scores.numpy()
    column = scores[:, None]
    assert roc_auc(column, target) == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
    assert pr_auc(column, target) == pytest.approx(skm.average_precision_score(y, s), rel=1e-12)
    assert accuracy(column, target, threshold=0.0) == pytest.approx(skm.accuracy_score(y, s >= 0), rel=1e-12)


@pytest.mark.parametrize("cls", [ROCAUC, PRAUC])
def test_one_score_column_accumulates_over_batches(cls: type) -> None:
    scores, target = _data()
    metric = cls()
    for i in range(0, 64, 10):
        metric.update(scores[i : i + 10, None].numpy(), target[i : i + 10])
    whole = roc_auc(scores, target) if cls is ROCAUC else pr_auc(scores, target)
    assert metric.compute() == pytest.approx(whole, rel=1e-12)
    assert np.isfinite(whole)
