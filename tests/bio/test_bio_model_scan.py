"""Model scans with the packaged panel: planted sites in real lambda background are found at the right
coordinates and strand (attribution + PWM refinement), every hit carries its PWM p-value."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from test_bio_scan import plant_sites, recall_fdr

from carrousel.bio import pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import decode
from carrousel.bio.pipeline import default_model_path, load_model


@pytest.fixture(scope="module")
def panel():
    if not (default_model_path() / "model.safetensors").is_file():
        pytest.skip("packaged panel model not built")
    return load_model(default_model_path())


def test_panel_is_shipped_and_small(panel) -> None:
    ids = [m.id for m in panel.motifs]
    assert len(ids) >= 20 and "MA0139.2" in ids  # CTCF
    size = sum(f.stat().st_size for f in default_model_path().iterdir())
    assert size < 5 * 2**20
    assert panel.info.get("command", "").startswith("bio train")


def test_planted_sites_found_model(panel, lambda_fa, tmp_path) -> None:
    rng = np.random.default_rng(3)
    by_id = {m.id: m for m in panel.motifs}
    motifs = [by_id[i] for i in ("MA0139.2", "MA0138.3", "MA0106.3")]  # CTCF, REST, TP53
    name, codes, truth = plant_sites(lambda_fa, motifs, 10, rng, 1e-6)
    fa = tmp_path / "planted.fa.gz"
    fa.write_bytes(gzip.compress(f">{name}\n{decode(codes)}\n".encode(), compresslevel=1))
    res = pipeline.scan(ScanConfig(method="model", model_qvalue=0.01), fa)
    hits = res.hits
    assert (hits["method"] == "model").all()
    assert np.isfinite(hits["pvalue"]).all() and np.isfinite(hits["model_pvalue"]).all()
    # TP53's motif is its own reverse complement: a planted TP53 site has no defined strand
    found = {(m, s) for m, s in zip(hits["motif_id"], hits["start"], strict=True)}
    truth = [(m, s, st) if m != "MA0106.3" or (m, s) not in found else (m, s, "*") for m, s, st in truth]
    hits.cols["strand"] = np.where(hits["motif_id"] == "MA0106.3", "*", hits["strand"]).astype(object)
    recall, fdr = recall_fdr(hits, truth, {m.id for m in motifs})
    assert recall >= 0.95, recall
    assert fdr <= 0.05, fdr


def test_cli_default_scan_runs_the_panel(panel, lambda_fa, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from carrousel.bio.cli import app
    from carrousel.bio.fasta import iter_records

    (name, codes), *_ = list(iter_records(lambda_fa))
    fa = tmp_path / "piece.fa"
    fa.write_text(f">{name}\n{decode(codes[:6000])}\n")
    out = tmp_path / "hits.bed"
    res = CliRunner().invoke(app, ["scan", str(fa), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (
        summary["method"] == "model" and summary["bases"] == 6000 and summary["motifs"] == len(panel.motifs)
    )
    assert out.is_file()


def test_both_methods_on_planted_site(panel, lambda_fa, tmp_path) -> None:
    from carrousel.bio.fasta import iter_records

    (name, codes), *_ = list(iter_records(lambda_fa))
    site = "TGGCCACCAGGGGGCGCTA"  # a strong CTCF site
    fa = tmp_path / "g.fa"
    fa.write_text(f">{name}\n{decode(codes[:8000])}{site}{decode(codes[8000:16000])}\n")
    res = pipeline.scan(ScanConfig(method="both", motifs=("MA0139.2",), qvalue=0.05), fa)
    got = {(r["method"], r["start"], r["strand"]) for r in res.hits.rows() if r["motif_id"] == "MA0139.2"}
    assert ("pwm", 8002, "+") in got and ("model", 8002, "+") in got
    model_rows = [r for r in res.hits.rows() if r["method"] == "model"]
    assert all(r["motif_id"] == "MA0139.2" for r in model_rows)  # only the asked-for output


@pytest.mark.parametrize("window,pool", [(200, 10), (47, 6)])
def test_fast_predict_matches_forward(window, pool) -> None:
    """DanQ.predict (folded batch norm, ReLU after pooling, both strands in one batch) computes the same
    strand-averaged logits as the plain forward passes, also when the pool does not divide the window."""
    import torch

    from carrousel.bio.fasta import one_hot
    from carrousel.bio.models import build_danq, predict_logits

    torch.manual_seed(0)
    model = build_danq(5, filters=8, kernel=7, pool=pool, hidden=6, window=window)
    with torch.no_grad():  # non-trivial batch-norm statistics, so folding them is really tested
        model.norm.running_mean.uniform_(-1, 1)
        model.norm.running_var.uniform_(0.5, 2)
        model.norm.weight.uniform_(-2, 2)
        model.norm.bias.uniform_(-1, 1)
    model.eval()
    codes = np.random.default_rng(0).integers(0, 4, (37, window)).astype(np.uint8)
    codes[:3, :9] = 4  # N stretches
    ref = predict_logits(model, codes, 16)
    np.testing.assert_allclose(predict_logits(model, codes, 4, fast=True), ref, atol=1e-4)
    with torch.no_grad():
        x = torch.from_numpy(one_hot(codes))
        np.testing.assert_allclose(model.predict(x, rc_average=False).numpy(), model(x).numpy(), atol=1e-4)


def test_window_pwm_pvalue_is_best_site_sidak(panel) -> None:
    """The window-level PWM p-value is 1 - (1 - p)^n of the best site over every offset and strand, with
    the site scores computed by a plain loop over positions as the oracle (N never scored)."""
    from carrousel.bio.pwm import IntegerPWM
    from carrousel.bio.sites import window_pwm_pvalues

    pw = IntegerPWM(next(m for m in panel.motifs if m.id == "MA0139.2"))
    L = pw.length
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, (6, 60)).astype(np.uint8)
    codes[0, 10:12] = 4
    rc = pw.matrix[::-1, ::-1]
    got = window_pwm_pvalues(codes, pw, block=4)
    for i, row in enumerate(codes):
        best = max(
            int(mat[np.arange(L), row[s : s + L]].sum())
            for s in range(60 - L + 1)
            if (row[s : s + L] < 4).all()
            for mat in (pw.matrix, rc)
        )
        p = pw.pvalue(np.array([best]))[0]
        want = 1 - (1 - p) ** (2 * (60 - L + 1))
        assert got[i] == pytest.approx(want, rel=1e-6)
    # a strong planted site makes its window significant; background windows are not
    site = np.array([3, 2, 2, 1, 1, 0, 1, 1, 0, 2, 2, 2, 2, 2, 1, 2, 1, 3, 0][:L], dtype=np.uint8)
    codes[1, 20 : 20 + L] = site  # TGGCCACCAGGGGGCGCTA, a strong CTCF site
    p2 = window_pwm_pvalues(codes, pw)
    assert p2[1] < 1e-3 < np.median(p2)


def test_a_scan_of_short_records_says_the_model_tested_nothing(
    oct4_fa, tmp_path, write_fasta, caplog
) -> None:
    """30-bp cores of real Oct4 peaks in the panel's 200-bp windows are mostly N, so no window is tested:
    the scan reported 0 hits and said nothing; it now warns and points to the PWM method."""
    from carrousel.bio.fasta import read_sequences

    _, seqs = read_sequences(oct4_fa)
    short = write_fasta(tmp_path / "short.fa", {f"s{i}": s[85:115] for i, s in enumerate(seqs[:40])})
    with caplog.at_level("WARNING", logger="carrousel"):
        res = pipeline.scan(ScanConfig(method="model"), short)
    assert res.model_stages["windows_mostly_n"] == res.model_stages["windows"] == 40
    assert "40 of 40 model windows are mostly N" in caplog.text and "method='pwm'" in caplog.text
    caplog.clear()
    whole = write_fasta(tmp_path / "whole.fa", {f"w{i}": s for i, s in enumerate(seqs[:40])})
    with caplog.at_level("WARNING", logger="carrousel"):
        pipeline.scan(ScanConfig(method="model"), whole)
    assert "mostly N" not in caplog.text
