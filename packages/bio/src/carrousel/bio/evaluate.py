"""AUROC / AUPRC of a model against the best single-PWM scan on the same windows (``bio evaluate``)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from carrousel.bio.errors import EvaluateConfigError
from carrousel.bio.models import MotifModel
from carrousel.bio.motifs import Motif
from carrousel.bio.pwm import Background, IntegerPWM, SequenceCodes
from carrousel.bio.validation import MIN_EVAL_PER_CLASS
from carrousel.core.metrics import pr_auc, roc_auc

__all__ = ["Evaluation", "evaluate_windows", "pwm_max_scores"]

logger = logging.getLogger(__name__)


def _round(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


@dataclass
class Evaluation:
    """Side-by-side figures of the model and the best PWM."""

    n_pos: int
    n_neg: int
    model_auroc: float
    model_auprc: float
    best_pwm: str
    pwm_auroc: float
    pwm_auprc: float
    task: str
    pwms: dict[str, float] = field(default_factory=dict)  # AUROC per PWM tried

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (strict JSON: a figure that was not computed is None)."""
        top = dict(sorted(self.pwms.items(), key=lambda kv: -kv[1])[:10])
        return {
            "positives": self.n_pos,
            "negatives": self.n_neg,
            "task": self.task,
            "model": {"auroc": _round(self.model_auroc), "auprc": _round(self.model_auprc)},
            "best_pwm": {
                "motif": self.best_pwm,
                "auroc": _round(self.pwm_auroc),
                "auprc": _round(self.pwm_auprc),
            },
            "top_pwms_auroc": {k: _round(v) for k, v in top.items()},
        }


def pwm_max_scores(windows: np.ndarray, motif: Motif, background: Background | None = None) -> np.ndarray:
    """Best log-odds score (either strand) of a motif in each window.

    Args:
        windows: ``(N, W)`` codes.
        motif: the motif.
        background: 0-order background (uniform if None).

    Returns:
        ``(N,)`` integer scores (windows without a scorable position get the minimum score).
    """
    pw = IntegerPWM(motif, background)
    N, W = windows.shape
    L = pw.length
    if L > W:
        return np.full(N, pw.lo, dtype=np.float64)
    sc = SequenceCodes(windows.reshape(-1))
    valid = sc.valid(L)
    best = np.full(N, pw.lo - 1, dtype=np.int64)
    cols = np.arange(W - L + 1)
    idx = (np.arange(N)[:, None] * W + cols[None, :]).reshape(-1)
    for strand in (1, -1):
        s = pw.scores(sc, strand).astype(np.int64)
        s = np.where(valid, s, pw.lo - 1)
        best = np.maximum(best, s[idx].reshape(N, -1).max(axis=1))
    return best.astype(np.float64)


def _auc(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    s = torch.from_numpy(np.asarray(scores, dtype=np.float64))
    y = torch.from_numpy(labels.astype(np.int64))
    return float(roc_auc(s, y)), float(pr_auc(s, y))


def evaluate_windows(
    model: MotifModel | None,
    pos: np.ndarray,
    neg: np.ndarray,
    motifs: list[Motif],
    task: str | None = None,
) -> Evaluation:
    """Scores positives and negatives with the model and with each PWM; reports AUROC and AUPRC.

    Args:
        model: the model (None: PWMs only).
        pos: ``(P, W)`` codes of positive windows.
        neg: ``(Q, W)`` codes of negative windows.
        motifs: PWMs to try; the best by AUROC is reported.
        task: model output to use (motif ID or name, or index); default: the only one, else the maximum.

    Raises:
        EvaluateConfigError: fewer than :data:`~carrousel.bio.validation.MIN_EVAL_PER_CLASS` windows in
            a class (AUROC and AUPRC on fewer say nothing), or ``task`` is not an output of the model.
    """
    for n, what in ((pos.shape[0], "positive"), (neg.shape[0], "negative")):
        if n < MIN_EVAL_PER_CLASS:
            raise EvaluateConfigError(
                f"{n} {what} sequence(s): AUROC and AUPRC need at least {MIN_EVAL_PER_CLASS} per class"
            )
    x = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(pos.shape[0]), np.zeros(neg.shape[0])])
    m_auroc = m_auprc = float("nan")
    task_name = "-"
    if model is not None:
        names = [m.id for m in model.motifs] + [m.name for m in model.motifs]
        K = len(model.motifs)
        col = None
        if task is not None:  # checked before any scoring
            if task.isdigit() and int(task) < K:
                col = int(task)
            elif task in names:
                col = names.index(task) % K
            else:
                raise EvaluateConfigError(
                    f"task {task!r} is not an output of the model ({', '.join(names[:K])}); give an ID, "
                    f"a name or an index below {K}"
                )
        logits = model.logits(x)
        if col is not None:
            s = logits[:, col]
            task_name = model.motifs[col].id
        elif logits.shape[1] == 1:
            s, task_name = logits[:, 0], model.motifs[0].id if model.motifs else "0"
        else:
            s, task_name = logits.max(axis=1), "max"
        m_auroc, m_auprc = _auc(s, y)
    counts = np.bincount(x[x < 4].reshape(-1), minlength=4)[:4].astype(np.float64)
    bg = Background.from_counts(counts + counts[::-1])
    per: dict[str, float] = {}
    best = ("-", float("nan"), float("nan"))
    for m in motifs:
        s = pwm_max_scores(x, m, bg)
        a, p = _auc(s, y)
        per[f"{m.name}_{m.id}"] = a
        if np.isnan(best[1]) or a > best[1]:
            best = (f"{m.name}_{m.id}", a, p)
    return Evaluation(pos.shape[0], neg.shape[0], m_auroc, m_auprc, best[0], best[1], best[2], task_name, per)
