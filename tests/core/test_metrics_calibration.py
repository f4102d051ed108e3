"""Temperature scaling and calibration figures (carrousel.core.metrics.calibration), against known values and
scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.metrics import (
    brier_score,
    expected_calibration_error,
    fit_temperature,
    log_loss,
    scale_cut,
    temperature_scale,
)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("true_t", "classes"), [(2.0, 2), (0.5, 2), (1.5, 4)])
def test_fit_temperature_recovers_a_known_temperature(true_t: float, classes: int) -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 3.0, size=(20_000, classes))
    p = _softmax(logits / true_t)  # labels drawn from the tempered model: its T is true_t
    labels = np.array([rng.choice(classes, p=row) for row in p])
    assert fit_temperature(logits, labels) == pytest.approx(true_t, rel=0.05)


def test_fit_temperature_takes_log_probabilities_and_tensors() -> None:
    import torch

    rng = np.random.default_rng(1)
    logits = rng.normal(0.0, 2.0, size=(5_000, 3))
    labels = np.array([rng.choice(3, p=row) for row in _softmax(logits / 2.0)])
    t = fit_temperature(logits, labels)
    assert fit_temperature(np.log(_softmax(logits)), labels) == pytest.approx(t, rel=1e-4)
    assert fit_temperature(torch.from_numpy(logits), torch.from_numpy(labels)) == pytest.approx(t, rel=1e-6)
    assert fit_temperature(np.zeros((0, 2)), np.zeros(0)) == 1.0


def test_temperature_scale_is_the_tempered_softmax_and_keeps_the_argmax() -> None:
    logits = np.random.default_rng(2).normal(0.0, 3.0, size=(200, 3))
    p = _softmax(logits)
    q = temperature_scale(p, 2.5)
    np.testing.assert_allclose(q, _softmax(logits / 2.5), atol=1e-9)
    assert (q.argmax(1) == p.argmax(1)).all()
    np.testing.assert_array_equal(temperature_scale(p, 1.0), p)
    with pytest.raises(ConfigError, match="temperature"):
        temperature_scale(p, 0.0)


@pytest.mark.parametrize("t", [0.5, 0.78, 1.7])
def test_scale_cut_keeps_every_two_class_decision(t: float) -> None:
    p1 = np.random.default_rng(3).uniform(0, 1, 10_000)
    p = np.stack([1 - p1, p1], axis=1)
    cut = 0.5029
    assert ((temperature_scale(p, t)[:, 1] >= scale_cut(cut, t)) == (p1 >= cut)).all()
    assert scale_cut(0.5, t) == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="cut"):
        scale_cut(1.0, t)


def test_log_loss_and_brier_against_sklearn() -> None:
    rng = np.random.default_rng(4)
    p1 = rng.uniform(0.01, 0.99, 500)
    y = (rng.uniform(0, 1, 500) < p1).astype(int)
    p = np.stack([1 - p1, p1], axis=1)
    assert log_loss(p, y) == pytest.approx(skm.log_loss(y, p1))
    assert brier_score(p, y) == pytest.approx(2 * skm.brier_score_loss(y, p1))  # summed over both classes


def test_expected_calibration_error_known_values() -> None:
    # all rows at confidence 0.8 in one bin, 3 of 4 right: |0.75 - 0.8| = 0.05
    p = np.array([[0.8, 0.2]] * 4)
    assert expected_calibration_error(p, [0, 0, 0, 1]) == pytest.approx(0.05)
    # two bins: 0.6 (1 of 2 right: 0.1) and 1.0 (both right: 0), weighted by rows
    p = np.array([[0.6, 0.4], [0.4, 0.6], [1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(p, [0, 0, 0, 1], bins=15) == pytest.approx(0.5 * 0.1)
    # a calibrated model's ECE is small, an overconfident one's is not
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 2.0, size=(20_000, 2))
    y = np.array([rng.choice(2, p=row) for row in _softmax(logits)])
    assert expected_calibration_error(_softmax(logits), y) < 0.02
    assert expected_calibration_error(_softmax(3 * logits), y) > 0.1


def test_bad_shapes_and_bins_are_refused() -> None:
    with pytest.raises(ShapeError, match="labels"):
        log_loss(np.full((3, 2), 0.5), [0, 1])
    with pytest.raises(ShapeError, match=r"\[0, 2\)"):
        brier_score(np.full((2, 2), 0.5), [0, 2])
    with pytest.raises(ConfigError, match="bins"):
        expected_calibration_error(np.full((2, 2), 0.5), [0, 1], bins=0)
    with pytest.raises(ConfigError, match="bins"):
        expected_calibration_error(np.full((2, 2), 0.5), [0, 1], bins=15.0)  # type: ignore[arg-type]


def test_expected_calibration_error_of_given_predictions_bins_their_probabilities() -> None:
    """Two rows of P(class 1) 0.55 and 0.45, both class 0: the argmax puts them in one bin (confidence 0.55,
    half right: ECE 0.05); a cut of 0.6 gives both class 0 (confidences 0.45 and 0.55, both right: 0.5).
    Before, the ECE took the argmax only, whatever labels an accuracy beside it counted."""
    p = np.array([[0.45, 0.55], [0.55, 0.45]])
    assert expected_calibration_error(p, [0, 0]) == pytest.approx(0.05)
    assert expected_calibration_error(p, [0, 0], predicted=[0, 0]) == pytest.approx(0.5)
    assert expected_calibration_error(p, [0, 0], predicted=p.argmax(axis=1)) == pytest.approx(0.05)
    with pytest.raises(ShapeError):
        expected_calibration_error(p, [0, 0], predicted=[0, 2])
