"""Tomtom-style motif comparison: analytic p-values (convolution of per-column score distributions)
that reach significance for real relatives, stay quiet and near-uniform for random motifs, and agree
with brute-force enumeration on a small collection."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from carrousel.bio.motifs import Motif, resolve_motifs
from carrousel.bio.tomtom import RESOLUTION, alignment_pvalues, column_scores, compare_motifs, search


@pytest.fixture(scope="module")
def vertebrates() -> list[Motif]:
    return resolve_motifs("jaspar:CORE/vertebrates")


def test_jaspar_motifs_find_themselves_and_relatives(vertebrates) -> None:
    n = len(vertebrates)
    assert n > 800
    ctcf = search(resolve_motifs("CTCF")[0], vertebrates)
    assert ctcf[0].target_id == "MA0139.2" and ctcf[0].evalue < 1e-20 and ctcf[0].qvalue < 1e-20
    assert ctcf[0].offset == 0 and ctcf[0].strand == "+" and ctcf[0].overlap == 15
    # far below the old floor of the sampled null (E >= 879 / 201 = 4.4)
    assert (
        sum(m.target_name.upper() == "CTCF" and m.evalue < 1e-10 for m in ctcf[:3]) == 3
    )  # its other versions
    ctcfl = next(m for m in ctcf if m.target_name == "CTCFL")
    assert ctcfl.evalue < 0.1 and ctcf.index(ctcfl) < 5  # an 8-column relative: the 4th match
    mafk = search(resolve_motifs("MAFK")[0], vertebrates)
    assert mafk[0].target_name == "MAFK" and mafk[0].evalue < 1e-6
    mafg = next(m for m in mafk if m.target_name == "Mafg")
    assert mafg.evalue < 1e-3 and mafk.index(mafg) == 1
    rc = resolve_motifs("SOX2")[0].reverse_complement()
    best = search(Motif("rc", "rc", rc.counts), vertebrates)[0]
    assert best.target_name == "SOX2" and best.strand == "-" and best.evalue < 0.01
    assert all(m.evalue == pytest.approx(m.pvalue * n) for m in mafk[:50])


@pytest.mark.parametrize("release", ["JASPAR2024", "JASPAR2026"])
def test_random_motifs_find_nothing_and_pvalues_are_uniform(release) -> None:
    """The p-values stay valid and near-uniform against either release's collection. The best match's E
    of a random motif is below 1 for 4 of 10 seeds against 2024's 879 motifs, 7 of 10 against 2026's 1019
    (new ZNF matrices: ZNF865, ZNF853, ZNF226), near the ~63% a minimum over n independent uniform
    p-values (E = p n) gives: 2024's more correlated matrices kept it lower."""
    vertebrates = resolve_motifs("jaspar:CORE/vertebrates", release)
    quiet, ps = 0, []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        q = Motif("r", "r", rng.dirichlet(np.full(4, 0.5), size=int(rng.integers(8, 20))) * 20)
        p = alignment_pvalues(q, vertebrates)[0]
        quiet += bool((p * len(vertebrates)).min() >= 1.0)
        ps.append(p)
    pooled = np.concatenate(ps)
    assert quiet >= (6 if release == "JASPAR2024" else 3)  # random motifs matching nothing with E < 1: 6, 3
    for alpha in (0.01, 0.05, 0.1, 0.5):  # valid and near-uniform (measured 0.0075, 0.043, 0.086, 0.43)
        assert 0.5 * alpha <= (pooled < alpha).mean() <= 1.1 * alpha


