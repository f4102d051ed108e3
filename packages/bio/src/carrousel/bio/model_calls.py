"""How a model scan calls windows: BH over every tested window (a genome), or, on a peak set, at the PWM
method's own false-positive rate with a joint model/PWM cut calibrated on the null windows.

On a genome most windows are background and the user wants a false discovery rate: BH at ``--model-qvalue``
over every tested window (:class:`~carrousel.bio.model_scan.ModelScanner`). A peak set is the opposite: a
few thousand pre-selected regions of which a large part is bound, and the question is per region ("does
this peak hold the motif?"), which is how the PWM method answers it: a site p-value of at most
``--pvalue`` (FIMO's 1e-4), i.e. a per-window false-positive rate of ``a = 1 - (1 - p)^(2 (W - L + 1))``.
An FDR of 5% is far stricter per window on such a file (on janggu's Oct4/Mafk mixes the PWM's own calls
have an FDP of 9-16%), so no 5%-FDR caller can match the PWM's sensitivity unless it ranks far better.

The peak-set rule (``pwm-rate``) compares the two methods at the same false-positive rate. A window's
joint evidence is the smaller of its two p-values, the model's (against the scan's null) and its best PWM
site's (exact, Sidak over the window). The cut ``c`` on it is set on the null windows themselves: as
large as possible while the null windows it calls are no more than those the PWM rule (window PWM p <= a)
calls. Both rules' rates are counted on the same windows, so the correlation between the two terms (both
read the motif and the composition) is accounted for. Where too few null windows pass the PWM rule to
estimate the rate (fewer than :data:`MIN_NULL_CALLS`), or no null windows are at hand (a stored null),
the cut falls back to Bonferroni, ``a / 2``, valid whatever the dependence.

The joint cut is at most as loose as the PWM rule on the null windows, so where the model's output ranks the
input's windows no better than the PWM, the joint rule calls fewer of them than the PWM rule would at the
same null rate: a loss of sensitivity with nothing gained. So the final step picks, per motif, whichever of
the two rules (joint cut, or the PWM rule ``window PWM p <= a`` alone) calls MORE windows of the input:
both call at most the PWM rule's number of null windows, so at the same false-positive rate the one with
more calls has more true ones. The choice and both counts are reported (``chosen``); no labels are used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import ModelCalls
from carrousel.bio.model_null import NullChoice
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.bio.pwm_null import check_pvalue
from carrousel.core.args import check_args

__all__ = [
    "MIN_NULL_CALLS",
    "CallChoice",
    "CallRule",
    "call_rule",
    "null_window_pvalues",
    "pwm_rate_cuts",
    "pwm_window_rate",
]

logger = logging.getLogger(__name__)

MIN_NULL_CALLS = 10  # null windows the PWM rule must call for the empirical cut (else Bonferroni)


@dataclass(frozen=True)
class CallChoice:
    """Which pwm-rate rule a motif was called by, and the input windows each rule calls.

    Attributes:
        rule: ``"joint"`` (min of model and PWM p at the matched cut) or ``"pwm"`` (PWM p <= a alone).
        calls_joint: input windows the joint cut calls.
        calls_pwm: input windows the PWM rule calls.
    """

    rule: str
    calls_joint: int
    calls_pwm: int


@dataclass(frozen=True)
class CallRule:
    """The calling rule a model scan uses, and why.

    Attributes:
        rule: ``"fdr"`` or ``"pwm-rate"``.
        reason: one line saying why.
        cuts: pwm-rate: per output index, the cut on the joint p-value (the smaller of model and PWM p).
        per_motif: pwm-rate, JSON-ready: per motif id, the cut, the PWM rule's per-window rate ``a`` and
            the fraction of null windows it calls (None: too few, Bonferroni cut ``a / 2``).
        rates: pwm-rate: per output index, the PWM rule's per-window rate ``a``.
    """

    rule: str
    reason: str
    cuts: dict[int, float] = field(default_factory=dict)
    per_motif: dict[str, dict[str, float | None]] = field(default_factory=dict)
    rates: dict[int, float] = field(default_factory=dict)

    def called(self, k: np.ndarray, joint: np.ndarray) -> np.ndarray:
        """Which windows (output ``k``, joint p-value ``joint``) the pwm-rate rule calls."""
        k = np.asarray(k, dtype=np.int64)
        table = np.full(max(max(self.cuts, default=0), int(k.max(initial=0))) + 1, -1.0)
        for i, c in self.cuts.items():
            table[i] = c
        return np.asarray(joint, dtype=np.float64) <= table[k]

    def decide(
        self, k: np.ndarray, joint: np.ndarray, pwm_p: np.ndarray
    ) -> tuple[np.ndarray, dict[int, CallChoice]]:
        """Per output, the rule (joint cut or PWM alone) that calls more input windows (module docstring).

        Args:
            k: ``(N,)`` output index of each candidate window.
            joint: ``(N,)`` the smaller of its model and PWM p-values.
            pwm_p: ``(N,)`` its window PWM p-value (exact where at most the candidate cut).

        Returns:
            ``(N,)`` which windows are called, and the choice per output.
        """
        k = np.asarray(k, dtype=np.int64)
        pwm_p = np.asarray(pwm_p, dtype=np.float64)
        passed = self.called(k, joint)
        choices: dict[int, CallChoice] = {}
        for out in np.unique(k).tolist():
            sel = np.flatnonzero(k == out)
            a = self.rates.get(out)  # None: no PWM rule to compare with (the joint cut stays)
            by_pwm = pwm_p[sel] <= a if a is not None else np.zeros(sel.size, dtype=bool)
            n_joint, n_pwm = int(passed[sel].sum()), int(by_pwm.sum())
            choice = CallChoice("pwm" if n_pwm > n_joint else "joint", n_joint, n_pwm)
            if choice.rule == "pwm":
                passed[sel] = by_pwm
            choices[out] = choice
            logger.info(
                "model calls, output %d: %s rule (input windows called: joint %d, PWM alone %d)",
                out,
                choice.rule,
                n_joint,
                n_pwm,
            )
        return passed, choices

    def summary(
        self, choices: dict[int, CallChoice] | None = None, ids: Sequence[str] = ()
    ) -> dict[str, object]:
        """JSON-ready: rule, reason and (pwm-rate) per motif the cut and, after the scan, the rule chosen
        (``choices`` of :meth:`decide`, keyed by output index; ``ids`` names the outputs)."""
        out: dict[str, object] = {"rule": self.rule, "reason": self.reason}
        if self.per_motif:
            per: dict[str, dict[str, object]] = {m: dict(v) for m, v in self.per_motif.items()}
            for k, c in (choices or {}).items():
                if k < len(ids) and ids[k] in per:
                    per[ids[k]].update(
                        chosen=c.rule, input_calls_joint=c.calls_joint, input_calls_pwm=c.calls_pwm
                    )
            out["per_motif"] = per
        return out


@check_args
def pwm_window_rate(pvalue: float, window: int, length: int) -> float:
    """The PWM method's per-window false-positive rate: a window of ``window`` bases holds a site of
    p-value at most ``pvalue`` among its ``2 (window - length + 1)`` sites (both strands) with this
    probability under the PWM's background.

    Raises:
        ScanConfigError: ``pvalue`` is no number in (0, 1].
    """
    check_pvalue(pvalue, "pwm_window_rate")
    n = 2 * max(window - length + 1, 1)
    return float(-np.expm1(n * np.log1p(-pvalue)))


@check_args
def null_window_pvalues(seq: SequenceCodes, window: int, pw: IntegerPWM, window_p: float) -> np.ndarray:
    """Window-level PWM p-values of null windows laid end to end in ``seq`` (as
    :func:`~carrousel.bio.sites.window_pwm_pvalues`: best site, Sidak over both strands' offsets), from one
    compiled PWM pass: exact where at most ``window_p``, 1 elsewhere.

    Args:
        seq: ``N * window`` codes, the null windows one after another.
        window: window width.
        pw: the motif (its length at most ``window``).
        window_p: the largest window p-value needed exactly.

    Returns:
        ``(N,)`` p-values.
    """
    L, N = pw.length, seq.n // window
    n = 2 * (window - L + 1)
    t = pw.threshold(-float(np.expm1(np.log1p(-window_p) / n)))  # a site making the window p <= window_p
    pw.prepare_scan(t, False)
    at, score, _ = scan_windows(pw, seq, seq.n - L + 1, t, np.zeros(pw.sf.size, dtype=np.int64), False)
    inside = at % window <= window - L  # sites across two windows are not sites of either
    low = np.iinfo(np.int64).min
    best = np.full(N, low, dtype=np.int64)
    np.maximum.at(best, at[inside] // window, score[inside])
    out = np.ones(N)
    has = best > low
    p_site = np.clip(pw.pvalue(best[has]), 0.0, 1.0 - 1e-16)
    out[has] = np.clip(-np.expm1(n * np.log1p(-p_site)), 1e-300, 1.0)
    return out


@check_args
def pwm_rate_cuts(
    calibration: NullCalibration,
    windows: np.ndarray | None,
    scores: np.ndarray | None,
    pwms: Sequence[IntegerPWM],
    outputs: Sequence[int],
    pvalue: float,
    window: int,
) -> dict[int, tuple[float, float, float | None]]:
    """The joint cut per tested output (see the module docstring).

    Args:
        calibration: the scan's null (model p-values of the null windows come from it).
        windows: ``(N, W)`` codes of the null windows, or None (a stored null: Bonferroni cut).
        scores: ``(N, K)`` model logits of those windows, in the same order.
        pwms: one integer PWM per model output (the scan's background).
        outputs: the outputs tested.
        pvalue: the PWM method's site p-value threshold.
        window: the model's window in bases.

    Returns:
        Per output index: ``(cut, PWM window rate a, fraction of null windows the PWM rule calls or None)``.
    """
    out: dict[int, tuple[float, float, float | None]] = {}
    seq = SequenceCodes(windows.reshape(-1)) if windows is not None else None
    for k in outputs:
        pw = pwms[k]
        a = pwm_window_rate(pvalue, window, pw.length)
        if seq is None or scores is None or pw.length > window:
            out[int(k)] = (a / 2, a, None)
            continue
        pm = calibration.pvalues(scores, [k])[:, k]
        pp = null_window_pvalues(seq, window, pw, a)  # exact where <= a: all the cut needs (c <= a)
        calls = int((pp <= a).sum())
        if calls < MIN_NULL_CALLS:
            out[int(k)] = (a / 2, a, None)
            continue
        joint = np.sort(np.minimum(pm, pp))
        le = np.searchsorted(joint, joint, side="right")  # null windows at or below each value
        ok = np.flatnonzero(le <= calls)
        # the largest cut calling no more null windows than the PWM rule; never looser than a per term
        cut = float(joint[ok[-1]]) if ok.size else float(np.nextafter(joint[0], 0.0))
        out[int(k)] = (min(cut, a), a, calls / pp.size)
    return out


@check_args
def call_rule(
    calls: ModelCalls,
    null: NullChoice,
    pwms: Sequence[IntegerPWM],
    outputs: Sequence[int],
    ids: Sequence[str],
    pvalue: float,
    candidate_p: float,
    qvalue: float | None,
    window: int,
) -> CallRule:
    """The rule of ``calls`` for this scan (``auto``: pwm-rate on a peak set whose null windows were scored
    in this scan, else fdr), logged at INFO.

    Args:
        calls: the asked rule.
        null: the scan's null (its windows, scores and whether the input is a peak set).
        pwms: one integer PWM per model output.
        outputs: the outputs tested.
        ids: the motif id of every model output.
        pvalue: the PWM method's site p-value threshold (``--pvalue``).
        candidate_p: the candidate cut (``--model-pvalue``): a cut above it is lowered to it.
        qvalue: the BH threshold of the fdr rule.
        window: the model's window in bases.
    """
    pwm_rate = calls is ModelCalls.pwm_rate or (
        calls is ModelCalls.auto and null.peak_set and null.windows is not None
    )
    if not pwm_rate:
        why = (
            "asked"
            if calls is ModelCalls.fdr
            else (
                "a genome" if not null.peak_set else "a stored null (no null windows to set a joint cut on)"
            )
        )
        rule = CallRule("fdr", f"BH q <= {qvalue} over every tested window ({why})")
    else:
        found = pwm_rate_cuts(null.calibration, null.windows, null.scores, pwms, outputs, pvalue, window)
        cuts = {k: min(c, candidate_p) for k, (c, _, _) in found.items()}
        per = {
            ids[k]: {"cut": cuts[k], "pwm_window_rate": a, "null_rate": r} for k, (_, a, r) in found.items()
        }
        n = 0 if null.windows is None else int(null.windows.shape[0])
        what = "a peak set" if null.peak_set else "asked"
        reason = (
            f"{what}: called at the PWM method's per-window false-positive rate (site p <= {pvalue:g}), the "
            f"cut on min(model p, PWM p) set on {n} null windows to call no more of them than the PWM rule"
        )
        rates = {k: a for k, (_, a, _) in found.items()}
        rule = CallRule(
            "pwm-rate", reason + "; per motif the rule calling more input windows", cuts, per, rates
        )
    logger.info("model calls: %s (%s)", rule.rule, rule.reason)
    return rule
