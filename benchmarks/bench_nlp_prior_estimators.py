"""Label-shift estimators for ``bench_nlp_prior.py`` (tried in session 47, NOT adopted in the product).

The positive share of a new domain estimated from a two-class model's UNLABELLED predictions, and the
decision cut moved to it (label shift: the classes' shares change, what each class's texts look like does
not). Bayes' rule says how far to move the cut once the domain's share ``q`` is known: a posterior made under
the training share ``pi`` becomes one under ``q`` by the prior ratio, so the cut moves by the log odds of the
two shares (Saerens, Latinne & Decaestecker 2002). Without labels ``q`` must be estimated:

* :func:`em_prior` (Saerens et al. 2002): start at ``pi``, adjust every posterior to the current estimate,
  take their mean as the next estimate, repeat to a fixed point. It trusts the posteriors' calibration.
* :func:`bbse_prior` (black-box shift estimation, Lipton, Wang & Smola 2018): the share predicted positive
  in the domain is ``q * TPR + (1 - q) * FPR`` for the model's rates at its cut on held-out labelled rows,
  so ``q`` solves that linear equation, clipped to ``[0, 1]``.

Neither passed the rule of ``bench_nlp_prior.py`` (non-drug sets), and EM read the drug reviews' positive
share as 0.206 where it is 0.723 (packages/nlp/docs/results-sentiment.md): no ``--adapt-prior`` is offered.
Tested by ``tests/nlp/test_nlp_prior_bench.py``.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-6  # shares and probabilities are kept in [EPS, 1 - EPS]: finite log odds


def logit(p: float) -> float:
    p = min(max(p, EPS), 1.0 - EPS)
    return float(np.log(p / (1.0 - p)))


def share(name: str, value: float) -> float:
    if not (np.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"{name}={value!r} is not a share strictly between 0 and 1; give one, e.g. 0.5")
    return float(value)


def em_prior(p_pos: np.ndarray, train_prior: float, tol: float = 1e-8, max_iter: int = 1000) -> float:
    """The positive share of the texts behind ``p_pos`` (their P(positive), made under ``train_prior``), by
    Saerens et al.'s EM; ``train_prior`` for no texts."""
    pi = share("train_prior", train_prior)
    p = np.asarray(p_pos, dtype=np.float64).ravel()
    if not np.isfinite(p).all():
        raise ValueError("the probabilities hold NaN or infinite values; give finite P(positive) per text")
    p = np.clip(p, EPS, 1.0 - EPS)
    if len(p) == 0:
        return pi
    q = pi
    for _ in range(max_iter):
        up, down = p * (q / pi), (1.0 - p) * ((1.0 - q) / (1.0 - pi))
        new = float(np.clip(np.mean(up / (up + down)), EPS, 1.0 - EPS))
        done, q = abs(new - q) < tol, new
        if done:
            break
    return q


def bbse_prior(predicted_share: float, tpr: float, fpr: float) -> float:
    """The positive share of a domain from the share of its texts predicted positive and the model's rates at
    that cut on held-out labelled rows: ``(predicted_share - fpr) / (tpr - fpr)`` clipped to ``[EPS, 1 - EPS]``."""
    for name, value in (("predicted_share", predicted_share), ("tpr", tpr), ("fpr", fpr)):
        if not (np.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{name}={value!r} is not a rate in [0, 1]; give the share of rows it counts")
    if tpr <= fpr:
        raise ValueError(f"tpr={tpr} <= fpr={fpr}: the cut does not separate the classes; no share follows")
    return float(np.clip((predicted_share - fpr) / (tpr - fpr), EPS, 1.0 - EPS))


def shifted_cut(cut: float, train_prior: float, target_prior: float) -> float:
    """``cut`` (on P(positive), placed for ``train_prior``) moved for a domain of ``target_prior`` positives:
    its log odds lowered by ``logit(target_prior) - logit(train_prior)`` (Saerens et al. 2002)."""
    for name, value in (("cut", cut), ("train_prior", train_prior), ("target_prior", target_prior)):
        share(name, value)
    z = logit(cut) - logit(target_prior) + logit(train_prior)
    return float(np.clip(1.0 / (1.0 + np.exp(-z)), EPS, 1.0 - EPS))
