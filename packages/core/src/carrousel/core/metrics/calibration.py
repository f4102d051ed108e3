"""Probability calibration: temperature scaling and the figures that judge it (NLL, Brier, ECE).

Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks") divides a classifier's
logits by one scalar ``T`` fitted by negative log-likelihood on held-out rows: ``T > 1`` softens
overconfident probabilities, ``T < 1`` sharpens underconfident ones. The argmax never changes, and for two
classes a cut ``c`` on P(second class) maps to ``sigmoid(logit(c) / T)`` (:func:`scale_cut`), so every
decision stays the same. Probabilities alone suffice: ``log p`` are logits up to a per-row constant, which
the softmax ignores (:func:`temperature_scale`).

All inputs are ``(N, C)`` arrays or tensors of probabilities or logits and ``(N,)`` class indices.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError, DataError, ShapeError

__all__ = [
    "brier_score",
    "expected_calibration_error",
    "fit_temperature",
    "log_loss",
    "scale_cut",
    "temperature_scale",
]

_TINY = 1e-12  # probabilities are clipped here before a log


def _rows(values: object, labels: object, name: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values.detach().cpu() if isinstance(values, torch.Tensor) else values, dtype=np.float64)
    y = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).astype(np.int64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ShapeError(f"{name}: want (N, C) scores and (N,) labels, got {x.shape} and {y.shape}")
    if len(y) and (y.min() < 0 or y.max() >= x.shape[1]):
        raise ShapeError(f"{name}: labels must lie in [0, {x.shape[1]}), got {y.min()}..{y.max()}")
    return x, y


def _probs(values: object, labels: object, name: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_rows` of probabilities: finite, in ``[0, 1]``, each row summing to 1 (to 1e-3)."""
    p, y = _rows(values, labels, name)
    if not p.size:
        return p, y
    if not np.isfinite(p).all():
        raise DataError(f"{name}: probabilities hold NaN or infinity; check the model's outputs and inputs")
    sums = p.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if p.min() < 0.0 or p.max() > 1.0 or abs(sums[worst] - 1.0) > 1e-3:
        raise DataError(
            f"{name}: want (N, C) probabilities in [0, 1] summing to 1 per row, got values in "
            f"[{p.min():.4g}, {p.max():.4g}] and row {worst} summing to {sums[worst]:.4g}; pass "
            "logits.softmax(-1), not logits"
        )
    return p, y


@check_args
def fit_temperature(logits: object, labels: object, max_iter: int = 100) -> float:
    """The temperature ``T`` minimising the NLL of ``softmax(logits / T)`` on ``labels`` (LBFGS on ``log T``).

    Args:
        logits: ``(N, C)`` held-out logits (or log-probabilities: the same up to a per-row constant).
        labels: ``(N,)`` true class indices.
        max_iter: LBFGS iterations.

    Returns:
        ``T`` in ``[0.01, 100]``; 1.0 when there are no rows.

    Raises:
        ShapeError: shapes that do not match, labels outside ``[0, C)``.
    """
    x, y = _rows(logits, labels, "fit_temperature")
    if len(y) == 0:
        return 1.0
    z, t = torch.from_numpy(x), torch.from_numpy(y)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(z / log_t.clamp(-4.6, 4.6).exp(), t)
        loss.backward()
        return loss

    opt.step(closure)
    return float(math.exp(min(max(float(log_t.detach()), -4.6), 4.6)))


def temperature_scale(probs: object, temperature: float) -> np.ndarray:
    """``softmax(log(probs) / temperature)`` ``(N, C)``: probabilities rescaled as their logits would be."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ConfigError(f"temperature must be a finite number > 0, got {temperature}")
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, _TINY, 1.0)) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def scale_cut(cut: float, temperature: float) -> float:
    """A two-class cut on P(second class) carried to the scaled probabilities: ``sigmoid(logit(cut) / T)``,
    so ``p >= cut`` exactly where ``scaled(p) >= scale_cut(cut)`` (up to float rounding)."""
    if not 0.0 < cut < 1.0:
        raise ConfigError(f"a cut must lie in (0, 1), got {cut}")
    return float(temperature_scale(np.array([[1.0 - cut, cut]]), temperature)[0, 1])


def log_loss(probs: object, labels: object) -> float:
    """Mean negative log-likelihood of ``labels`` under ``(N, C)`` probabilities (clipped at 1e-12; rows are
    not renormalised); nan when there are no rows (the accumulating metrics raise DataError there)."""
    p, y = _probs(probs, labels, "log_loss")
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], _TINY, 1.0)))) if len(y) else math.nan


def brier_score(probs: object, labels: object) -> float:
    """Mean over rows of ``sum_c (p_c - [y == c])^2`` (Brier 1950; for two classes twice the mean square
    error of P(second class)); nan when there are no rows."""
    p, y = _probs(probs, labels, "brier_score")
    if not len(y):
        return math.nan
    onehot = np.eye(p.shape[1])[y]
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


@check_args
def expected_calibration_error(
    probs: object, labels: object, bins: int = 15, predicted: object | None = None
) -> float:
    """ECE of the predictions' confidence (Guo et al. 2017): rows binned by the probability of the class they
    were given into ``bins`` equal widths of ``[0, 1]``; the mean over rows of ``|accuracy - confidence|`` of
    their bin; nan when there are no rows.

    ``predicted``: the ``(N,)`` class each row was given where that is not the argmax (a decision cut other
    than 0.5 on two classes), so that the ECE is of the predictions an accuracy beside it counts; None: the
    argmax, its confidence the largest probability.

    Raises:
        DataError: ``probs`` that are no probabilities (NaN, outside ``[0, 1]``, rows not summing to 1:
            logits given by mistake), as :func:`log_loss` and :func:`brier_score` refuse them.
    """
    if bins < 1:
        raise ConfigError(f"bins must be >= 1, got {bins}")
    p, y = _probs(probs, labels, "expected_calibration_error")
    if not len(y):
        return math.nan
    given = p.argmax(axis=1) if predicted is None else _rows(p, predicted, "expected_calibration_error")[1]
    conf, hit = p[np.arange(len(y)), given], (given == y).astype(np.float64)
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in np.unique(which):
        rows = which == b
        total += rows.sum() * abs(hit[rows].mean() - conf[rows].mean())
    return float(total / len(y))
