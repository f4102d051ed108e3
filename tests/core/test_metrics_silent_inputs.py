"""Inputs the metrics counted instead of refusing: a target class past the logits' C columns (a model built
with too few classes) was one more miss (accuracy 0.25 for [0, 1, 5, 2] against 3 columns, F1 macro too),
and logits or NaN given to the calibration figures as probabilities gave an ECE of 0.15 or nan. Each is
now one DataError naming the fix; sklearn agrees on the valid inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from carrousel.core.errors import DataError
from carrousel.core.metrics import (
    F1,
    Accuracy,
    accuracy,
    brier_score,
    expected_calibration_error,
    f1,
    log_loss,
)


def test_a_target_class_past_the_logits_columns_is_refused() -> None:
    logits, target = torch.randn(4, 3), torch.tensor([0, 1, 5, 2])
    want = "the target holds class 5, but the predictions have 3 columns (classes 0 to 2)"
    for call in (
        lambda: accuracy(logits, target),
        lambda: f1(logits, target, "macro"),
        lambda: Accuracy().update(logits, target),
        lambda: F1("macro").update(logits, target),
    ):
        with pytest.raises(DataError, match=r"^" + want.replace("(", r"\(").replace(")", r"\)")):
            call()


def test_ignored_positions_and_classes_inside_the_columns_still_count() -> None:
    logits, target = torch.randn(5, 3), torch.tensor([0, 1, -100, 2, 2])
    keep = target != -100
    labels = logits.argmax(-1)
    got = accuracy(logits, target, ignore_index=-100)
    assert got == pytest.approx(skm.accuracy_score(target[keep].numpy(), labels[keep].numpy()))


@pytest.mark.parametrize("figure", [expected_calibration_error, brier_score, log_loss])
def test_logits_or_nan_given_as_probabilities_are_refused(figure) -> None:  # type: ignore[no-untyped-def]
    logits = np.array([[2.3, -1.0], [0.1, 0.4]])
    with pytest.raises(DataError, match=r"pass logits\.softmax\(-1\), not logits"):
        figure(logits, [0, 1])
    with pytest.raises(DataError, match="NaN or infinity"):
        figure(np.array([[np.nan, 0.5], [0.2, 0.8]]), [0, 1])


def test_probabilities_still_score_as_sklearn() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=50).astype(np.float32)  # float32 rows sum to 1 up to round-off
    y = rng.integers(0, 4, size=50)
    assert log_loss(p, y) == pytest.approx(skm.log_loss(y, p, labels=range(4)), rel=1e-5)
    assert brier_score(p, y) == pytest.approx(np.mean(np.sum((p - np.eye(4)[y]) ** 2, axis=1)), rel=1e-6)
    assert 0.0 <= expected_calibration_error(p, y) <= 1.0
