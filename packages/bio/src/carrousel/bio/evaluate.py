"""AUROC / AUPRC of a model against the best single-PWM scan on the same windows (``bio evaluate``)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from carrousel.bio.data import fit_windows
from carrousel.bio.errors import EvaluateConfigError
from carrousel.bio.models import MotifModel
from carrousel.bio.motif_names import motif_label
from carrousel.bio.motifs import Motif
from carrousel.bio.pwm import IntegerPWM, SequenceCodes
from carrousel.bio.pwm_null import Background
from carrousel.bio.validation import MIN_EVAL_PER_CLASS, check_matched_lengths
from carrousel.core.args import check_args
from carrousel.core.metrics import pr_auc, roc_auc
from carrousel.core.option_names import option
from carrousel.core.provenance import PrecisionReport
from carrousel.core.text import name_some

__all__ = ["Evaluation", "choose_task", "evaluate_windows", "evaluation_windows", "pwm_max_scores"]

MAX_PWM_ONLY_BYTES = 1 << 30  # PWM-only evaluation pads every sequence to the longest: 1 GiB at most

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
    task_reason: str = ""  # why this output was scored
    task_label: str = ""  # the output as shown: its motif's ``NAME ID`` (motif_label), the ID alone, max
    per_output: list[dict[str, Any]] = field(default_factory=list)  # every output's id, name, AUROC, AUPRC
    precisions: PrecisionReport | None = (
        None  # the model's and this run's (MotifModel.precisions); None: no model
    )
    # the scores behind the headline figures, for the ROC and precision-recall chart (bio evaluate --plot):
    # method ("model (NAME ID)", "best PWM (NAME_ID)") -> (N,) scores of the windows, positives first
    scores: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)  # (N,) 1 / 0

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (strict JSON: a figure that was not computed is None)."""
        top = dict(sorted(self.pwms.items(), key=lambda kv: -kv[1])[:10])
        return {
            "positives": self.n_pos,
            "negatives": self.n_neg,
            "task": self.task,
            "task_reason": self.task_reason,
            **(self.precisions or {}),
            "model": {"auroc": _round(self.model_auroc), "auprc": _round(self.model_auprc)},
            "per_output": [
                {**o, "auroc": _round(o["auroc"]), "auprc": _round(o["auprc"])} for o in self.per_output
            ],
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


@check_args
def evaluation_windows(
    classes: Sequence[Sequence[np.ndarray]], window: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The positives' and negatives' codes as windows for :func:`evaluate_windows`.

    With a model (``window``: its width) a longer sequence is cut to its central ``window`` bases, as the
    network reads it, with one warning saying how many were cut (the PWM rows score the same windows).
    PWMs only (``window`` None): nothing is cut, every sequence is padded with N to the longest one, so a
    PWM's best site is searched over each whole sequence (before, over its central 200 bases only).

    Args:
        classes: the positives' and the negatives' ``(length,)`` uint8 codes.
        window: the model's window, or None for PWMs only.

    Returns:
        ``(P, W)`` and ``(Q, W)`` uint8 codes.

    Raises:
        EvaluateConfigError: PWMs only, when the padded windows would exceed :data:`MAX_PWM_ONLY_BYTES`.
    """
    lengths = [s.size for c in classes for s in c]
    if window is None:
        window = max(max(lengths, default=1), 1)
        if window * len(lengths) > MAX_PWM_ONLY_BYTES:
            raise EvaluateConfigError(
                f"PWM-only evaluation pads every sequence to the longest ({window:,} bases): "
                f"{len(lengths):,} sequences would take {window * len(lengths) / 2**30:.1f} GiB; "
                "give sequences of similar length (e.g. peaks cut around their summits)"
            )
    else:
        cut = sum(n > window for n in lengths)
        if cut:
            logger.warning(
                "%d of %d sequences are longer than the model's %d-base window; each is scored on its "
                "central %d bases, by the model and by the PWMs alike (--pwm-only scores whole sequences)",
                cut,
                len(lengths),
                window,
                window,
            )
    pos, neg = (fit_windows(list(c), window) for c in classes)
    return pos, neg


def _auc(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    s = torch.from_numpy(np.asarray(scores, dtype=np.float64))
    y = torch.from_numpy(labels.astype(np.int64))
    return float(roc_auc(s, y)), float(pr_auc(s, y))


def choose_task(
    model: MotifModel,
    task: str | None,
    requested: Sequence[Motif],
    pwm_auroc: Callable[[Motif], float],
) -> tuple[int | None, str]:
    """The model output to score, and why.

    Args:
        model: the model.
        task: the output asked for (ID, name or index), ``"max"`` for the maximum over all outputs, or
            None to choose: the output of a ``requested`` motif, else the only output, else the output whose
            own PWM best separates positives from negatives.
        requested: the motifs given with ``--motif`` (matched to outputs by ID, then by name).
        pwm_auroc: AUROC of a motif's PWM scan on the positives and negatives (independent of the network).

    Returns:
        ``(column, reason)``; column None means the maximum over outputs. The reason names the settings as
        the caller gave them: ``--task max``, ``--motif MA0139.2`` in a command, ``task='max'``,
        ``motifs='MA0139.2'`` to a Python caller.

    Raises:
        EvaluateConfigError: ``task`` is not an output of the model.
    """
    outs = list(model.motifs)
    K = len(outs)
    if task is not None:
        if task == "max":
            return None, f"{option('task', task)}: the maximum over all outputs"
        names = [m.id for m in outs] + [m.name for m in outs]
        if task.isdigit() and int(task) < K:
            return int(task), option("task", task)
        if task in names:
            return names.index(task) % K, option("task", task)
        raise EvaluateConfigError(
            f"task {task!r} is not an output of the model ({name_some(names[:K], 10)}); give an ID, a name, an "
            f"index below {K}, or max"
        )
    ids = {m.id for m in requested}
    named = {m.name for m in requested}
    cols = [k for k, m in enumerate(outs) if m.id in ids] or [
        k for k, m in enumerate(outs) if m.name in named
    ]
    if len(cols) == 1:
        given = option("motifs", outs[cols[0]].id, "--motif")
        return cols[0], f"{given} is the model output {motif_label(outs[cols[0]], '_')}"
    if K == 1 and not cols:
        return 0, "the model's only output"
    pool = cols or list(range(K))
    scores = {k: pwm_auroc(outs[k]) for k in pool}
    ranked = sorted(pool, key=lambda k: -scores[k])
    best = ranked[0]
    why = f"of the {option('motifs', flag='--motif')} outputs, " if cols else ""
    runner_up = (
        f"; next {motif_label(outs[ranked[1]], '_')} {scores[ranked[1]]:.4f}" if len(ranked) > 1 else ""
    )
    return best, (
        f"{why}its PWM ({motif_label(outs[best], '_')}) best separates the positives from the negatives "
        f"(PWM AUROC {scores[best]:.4f}{runner_up})"
    )


def evaluate_windows(
    model: MotifModel | None,
    pos: np.ndarray,
    neg: np.ndarray,
    motifs: list[Motif],
    task: str | None = None,
    requested: Sequence[Motif] = (),
) -> Evaluation:
    """Scores positives and negatives with the model and with each PWM; reports AUROC and AUPRC.

    Every model output is scored (``per_output``); the headline figure is that of one output, chosen by
    :func:`choose_task` (never the maximum over outputs unless ``task`` is ``"max"``).

    Args:
        model: the model (None: PWMs only).
        pos: ``(P, W)`` codes of positive windows.
        neg: ``(Q, W)`` codes of negative windows.
        motifs: PWMs to try; the best by AUROC is reported.
        task: model output to use (motif ID or name, index, or ``"max"``); None: chosen (see above).
        requested: the motifs the user named (``--motif``): an output among them is the one scored.

    Raises:
        EvaluateConfigError: fewer than :data:`~carrousel.bio.validation.MIN_EVAL_PER_CLASS` windows in
            a class (AUROC and AUPRC on fewer say nothing), classes of very different lengths (one padded
            with far more N: see :func:`~carrousel.bio.validation.check_matched_lengths`), or ``task`` is
            not an output of the model.
    """
    for n, what in ((pos.shape[0], "positive"), (neg.shape[0], "negative")):
        if n < MIN_EVAL_PER_CLASS:
            raise EvaluateConfigError(
                f"{n} {what} sequence(s): AUROC and AUPRC need at least {MIN_EVAL_PER_CLASS} per class"
            )
    check_matched_lengths(pos, neg, EvaluateConfigError)
    x = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(pos.shape[0]), np.zeros(neg.shape[0])])
    counts = np.bincount(x[x < 4].reshape(-1), minlength=4)[:4].astype(np.float64)
    bg = Background.from_counts(counts + counts[::-1])
    pwm_figures: dict[str, tuple[float, float]] = {}

    def pwm_auc(m: Motif) -> tuple[float, float]:
        key = f"{motif_label(m, '_')}:{np.asarray(m.counts, dtype=np.float64).tobytes().hex()}"
        if key not in pwm_figures:
            pwm_figures[key] = _auc(pwm_max_scores(x, m, bg), y)
        return pwm_figures[key]

    m_auroc = m_auprc = float("nan")
    task_name, reason = "-", "no model (PWMs only)"
    task_label = task_name
    per_output: list[dict[str, Any]] = []
    scores: dict[str, np.ndarray] = {}
    if model is not None:
        col, reason = choose_task(model, task, requested, lambda m: pwm_auc(m)[0])  # before any scoring
        logits = model.logits(x)
        for k, m in enumerate(model.motifs):
            a, p = _auc(logits[:, k], y)
            per_output.append({"index": k, "motif_id": m.id, "motif_name": m.name, "auroc": a, "auprc": p})
        if col is None:
            m_auroc, m_auprc = _auc(logits.max(axis=1), y)
            task_name = task_label = "max"
        else:
            m_auroc, m_auprc = per_output[col]["auroc"], per_output[col]["auprc"]
            task_name, task_label = model.motifs[col].id, motif_label(model.motifs[col])
        scores[f"model ({task_label})"] = np.asarray(logits.max(axis=1) if col is None else logits[:, col])
        logger.info("scored output %s: %s", task_label, reason)
    per: dict[str, float] = {}
    best = ("-", float("nan"), float("nan"))
    best_motif: Motif | None = None
    for m in motifs:
        a, p = pwm_auc(m)
        per[motif_label(m, "_")] = a
        if np.isnan(best[1]) or a > best[1]:
            best, best_motif = (motif_label(m, "_"), a, p), m
    if best_motif is not None:
        scores[f"best PWM ({best[0]})"] = pwm_max_scores(x, best_motif, bg)
    return Evaluation(
        pos.shape[0],
        neg.shape[0],
        m_auroc,
        m_auprc,
        best[0],
        best[1],
        best[2],
        task_name,
        per,
        task_reason=reason,
        task_label=task_label,
        per_output=per_output,
        precisions=model.precisions() if model is not None else None,
        scores=scores,
        labels=y,
    )