def test_pvalue_equals_enumeration_over_collection_columns() -> None:
    """One alignment of a 3-column query against 3-column targets: the analytic p-value equals the
    fraction of all column triples of the collection (with replacement) that score as well, corrected
    for the offsets and strands tried."""
    rng = np.random.default_rng(3)
    targets = [Motif(f"t{i}", f"t{i}", rng.integers(0, 20, size=(3, 4)).astype(float) + 1) for i in range(4)]
    query = Motif("q", "q", rng.integers(0, 20, size=(3, 4)).astype(float) + 1)
    q = query.frequencies(pseudocount=0.01)
    cols = np.concatenate(
        [t.frequencies(pseudocount=0.01) for t in targets]
        + [t.reverse_complement().frequencies(pseudocount=0.01) for t in targets]
    )
    s = np.rint(np.clip(column_scores(q, cols), -1, 1) * RESOLUTION).astype(int)  # (3, 24)
    p, _score, offset, _strand, overlap = alignment_pvalues(query, targets, min_overlap=3)
    assert (offset == 0).all() and (overlap == 3).all()  # min overlap 3 of 3: only full alignments
    sums = np.array([s[0, a] + s[1, b] + s[2, c] for a, b, c in itertools.product(range(24), repeat=3)])
    for k, t in enumerate(targets):
        tc = np.rint(np.clip(column_scores(q, t.frequencies(pseudocount=0.01)), -1, 1) * RESOLUTION)
        rc = np.rint(
            np.clip(column_scores(q, t.reverse_complement().frequencies(pseudocount=0.01)), -1, 1)
            * RESOLUTION
        )
        best = max(np.trace(tc), np.trace(rc))
        p_one = (sums >= best).mean()
        assert p[k] == pytest.approx(1 - (1 - p_one) ** 2, rel=1e-9)  # 2 strands tried


def test_compare_motifs_keeps_the_old_interface(vertebrates) -> None:
    out = compare_motifs([resolve_motifs("MAFK")[0]], vertebrates[:100] + resolve_motifs(["MAFK"]), top=2)
    (matches,) = out.values()
    assert len(matches) == 2 and matches[0].target_name == "MAFK" and matches[0].pvalue <= matches[1].pvalue


def test_motifs_read_on_real_peaks_match_their_factor(oct4_fa, mafk_fa, vertebrates) -> None:
    """Filters seeded with Pou5f1::Sox2 and MAFK, read on real Oct4 and Mafk ChIP-seq peaks: each
    filter fires in more windows of its own factor's peaks, and the matrix it builds from the real
    sites matches its factor's JASPAR family with a significant E-value."""
    import torch

    from carrousel.bio.data import sequences_to_windows
    from carrousel.bio.discover import filter_motifs
    from carrousel.bio.models import DanQ, DanQConfig
    from carrousel.bio.motifs import log_odds

    seeds = resolve_motifs(["MA0142.1", "MAFK"])
    model = DanQ(DanQConfig(n_outputs=1, filters=4, kernel=15, hidden=4, window=200))
    with torch.no_grad():
        model.init_from_log_odds([torch.from_numpy(log_odds(m)).float() for m in seeds])
        w = model.conv.weight[:4]  # (4 filters, 4 bases, 15): fire only near a strong match
        model.conv.bias[:4] = -0.6 * w.amax(dim=1).sum(dim=1)
    model.eval()
    oct4 = sequences_to_windows(oct4_fa, 200)[1][:1500]
    mafk = sequences_to_windows(mafk_fa, 200)[1][:1500]
    on_oct4 = {f: (m, n) for f, m, n in filter_motifs(model, oct4)}
    on_mafk = {f: (m, n) for f, m, n in filter_motifs(model, mafk)}
    pooled = {f: n for f, _, n in filter_motifs(model, np.concatenate([oct4, mafk]))}
    # measured: Oct filter 441 Oct4 vs 52 Mafk windows, MAF filter 666 vs 35; pooled 456 and 701
    assert on_oct4[0][1] > 5 * on_mafk[0][1] and on_mafk[2][1] > 5 * on_oct4[2][1]
    assert pooled[0] < 1.2 * on_oct4[0][1] and pooled[2] < 1.2 * on_mafk[2][1]
    (oct_match,) = compare_motifs([on_oct4[0][0]], vertebrates, top=1).values()
    (maf_match,) = compare_motifs([on_mafk[2][0]], vertebrates, top=1).values()
    assert "POU" in oct_match[0].target_name.upper() and oct_match[0].evalue < 1e-3
    assert "MAF" in maf_match[0].target_name.upper() and maf_match[0].evalue < 1e-3
