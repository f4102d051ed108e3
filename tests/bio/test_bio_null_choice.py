"""The model scan's null and candidate stages: a sorted null whatever the source, the automatic choice
between a peak set's stored real background and a genome's own shuffles, a background FASTA, output
restriction with --motif, PWM-backed candidates, stage counts in --json, and the GC-stratified split
with the background null stored by training."""

from __future__ import annotations

import json

import numpy as np
import pytest

from carrousel.bio import pipeline
from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import ScanConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta import encode
from carrousel.bio.models import DanQ, DanQConfig, MotifModel
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.training import gc_stratified_split
from carrousel.core.option_names import flags_named

CTCF = "TGGCCACCAGGGGGCGCTA"


def _random(n: int, rng: np.random.Generator, gc: float = 0.5) -> str:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choice(list("ACGT"), size=n, p=p))


def test_null_sorted_whatever_the_source(rng) -> None:
    null = rng.normal(size=(2, 500))
    unsorted = NullCalibration(null)  # as a stored array may come
    ordered = NullCalibration.from_scores(null.T)
    z = rng.normal(size=(50, 2))
    np.testing.assert_allclose(unsorted.pvalues(z), ordered.pvalues(z))
    # the empirical p-value of the median null score is about one half
    assert unsorted.pvalues(np.median(null, axis=1)[None, :])[0] == pytest.approx([0.5, 0.5], abs=0.01)


def test_gc_stratified_split(rng) -> None:
    seqs = [_random(200, rng, gc) for gc in rng.uniform(0.3, 0.7, size=400)]
    x = np.stack([encode(s) for s in seqs])
    y = np.zeros((400, 1), dtype=np.float32)
    y[:100] = 1
    val, tr = gc_stratified_split(x, y, 0.2, rng)
    assert np.intersect1d(val, tr).size == 0 and val.size + tr.size == 400
    assert (y[val, 0] == 1).sum() == 20 and (y[val, 0] == 0).sum() == 60  # 20% of each class
    gc = ((x == 1) | (x == 2)).mean(axis=1)
    for c in (0, 1):  # both sides span the class's GC range alike
        a, b = gc[val][y[val, 0] == c], gc[tr][y[tr, 0] == c]
        assert abs(np.median(a) - np.median(b)) < 0.02
        assert abs(np.quantile(a, 0.1) - np.quantile(b, 0.1)) < 0.03


def _toy_model(background: bool) -> MotifModel:
    import torch

    torch.manual_seed(0)
    net = DanQ(DanQConfig(n_outputs=2, filters=8, kernel=9, hidden=4, window=100)).eval()
    motifs = resolve_motifs(["MA0139.2", "MA0138.3"])
    rng = np.random.default_rng(1)
    null = NullCalibration(rng.normal(50, 1, size=(2, 300)))  # the network never reaches it
    bg = NullCalibration(rng.normal(50, 1, size=(2, 300))) if background else None
    return MotifModel(net, motifs, null, {}, bg)


@pytest.fixture
def peak_set(tmp_path, rng, write_fasta):
    return write_fasta(tmp_path / "peaks.fa", {f"p{i}": _random(100, rng) for i in range(30)})


@pytest.fixture
def genome(tmp_path, rng, write_fasta):
    return write_fasta(tmp_path / "genome.fa", {"chr1": _random(20_000, rng)})


def test_auto_null_peak_set_uses_stored_background(peak_set) -> None:
    from carrousel.bio.scan import scan_genome

    res = scan_genome(peak_set, ScanConfig(method="model"), model=_toy_model(True))
    assert res.model_null["source"] == "stored background"
    assert "peak set (30 records" in res.model_null["reason"] and res.model_null["windows"] == 300


def test_auto_null_peak_set_without_background_shuffles_it(peak_set) -> None:
    from carrousel.bio.scan import scan_genome

    res = scan_genome(peak_set, ScanConfig(method="model"), model=_toy_model(False))
    assert res.model_null["source"] == "shuffled input"
    assert "stores no real background" in res.model_null["reason"]
    # the fix as a Python caller sets it (on main '--model-background FILE', the CLI's flag, here too)
    assert "targets'; model_background gives a real background)" in res.model_null["reason"]
    with flags_named():
        res = scan_genome(peak_set, ScanConfig(method="model"), model=_toy_model(False))
    assert "targets'; --model-background FILE gives a real background)" in res.model_null["reason"]


def test_auto_null_genome_uses_its_shuffles(genome) -> None:
    from carrousel.bio.scan import scan_genome

    res = scan_genome(genome, ScanConfig(method="model"), model=_toy_model(True))
    assert res.model_null["source"] == "shuffled input" and "genome" in res.model_null["reason"]


def test_background_null_asked_of_a_model_without_one(peak_set) -> None:
    from carrousel.bio.scan import scan_genome

    with pytest.raises(ScanConfigError, match="stores no background null"):
        scan_genome(peak_set, ScanConfig(method="model", calibration="background"), model=_toy_model(False))


