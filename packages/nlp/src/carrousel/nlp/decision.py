"""The decision rule of a sentiment model: argmax, or for two classes a threshold chosen on validation.

A binary classifier's scores can be well ranked and still cut at the wrong place: a distilled student
inherits its teacher's bias towards one class, and the default cut at probability 0.5 then predicts that
class too rarely, which costs F1 more than accuracy. ``nlp sentiment train`` therefore picks the cut on
the probability of the positive class (the second label) on the held-out validation rows (never on test
data) and stores it in the bundle (``assets.threshold``); prediction, evaluation and the exported model
apply it. The default rule, ``prior``, matches rates: the cut is the quantile of the validation
probabilities at which the share of rows predicted positive equals the share of positive labels among
the training rows (a model biased towards one class is shifted back; one quantile is stable, where a
metric's maximum over cuts fits the noise of a few hundred rows). A quantile of a few hundred rows still
moves the cut by a few points of predicted share from one split to the next, so when the student was
distilled over unlabelled in-domain texts (``--unlabelled``) the quantile is taken over the validation
rows and those texts together (thousands of rows whose labels the model never fitted; the training rows
are left out, as the model fitted their labels). This assumes the unlabelled texts share the training
prior: give text from the same source. ``accuracy`` and ``f1`` take the
cut that maximises that metric on the validation rows (among ties the one nearest 0.5); ``none`` keeps
the argmax.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CRITERIA", "choose_threshold", "decide"]

CRITERIA = ("prior", "accuracy", "f1", "none")  # how the cut is chosen on validation (none: argmax)


def _scores(p: np.ndarray, y: np.ndarray, cuts: np.ndarray, criterion: str) -> np.ndarray:
    pred = p[None, :] >= cuts[:, None]  # (K, N)
    pos = y[None, :] == 1
    tp = (pred & pos).sum(1)
    if criterion == "accuracy":
        return (tp + (~pred & ~pos).sum(1)) / len(y)
    fp, fn = (pred & ~pos).sum(1), (~pred & pos).sum(1)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1)


def choose_threshold(
    p_pos: np.ndarray,
    y: np.ndarray,
    criterion: str = "prior",
    prior: float | None = None,
    pool: np.ndarray | None = None,
) -> float:
    """The cut on ``p_pos`` (predict positive when ``p >= cut``) chosen by ``criterion`` on ``y``.

    Args:
        p_pos: ``(N,)`` probabilities of the positive class (index 1) on the validation rows.
        y: ``(N,)`` true class indices (0 or 1).
        criterion: ``prior`` (the share predicted positive equals ``prior``), ``accuracy`` or ``f1`` (of
            the positive class) maximised, or ``none`` (0.5, the argmax rule).
        prior: ``prior``: the share of positive labels among the training rows (None: that of ``y``).
        pool: ``prior``: probabilities of more in-domain texts whose labels the model never saw (the
            unlabelled transfer texts of distillation); the share is matched on ``p_pos`` and ``pool``
            together. Ignored by the other criteria, which need labels.

    Returns:
        A cut in ``(0, 1)``: a midpoint between two neighbouring validation probabilities (0.5 when
        ``criterion`` is ``none``, the rows are one class, or no cut beats 0.5).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown threshold criterion {criterion!r}; use one of {', '.join(CRITERIA)}")
    p, y = np.asarray(p_pos, dtype=np.float64), np.asarray(y)
    if criterion == "none" or len(p) == 0 or len(set(y.tolist())) < 2:
        return 0.5
    if criterion == "prior":
        share = float(np.mean(y == 1)) if prior is None else prior
        s = np.sort(p if pool is None else np.concatenate([p, np.asarray(pool, dtype=np.float64).ravel()]))
        k = min(max(round(len(s) * (1.0 - share)), 1), len(s) - 1)  # rows predicted negative
        return float(np.clip((s[k - 1] + s[k]) / 2, 1e-6, 1 - 1e-6))
    u = np.unique(p)
    cuts = np.concatenate([[0.5], (u[1:] + u[:-1]) / 2]) if len(u) > 1 else np.array([0.5])
    cuts = cuts[(cuts > 0.0) & (cuts < 1.0)]
    scores = _scores(p, y, cuts, criterion)
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(cuts[best[np.argmin(np.abs(cuts[best] - 0.5))]])


def decide(probs: np.ndarray, threshold: float | None) -> np.ndarray:
    """Predicted class indices ``(N,)`` of probabilities ``(N, C)``: for two classes, positive (1) when
    ``probs[:, 1] >= threshold``; otherwise (or with no threshold) the argmax."""
    probs = np.asarray(probs)
    if threshold is None or probs.ndim != 2 or probs.shape[1] != 2:
        return probs.argmax(axis=1) if probs.size else np.zeros(len(probs), dtype=np.int64)
    return (probs[:, 1] >= threshold).astype(np.int64)
