"""Model scans with the packaged panel: planted sites in real lambda background are found at the right
coordinates and strand (attribution + PWM refinement), every hit carries its PWM p-value."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from test_bio_scan import plant_sites, recall_fdr

from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import decode
from carrousel.bio.pipeline import default_model_path, load_bundle
from carrousel.bio.scan import scan_genome


@pytest.fixture(scope="module")
def panel():
    if not (default_model_path() / "model.safetensors").is_file():
        pytest.skip("packaged panel model not built")
    return load_bundle(default_model_path())


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
    res = scan_genome(fa, ScanConfig(method="model", model_qvalue=0.01))
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
    res = scan_genome(fa, ScanConfig(method="both", motifs=("MA0139.2",), qvalue=0.05))
    got = {(r["method"], r["start"], r["strand"]) for r in res.hits.rows() if r["motif_id"] == "MA0139.2"}
    assert ("pwm", 8002, "+") in got and ("model", 8002, "+") in got
    model_rows = [r for r in res.hits.rows() if r["method"] == "model"]
    assert all(r["motif_id"] == "MA0139.2" for r in model_rows)  # only the asked-for output