def test_background_fasta_null(peak_set, genome) -> None:
    from carrousel.bio.scan import scan_genome

    res = scan_genome(
        peak_set, ScanConfig(method="model", model_background=str(genome)), model=_toy_model(False)
    )
    assert res.model_null["source"] == str(genome) and res.model_null["windows"] == 399  # every 50 bp
    assert (
        res.model_null["reason"] == "the model's scores on 399 windows of model_background"
    )  # main: --model-...


def test_motif_restricts_the_outputs_tested(peak_set) -> None:
    from carrousel.bio.scan import scan_genome

    res = scan_genome(peak_set, ScanConfig(method="model", motifs=("MA0138.3",)), model=_toy_model(True))
    assert list(res.tests) == ["MA0138.3:model"] and res.tests["MA0138.3:model"] == 30
    assert res.model_stages["tests"] == 30 and res.model_stages["windows"] == 30


def test_pwm_backed_candidates_and_stage_counts(tmp_path, rng, write_fasta) -> None:
    """An untrained network calls nothing; windows holding a strong CTCF site still become candidates
    through their PWM term, pass BH among 40 windows and are placed exactly."""
    from carrousel.bio.scan import scan_genome

    recs = {f"p{i}": _random(100, rng) for i in range(40)}
    for i in range(6):
        s = recs[f"p{i}"]
        recs[f"p{i}"] = s[:40] + CTCF + s[40 + len(CTCF) :]
    fa = write_fasta(tmp_path / "peaks.fa", recs)
    res = scan_genome(fa, ScanConfig(method="model", motifs=("MA0139.2",)), model=_toy_model(True))
    st = res.model_stages
    assert st["candidates_pwm_only"] >= 6 and st["passed_q"] >= 6
    found = {(r["record"], r["start"]) for r in res.hits.rows()}
    assert {(f"p{i}", 42) for i in range(6)} <= found  # the PWM core starts 2 bases in (as the panel test)
    assert st["sites"] == len(res.hits) and st["tests"] == 40


def test_scan_json_names_the_null_and_stages(invoke, peak_set, tmp_path) -> None:
    out = invoke("bio", "scan", str(peak_set), "-m", "CTCF", "--method", "model", "--json")
    assert out.code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["model_null"]["source"] in ("stored background", "shuffled input")
    assert doc["model_stages"]["tests"] == 30 and set(doc["tests_per_motif"]) == {"MA0139.2:model"}


def test_pre_pass_window_pvalues_are_exact(rng, one_thread) -> None:
    """The PWM term of each candidate, from the compiled pre-pass over the queued chunks, equals the exact
    window-level p-value of its best site (every offset, both strands, Sidak), for every flagged window."""
    from carrousel.bio.model_scan import ModelScanner
    from carrousel.bio.pwm import IntegerPWM, SequenceCodes
    from carrousel.bio.pwm_null import Background
    from carrousel.bio.sites import window_pwm_pvalues

    model = pipeline.load_model()
    pwms = [IntegerPWM(m, Background.uniform(), 0.1) for m in model.motifs]
    seq = _random(30_000, rng, 0.55)
    for at in range(1000, 30_000, 2500):  # strong sites too, not only chance ones
        seq = seq[:at] + CTCF + seq[at + len(CTCF) :]
    codes = encode(seq)
    scanner = ModelScanner(model, pwms, pvalue=0.05, qvalue=0.05)
    from carrousel.bio.fasta import Chunk

    # three records (one shorter than the window) queued together: one PWM pass over them laid end to end
    for name, part in (("chrA", codes[:12_000]), ("chrB", codes[12_000:12_150]), ("chrC", codes[12_150:])):
        scanner.process(Chunk(name, 0, part, True), part.size, SequenceCodes(part))
    scanner.flush()
    assert {"chrA", "chrB", "chrC"} <= {r for c in scanner._cand for r in c["record"]}
    cols = {key: np.concatenate([c[key] for c in scanner._cand]) for key in scanner._cand[0]}
    flagged = cols["pwm_p"] <= 0.05
    assert flagged.sum() > 50 and scanner.stages["candidates_pwm_only"] > 0
    for k in np.unique(cols["k"][flagged]):
        sel = np.flatnonzero(flagged & (cols["k"] == k))
        np.testing.assert_allclose(
            cols["pwm_p"][sel], window_pwm_pvalues(cols["win"][sel], pwms[k]), rtol=1e-9
        )
    # and every window not flagged has an exact PWM term above the cut
    rest = np.flatnonzero(~flagged)[:500]
    for k in np.unique(cols["k"][rest]):
        sel = rest[cols["k"][rest] == k]
        assert (window_pwm_pvalues(cols["win"][sel], pwms[k]) > 0.05).all()
