"""``benchmarks/bench_nlp_prior_estimators.py`` (label shift without labels, tried and not adopted in session
47): the positive share of synthetic posteriors of a known shift is found again, and the moved cut is the
Bayes cut of the new share. No CLI offers it (``--adapt-prior`` was removed before it shipped)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.nlp.cli import app
from tests.bench_scripts import bench_module

est = bench_module("bench_nlp_prior_estimators")
em_prior, bbse_prior, shifted_cut = est.em_prior, est.bbse_prior, est.shifted_cut


def _sample(n: int, share: float, train_prior: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels of positive share ``share`` and the exact posteriors of a model trained at ``train_prior``:
    x ~ N(+1, 1) for positives, N(-1, 1) for negatives, so P(positive | x) = sigmoid(2x + logit(prior))."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(int)
    x = rng.normal(np.where(y == 1, 1.0, -1.0), 1.0)
    z = 2 * x + np.log(train_prior / (1 - train_prior))
    return 1 / (1 + np.exp(-z)), y


@pytest.mark.parametrize(("train_prior", "share"), [(0.5, 0.8), (0.5, 0.2), (0.3, 0.7), (0.6, 0.6)])
def test_em_finds_the_shifted_share_of_calibrated_posteriors(train_prior: float, share: float) -> None:
    p, y = _sample(20_000, share, train_prior)
    assert em_prior(p, train_prior) == pytest.approx(y.mean(), abs=0.02)


def test_bbse_solves_the_rates_and_clips() -> None:
    assert bbse_prior(0.7 * 0.8 + 0.3 * 0.2, 0.8, 0.2) == pytest.approx(0.7)
    assert bbse_prior(0.1, 0.8, 0.2) == pytest.approx(1e-6)  # fewer predicted than the false positives
    assert bbse_prior(0.95, 0.8, 0.2) == pytest.approx(1 - 1e-6)
    p_val, y_val = _sample(20_000, 0.5, 0.5, seed=1)  # held-out rows of the training share
    tpr, fpr = np.mean(p_val[y_val == 1] >= 0.5), np.mean(p_val[y_val == 0] >= 0.5)
    p, y = _sample(20_000, 0.75, 0.5, seed=2)
    assert bbse_prior(float(np.mean(p >= 0.5)), float(tpr), float(fpr)) == pytest.approx(y.mean(), abs=0.02)
    with pytest.raises(ValueError, match="does not separate"):
        bbse_prior(0.5, 0.3, 0.3)
    with pytest.raises(ValueError, match="not a rate"):
        bbse_prior(1.5, 0.8, 0.2)


def test_the_shifted_cut_is_the_bayes_cut_of_the_new_share() -> None:
    assert shifted_cut(0.4, 0.5, 0.5) == pytest.approx(0.4)
    assert shifted_cut(0.5, 0.5, 0.8) == pytest.approx(0.2)  # log odds lowered by logit(0.8)
    p, y = _sample(20_000, 0.85, 0.5, seed=3)
    q = em_prior(p, 0.5)
    adapted = shifted_cut(0.5, 0.5, q)
    assert q == pytest.approx(0.85, abs=0.02) and adapted < 0.25
    assert np.mean((p >= adapted) == y) > np.mean((p >= 0.5) == y) + 0.01


def test_estimation_checks_its_inputs() -> None:
    assert em_prior(np.zeros(0), 0.4) == 0.4  # no texts: nothing moves
    with pytest.raises(ValueError, match="NaN"):
        em_prior(np.array([0.2, np.nan]), 0.5)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        em_prior(np.array([0.2]), 1.0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        shifted_cut(0.5, 0.0, 0.5)


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_sentiment_offers_no_adapt_prior(command: str) -> None:
    """EM read the drug reviews' positive share as 0.206 (true 0.723) and failed the rule on the other sets."""
    result = CliRunner().invoke(app, ["sentiment", command, "--help"])
    assert result.exit_code == 0 and "--adapt-prior" not in result.output
