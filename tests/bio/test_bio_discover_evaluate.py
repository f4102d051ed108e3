"""Tomtom-style matching, filter motifs and logos, and PWM evaluation on real Oct4 vs Mafk peaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.bio.config import MotifExtraction
from carrousel.bio.data import sequences_to_windows
from carrousel.bio.discover import (
    compare_motifs,
    filter_contributions,
    filter_motifs,
    find_motifs,
    render_report,
)
from carrousel.bio.evaluate import evaluate_windows, pwm_max_scores
from carrousel.bio.fasta import encode
from carrousel.bio.logos import draw_logo, write_logos
from carrousel.bio.models import DanQ, DanQConfig
from carrousel.bio.motifs import Motif, load_motif_file, resolve_motifs, write_jaspar, write_meme


def test_tomtom_finds_the_source_motif(rng) -> None:
    db = resolve_motifs(["CTCF", "REST", "SP1", "GATA1", "FOXA2", "TP53", "SOX2", "HNF4A"])
    ctcf = db[0]
    noisy = ctcf.counts + rng.integers(0, 40, size=ctcf.counts.shape)
    query = Motif("q", "q", noisy[::-1, ::-1][2:-1])  # reverse complement, trimmed
    best = compare_motifs([query], db, top=1)["q"][0]
    assert best.target_id == ctcf.id and best.strand == "-"


def test_motif_files_round_trip(tmp_path) -> None:
    motifs = resolve_motifs(["CTCF", "SOX2"])
    (tmp_path / "m.meme").write_text(write_meme(motifs))
    (tmp_path / "m.jaspar").write_text(write_jaspar(motifs))
    for f in ("m.meme", "m.jaspar"):
        back = load_motif_file(tmp_path / f)
        assert [m.id for m in back] == [m.id for m in motifs]
        np.testing.assert_allclose(back[0].frequencies(), motifs[0].frequencies(), atol=2e-3)


def _detector_model(rng) -> tuple[DanQ, np.ndarray, np.ndarray]:
    """A tiny DanQ whose filter 0 detects exactly TTGACGT and alone drives the output, with the site
    planted in the first 100 of 200 random windows."""
    model = DanQ(DanQConfig(n_outputs=1, filters=4, kernel=7, hidden=4, window=50))
    site = encode("TTGACGT")
    with torch.no_grad():  # make filter 0 an exact detector of the site
        w = np.full((4, 7), -1.0, dtype=np.float32)
        w[site, np.arange(7)] = 1.0
        model.conv.weight[0] = torch.from_numpy(w)
        model.conv.bias[0] = -6.0
        model.head.weight.zero_()
        model.head.weight[0, -4] = 3.0  # the output reads filter 0's max activation only
    codes = rng.integers(0, 4, size=(200, 50)).astype(np.uint8)
    codes[:100, 20:27] = site
    model.eval()
    return model, codes, site


def test_filter_motifs_and_logos(tmp_path, rng) -> None:
    model, codes, _ = _detector_model(rng)
    found = {f: (m, n) for f, m, n in filter_motifs(model, codes)}
    motif, sites = found[0]
    assert motif.consensus() == "TTGACGT"  # the planted site, recovered from the activations
    assert 100 <= sites <= 101  # the windows where it fires (a chance 7-mer aside), not a fixed count
    assert motif.id == "filter0" and "MOTIF filter0\n" in write_meme([motif])  # no repeated name
    logos = write_logos([motif], tmp_path / "logos")
    assert Path(logos[motif.id]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = draw_logo(motif)
    assert list(fig.axes[0].get_yticks()) == [0, 1, 2]  # whole bits


def test_filters_ranked_by_contribution_and_task_motif_marked(rng) -> None:
    model, codes, site = _detector_model(rng)
    task, drops = filter_contributions(model, codes, limit=200)
    assert task == 0 and drops[0] == pytest.approx(
        3.0 * 0.5 * model.norm.weight[0].item() / np.sqrt(1 + 1e-5)
    )
    assert np.allclose(drops[1:], 0.0)  # filters the output never reads contribute nothing
    counts = np.eye(4)[site] * 50 + 1
    found = find_motifs(
        model,
        codes,
        resolve_motifs(["CTCF", "REST", "SP1", "GATA1", "FOXA2", "TP53", "SOX2", "HNF4A"]),
        MotifExtraction(min_sites=5),
        task_motifs=[Motif("T1", "planted", counts)],
        output_names=["planted"],
    )
    assert found.motifs[0].id == "filter0" and found.task_motif == "filter0" and found.task == "planted"
    assert found.task_match is not None and found.task_match.pvalue < 1e-3
    doc = found.summary()
    assert doc["motifs"][0]["task_motif"] is True and doc["motifs"][0]["rank"] == 1
    assert all(x["id"] != "T1" for m in doc["motifs"] for x in m["matches"])  # JASPAR matches only
    assert "filter0 (task motif)" in render_report(found)


def test_pwm_max_scores_match_bruteforce(rng) -> None:
    m = resolve_motifs("SOX2")[0]
    codes = rng.integers(0, 4, size=(30, 40)).astype(np.uint8)
    got = pwm_max_scores(codes, m)
    from carrousel.bio.pwm import IntegerPWM

    pw = IntegerPWM(m)
    L = m.length
    for i in range(30):
        best = max(
            max(
                pw.matrix[np.arange(L), codes[i, j : j + L]].sum(),
                pw.matrix[::-1, ::-1][np.arange(L), codes[i, j : j + L]].sum(),
            )
            for j in range(40 - L + 1)
        )
        assert got[i] == best


def test_best_pwm_separates_real_oct4_from_mafk(oct4_fa, mafk_fa) -> None:
    _, pos = sequences_to_windows(oct4_fa, 200)
    _, neg = sequences_to_windows(mafk_fa, 200)
    res = evaluate_windows(None, pos[:1500], neg[:1500], resolve_motifs(["POU5F1", "MAFK", "CTCF"]))
    assert res.best_pwm.endswith("MA1115.2") or "MAFK" in res.best_pwm
    assert res.pwm_auroc > 0.7  # one PWM alone; chance is 0.5
    assert res.pwms["CTCF_MA0139.2"] < res.pwm_auroc


def test_meme_nsites_counts_the_sites_not_the_bases_under_them(rng) -> None:
    """``motifs.meme`` gave ``nsites`` as the mean column count, so a site lying over an N (no base in that
    column) made it fall below the report's ``sites`` (a user's 1149 against 1155). MEME's ``nsites`` is the
    number of sites the matrix was built from: now the fullest column, here the 140 windows that fire."""
    import re

    model, codes, site = _detector_model(rng)
    with torch.no_grad():
        model.conv.bias[0] = -5.0  # fires on 6 of the 7 bases too (activation 1 of the full site's 2)
    codes[100:140, 20:27] = site
    codes[100:140, 20] = 4  # 40 more sites with an N under their first base
    motif, sites = next((m, n) for f, m, n in filter_motifs(model, codes) if f == 0)
    assert sites >= 140 and motif.counts[0].sum() == sites - 40  # the column over the Ns counts fewer
    nsites = re.search(r"nsites= (\d+)", write_meme([motif]))
    assert nsites is not None and int(nsites.group(1)) == sites  # before: 134, the columns' mean
