"""Exact p-values (vs brute-force enumeration and Bio.motifs), scanning, whole-scan BH q-values."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows
from carrousel.bio.pwm_null import Background, brute_force_pvalues
from carrousel.core.metrics import benjamini_hochberg


def _motif(rng: np.random.Generator, length: int = 7) -> Motif:
    return Motif("t", "t", rng.integers(0, 30, size=(length, 4)).astype(float))


@pytest.mark.parametrize("order", [0, 1])
def test_pvalues_exact_against_enumeration(rng, order) -> None:
    m = _motif(rng, 8)
    bg = Background.from_counts(rng.integers(5, 50, 4), rng.integers(5, 50, (4, 4)), order=order)
    pw = IntegerPWM(m, bg)
    scores, prob = brute_force_pvalues(pw)
    assert prob.sum() == pytest.approx(1.0)
    for t in np.unique(scores)[::5]:
        assert pw.pvalue(np.array([t]))[0] == pytest.approx(prob[scores >= t].sum(), rel=1e-9)
    assert pw.pvalue(np.array([pw.hi]))[0] == pytest.approx(prob[scores == pw.hi].sum(), rel=1e-9)


def test_pvalue_matches_biopython_distribution() -> None:
    from Bio.motifs.matrix import PositionWeightMatrix

    m = resolve_motifs("MA0139.2")[0]
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    pw = IntegerPWM(m, Background(bg))
    freqs = m.frequencies(bg, 0.1)
    bio = PositionWeightMatrix("ACGT", {b: freqs[:, i].tolist() for i, b in enumerate("ACGT")})
    pssm = bio.log_odds(dict(zip("ACGT", bg, strict=True)))
    dist = pssm.distribution(background=dict(zip("ACGT", bg, strict=True)), precision=10**3)
    for fpr in (1e-3, 1e-4, 1e-5):
        thr_bits = dist.threshold_fpr(fpr)  # Bio: score with P(S >= thr) ~ fpr
        ours = pw.pvalue(np.array([int(np.ceil(thr_bits * pw.scale))]))[0]
        assert ours == pytest.approx(fpr, rel=0.2)


def test_scan_scores_equal_direct_sum(rng) -> None:
    m = _motif(rng, 11)
    pw = IntegerPWM(m)
    codes = rng.integers(0, 5, size=2000).astype(np.uint8)
    sc = SequenceCodes(codes)
    valid = sc.valid(11)
    rc_matrix = pw.matrix[::-1, ::-1]
    for strand, mat in ((1, pw.matrix), (-1, rc_matrix)):
        s = pw.scores(sc, strand)
        for i in range(0, codes.size - 10, 13):
            w = codes[i : i + 11]
            assert valid[i] == (w < 4).all()
            if valid[i]:
                assert s[i] == mat[np.arange(11), w].sum()


def test_bh_over_histogram_equals_scipy(rng) -> None:
    m = _motif(rng, 6)
    pw = IntegerPWM(m)
    codes = rng.integers(0, 4, size=20000).astype(np.uint8)
    sc = SequenceCodes(codes)
    s = np.concatenate([pw.scores(sc, 1), pw.scores(sc, -1)])
    hist = np.bincount(s - pw.lo, minlength=pw.sf.size)
    q_by_score = benjamini_hochberg(pw.sf, counts=hist)
    p = pw.pvalue(s)
    expected = false_discovery_control(p, method="bh")
    np.testing.assert_allclose(q_by_score[s - pw.lo], expected, rtol=1e-9)


def test_bh_over_hits_only_is_exact_up_to_the_threshold_and_conservative_above(rng) -> None:
    """q-values from the hits' scores and the number of tests (the default scan) equal exact BH wherever
    that is at most the p-value of the score just below the threshold, and are never below it; on a
    sequence full of moderately good windows (where exact BH dips) they are merely larger."""
    pw = IntegerPWM(_motif(rng, 8))
    best = pw.matrix.argmax(axis=1)
    for n_good in (0, 300):
        codes = rng.integers(0, 4, size=10000).astype(np.uint8)
        for j, i in enumerate(rng.choice(np.arange(0, 9900, 10), size=n_good, replace=False)):
            w = best.copy()
            if j % 3:  # a third perfect, the others good but not perfect
                w[rng.integers(0, 8, size=2)] = rng.integers(0, 4, size=2)
            codes[i : i + 8] = w
        sc = SequenceCodes(codes)
        s = np.concatenate([pw.scores(sc, 1), pw.scores(sc, -1)])
        hist = np.bincount(s - pw.lo, minlength=pw.sf.size)
        exact = benjamini_hochberg(pw.sf, counts=hist)
        np.testing.assert_allclose(exact[s - pw.lo], false_discovery_control(pw.pvalue(s), method="bh"))
        thr = pw.threshold(1e-2)
        hits_only = hist.copy()
        hits_only[: thr - pw.lo] = 0
        fast = benjamini_hochberg(pw.sf, int(hist.sum()), hits_only)
        idx = np.unique(s[s >= thr]) - pw.lo
        assert idx.size > 5
        assert np.all(fast[idx] >= exact[idx] - 1e-15)
        sure = exact[idx] <= pw.sf[thr - pw.lo - 1]
        assert sure.any() == (n_good > 0)
        np.testing.assert_allclose(fast[idx][sure], exact[idx][sure], rtol=1e-12)


def test_threshold_is_smallest_passing_score(rng) -> None:
    pw = IntegerPWM(_motif(rng, 9))
    t = pw.threshold(1e-4)
    assert pw.pvalue(np.array([t]))[0] <= 1e-4 < pw.pvalue(np.array([t - 1]))[0]


@pytest.mark.parametrize(("scale", "bits"), [(100.0, 16), (3000.0, 32)])
def test_hits_only_scan_equals_every_window_scan(rng, scale, bits) -> None:
    """The early-abandoning scan finds exactly the hits (starts, strands, scores) of the every-window scan,
    with first-test tables of 16-bit halves at the usual scale and 32-bit halves when the first blocks'
    sums do not fit in 15 bits (here a 30x finer score scale); with 1, 2, 3 and 4 blocks."""
    codes = rng.integers(0, 4, size=30000).astype(np.uint8)
    codes[rng.integers(0, 30000, size=40)] = 4
    sc = SequenceCodes(codes)
    for length in (6, 9, 14, 22):
        pw = IntegerPWM(_motif(rng, length), scale=scale)
        thr = pw.threshold(5e-3)
        lay = pw.prepare_scan(thr, every_score=False)
        assert lay is not None and lay.first.dtype == (np.uint32 if bits == 16 else np.uint64)
        fast = scan_windows(pw, sc, sc.n, thr, np.zeros(pw.sf.size, dtype=np.int64), every_score=False)
        full = scan_windows(pw, sc, sc.n, thr, np.zeros(pw.sf.size, dtype=np.int64), every_score=True)
        assert fast[0].size > 3
        for a, b in zip(fast, full, strict=True):
            np.testing.assert_array_equal(a, b)


def test_hits_only_set_up_lets_the_tables_go_and_any_later_use_rebuilds_them(rng) -> None:
    """The skip layout keeps its own copy, so the block and packed tables (~120 MB for the 879 JASPAR
    vertebrate motifs) are freed once it is built; scans and scores after that are unchanged."""
    m = _motif(rng, 14)
    sc = SequenceCodes(rng.integers(0, 4, 20_000).astype(np.uint8))
    ref, pw = IntegerPWM(m), IntegerPWM(m)
    thr = ref.threshold(1e-3)
    gone = weakref.ref(pw.packed_tables()[0]), weakref.ref(pw._block_tables(-1)[0])
    pw.prepare_scan(thr, False)
    gc.collect()
    assert [w() for w in gone] == [None, None]
    for every in (False, True):  # the hits-only scan, then the every-window one (rebuilds the tables)
        got = scan_windows(pw, sc, sc.n, thr, np.zeros(pw.sf.size, dtype=np.int64), every_score=every)
        want = scan_windows(ref, sc, sc.n, thr, np.zeros(ref.sf.size, dtype=np.int64), every_score=True)
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    np.testing.assert_array_equal(pw.packed_tables()[0], ref.packed_tables()[0])
    np.testing.assert_array_equal(pw.scores(sc, -1), ref.scores(sc, -1))


@pytest.mark.parametrize("bad", [float("nan"), -1.0, 0.0, 1.5, float("inf"), "1e-4", True])
def test_a_pvalue_outside_0_1_is_refused_in_one_line(rng, bad) -> None:
    """``IntegerPWM.threshold(nan / -1 / 0)`` returned ``hi + 1``, a score no site reaches (and 1.5 the
    lowest score: every window a hit), with no error for a direct API user; ``warn_unreachable`` and
    ``pwm_window_rate`` took such a value as quietly. Each now refuses it in one line naming the fix."""
    from carrousel.bio.errors import ScanConfigError
    from carrousel.bio.model_calls import pwm_window_rate
    from carrousel.bio.pwm import warn_unreachable
    from carrousel.core.errors import ConfigError

    pw = IntegerPWM(_motif(rng, 6))
    for call in (pw.threshold, lambda p: warn_unreachable([pw], p), lambda p: pwm_window_rate(p, 200, 6)):
        with pytest.raises(ScanConfigError, match=r"give a number in \(0, 1\]") as err:
            call(bad)
        assert isinstance(err.value, ConfigError) and "\n" not in str(err.value)
    assert pw.threshold(1.0) == pw.lo and pw.pvalue(np.array([pw.threshold(1e-3)]))[0] <= 1e-3
