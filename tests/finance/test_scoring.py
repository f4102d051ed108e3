"""The scoreboard's statistics against references: SciPy, statsmodels and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.stattools import acovf

from carrousel.finance.scoring import (
    binomial_p,
    crps_from_quantiles,
    diebold_mariano,
    direction_p,
    holm,
    naive_scale,
    winkler,
)


def test_direction_is_tested_against_the_majority_rate_not_a_coin() -> None:
    # 56 up days in 100: "always up" is right 56 times, significant against 0.5 but not against 0.56
    assert binomial_p(56, 100) < 0.14
    assert direction_p(56, 100, 0.56) == pytest.approx(stats.binomtest(56, 100, 0.56, "greater").pvalue)
    assert direction_p(56, 100, 0.56) > 0.45
    assert direction_p(56, 100, 0.44) == direction_p(56, 100, 0.56)  # mostly down: "always down" is the bar


def test_naive_scale_is_the_in_sample_one_step_naive_mae() -> None:
    y = np.array([10.0, 11.0, 10.5, 12.0, np.nan, 13.0])
    assert naive_scale(y) == pytest.approx((1.0 + 0.5 + 1.5) / 3)  # the NaN's two differences are dropped


def _dm_reference(d: np.ndarray, h: int) -> tuple[float, float]:
    """DM (Diebold & Mariano 1995) with HLN (1997): gamma from statsmodels' acovf."""
    n = len(d)
    gamma = acovf(d, demean=True, fft=False, nlag=h - 1)
    var = (gamma[0] + 2 * gamma[1:h].sum()) / n
    dm = d.mean() / math.sqrt(var)
    hln = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return hln, float(stats.t.cdf(hln, df=n - 1))


@pytest.mark.parametrize("h", [1, 3, 5])
def test_diebold_mariano_hln_matches_a_reference_computation(h: int) -> None:
    rng = np.random.default_rng(h)
    ref = np.abs(rng.normal(size=300))
    model = np.abs(rng.normal(size=300)) * 0.95
    stat, p = diebold_mariano(model, ref, h)
    want_stat, want_p = _dm_reference(model - ref, h)
    assert stat == pytest.approx(want_stat, rel=1e-10) and p == pytest.approx(want_p, rel=1e-10)


def test_holm_matches_statsmodels() -> None:
    ps = [0.01, 0.04, 0.03, 0.2, 0.005]
    want = multipletests(ps, method="holm")[1]
    assert holm(ps) == pytest.approx(list(want), rel=1e-12)
    assert holm([]) == []


def test_winkler_score_by_hand() -> None:
    lo, hi = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    y = np.array([0.0, 2.0, -1.5])  # inside; 1 above; 0.5 below; alpha 0.2 -> penalty 10 per unit
    assert winkler(lo, hi, y, 0.8) == pytest.approx((2.0 + (2.0 + 10.0) + (2.0 + 5.0)) / 3)


def test_crps_from_many_quantiles_matches_the_gaussian_closed_form() -> None:
    levels = tuple(np.round(np.arange(0.005, 1.0, 0.01), 6))
    mu, sigma = 0.3, 1.7
    pred = mu + sigma * stats.norm.ppf(levels)
    y = np.array([-2.0, 0.0, 0.3, 1.5, 4.0])
    z = (y - mu) / sigma
    exact = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))
    got = crps_from_quantiles(np.broadcast_to(pred, (5, len(levels))), y, levels)
    assert got == pytest.approx(exact.mean(), rel=0.01)


def test_crps_from_three_quantiles_by_hand() -> None:
    pred, y = np.array([[-1.0, 0.0, 1.0]]), np.array([0.5])
    # pinball: 0.1*1.5=0.15, 0.5*0.5=0.25, 0.1*0.5=0.05; weights 0.3, 0.4, 0.3
    assert crps_from_quantiles(pred, y, (0.1, 0.5, 0.9)) == pytest.approx(2 * (0.045 + 0.1 + 0.015))


def test_diebold_mariano_constant_difference_is_finite() -> None:
    """Every target favours one side by the same amount: no variance, yet a finite statistic (strict JSON)
    and the p-value of a certain outcome."""
    import math

    from carrousel.finance.scoring import DM_CAP

    ref = np.linspace(1.0, 2.0, 50)
    assert diebold_mariano(ref - 0.1, ref, 5) == (-DM_CAP, 0.0)
    assert diebold_mariano(ref + 0.1, ref, 1) == (DM_CAP, 1.0)
    stat, p = diebold_mariano(ref + 0.1 + 1e-9 * np.sin(np.arange(50)), ref, 1)  # nearly constant
    assert math.isfinite(stat) and p > 0.99
