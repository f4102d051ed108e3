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
moves the cut by a few points of predicted share from one split to the next, so for a distilled student
(``--teacher``) the quantile is taken over the validation and the training rows together: the student
learns from the teacher's soft targets (the labels weigh ``1 - alpha``, 0.1 by default) and fits its
training labels less than a label-only model does, and their prior is the training prior exactly. (It
does fit them in part, so they show less of its lean than held-out rows: the lean itself is removed at
its source, the unlabelled texts, by ``TeacherConfig.balance``.) Label-only models keep the
validation rows (a model fitted to its labels puts its training rows on the right side of the cut, so
their share says nothing of its bias). What chose this, on
the Pang & Lee validation rows only (``benchmarks/bench_nlp_threshold.py``): adding the training rows
halves the bootstrap spread of the cut (sd 0.026 -> 0.011) and keeps the validation share predicted
positive near the prior (0.53 for 0.5, within the noise of 304 rows) and the validation F1 (0.756);
adding the unlabelled review sentences instead does not, as their positive share is lower (whole
reviews hold plot summary and faint praise), so the cut moves too far (validation share 0.63 for a
prior of 0.5). ``accuracy`` and ``f1`` take the cut that maximises that metric on the validation rows
(among ties the one nearest 0.5); ``none`` keeps the argmax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["CRITERIA", "choose_threshold", "decide", "place_threshold"]

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
        pool: ``prior``: probabilities of more rows of the same prior (a distilled student's training
            rows); the share is matched on ``p_pos`` and ``pool`` together. Ignored by the other
            criteria, which need labels.

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


def place_threshold(
    predict_proba: Callable[[Sequence[str]], np.ndarray],
    val_texts: Sequence[str],
    y_val: np.ndarray,
    train_texts: Sequence[str],
    y_train: np.ndarray,
    criterion: str,
    teacher: object | None,
) -> tuple[float, int, dict[str, float]]:
    """The cut of a trained two-class model, the number of rows whose predictions placed it, and the
    ``accuracy`` and ``f1`` (of the positive class) of the model with that cut on the validation rows: what
    the saved model scores there (a trainer's argmax figures are not, once the cut moves from 0.5).

    Args:
        predict_proba: the model's ``texts -> (N, 2)`` probabilities.
        val_texts, y_val: the held-out validation rows.
        train_texts, y_train: the training rows (their prior; for ``prior`` with a distilled student,
            their predictions join the validation rows').
        criterion: one of :data:`CRITERIA`.
        teacher: the teacher's transfer set when the model was distilled from soft targets (``--teacher``),
            else None.
    """
    p_val = predict_proba(val_texts)[:, 1]
    pool = predict_proba(train_texts)[:, 1] if teacher is not None and criterion == "prior" else None
    prior = float(np.mean(np.asarray(y_train) == 1))
    cut = choose_threshold(p_val, y_val, criterion, prior, pool)
    y, at = np.asarray(y_val), np.array([cut])
    scores = {
        "accuracy": float(_scores(p_val, y, at, "accuracy")[0]),
        "f1": float(_scores(p_val, y, at, "f1")[0]),
    }
    return cut, len(p_val) + (0 if pool is None else len(pool)), scores


def decide(probs: np.ndarray, threshold: float | None) -> np.ndarray:
    """Predicted class indices ``(N,)`` of probabilities ``(N, C)``: for two classes, positive (1) when
    ``probs[:, 1] >= threshold``; otherwise (or with no threshold) the argmax."""
    probs = np.asarray(probs)
    if threshold is None or probs.ndim != 2 or probs.shape[1] != 2:
        return probs.argmax(axis=1) if probs.size else np.zeros(len(probs), dtype=np.int64)
    return (probs[:, 1] >= threshold).astype(np.int64)
