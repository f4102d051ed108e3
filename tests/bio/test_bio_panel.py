"""The packaged panel, converted to the core bundle layout, gives the outputs the old loader gave: the same
weights and null (checksums) and the same logits, p-values and scan hits on a fixed input. The expected
values were computed with the loader of the old layout (config.json + calibration.safetensors) before the
conversion; no genome sample is needed.

The stored null is kept as saved but sorted on loading (the old loader searched it unsorted, which gave
wrong p-values: the minimum 1/4001 for most windows and many false model hits); the p-values and hits
pinned here are those of the sorted null, and the null's checksum is that of its sorted rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest

from carrousel.bio import pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.fasta import encode

CTCF = "TGGCCACCAGGGGGCGCTA"  # a strong CTCF site
REST = "TTCAGCACCATGGACAGCGCC"  # a strong REST site
STATE_SHA256 = "f27c10bf5dceb13ac5ac38b956554bdedd2fac321b0fa0699ac0e59afef2a3b4"
NULL_SHA256 = "2af5d9aa4b1fa96106d4cc97fc7fd86fb58559ca9a97e6a124f61ed25daf0f54"  # sorted rows
# logits of outputs 0 (CTCF) and 1 (REST) on the four windows of `_windows`, from the old loader
CTCF_LOGITS = [-3.1129002571105957, -1.1185983419418335, -4.591787338256836, -5.1342878341674805]
REST_LOGITS = [-6.1713714599609375, -5.157694339752197, -0.7190075516700745, -5.049511432647705]
CTCF_PVALUES = [7.838539562637914e-07, 9.517434396100796e-16, 0.20619845038740314, 0.31017245688577855]
# (method, motif, start, strand) of `bio scan --method both -m MA0139.2,MA0138.3` with the stored null
HITS = [
    ("model", "MA0139.2", 48, "+"),
    ("pwm", "MA0138.3", 358, "-"),
    ("model", "MA0138.3", 358, "-"),
    ("pwm", "MA0139.2", 1002, "+"),
    ("model", "MA0139.2", 1002, "+"),
    ("model", "MA0139.2", 1556, "-"),
    ("model", "MA0139.2", 1747, "-"),
    ("pwm", "MA0138.3", 2001, "+"),
    ("model", "MA0138.3", 2001, "+"),
    ("model", "MA0138.3", 2556, "+"),
]


def _windows(lcg_dna) -> np.ndarray:  # type: ignore[no-untyped-def]
    seqs = [lcg_dna(200, k) for k in range(4)]
    seqs[1] = seqs[1][:90] + CTCF + seqs[1][109:]
    seqs[2] = seqs[2][:60] + REST + seqs[2][81:]
    seqs[3] = seqs[3][:20] + "N" * 30 + seqs[3][50:]
    return np.stack([encode(s) for s in seqs])


@pytest.fixture(scope="module")
def panel():
    return pipeline.load_model()


def test_panel_is_a_core_bundle(panel) -> None:
    folder = pipeline.default_model_path()
    doc = json.loads((folder / "bundle.json").read_text())
    assert doc["kind"] == "bio.danq" and doc["module"] == "bio.danq"
    assert sorted(doc["files"]) == ["arrays.safetensors", "assets/motifs.jaspar", "model.safetensors"]
    assert [o["id"] for o in doc["assets"]["outputs"]] == [m.id for m in panel.motifs]
    assert not (folder / "config.json").exists()  # the old layout is gone


def test_panel_weights_and_null_unchanged(panel) -> None:
    h = hashlib.sha256()
    for k, v in sorted(panel.model.state_dict().items()):
        h.update(k.encode())
        h.update(v.numpy().tobytes())
    assert h.hexdigest() == STATE_SHA256
    assert hashlib.sha256(panel.calibration.null.astype(np.float32).tobytes()).hexdigest() == NULL_SHA256
    assert panel.calibration.null.dtype == np.float64 and panel.calibration.null.shape == (24, 4000)
    assert (np.diff(panel.calibration.null, axis=1) >= 0).all()  # sorted, as the p-values need


def test_panel_logits_on_a_fixed_input(panel, one_thread, lcg_dna) -> None:
    logits = panel.logits(_windows(lcg_dna))
    assert logits.shape == (4, 24)
    np.testing.assert_allclose(logits[:, 0], CTCF_LOGITS, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(logits[:, 1], REST_LOGITS, rtol=1e-5, atol=1e-5)
    assert logits[1, 0] > logits[0, 0] and logits[2, 1] > logits[0, 1]  # the planted sites raise them
    np.testing.assert_allclose(panel.calibration.pvalues(logits)[:, 0], CTCF_PVALUES, rtol=1e-4)


def test_panel_logits_in_bf16_stay_close(panel, one_thread, lcg_dna) -> None:
    """bf16 autocast through core's predict (``MotifModel.precision``): finite, within 0.1 of the fp32
    logits (|logit| up to ~10), the planted sites still raise their outputs."""
    fp32 = panel.logits(_windows(lcg_dna))
    bf16 = replace(panel, precision="bf16").logits(_windows(lcg_dna))
    assert np.isfinite(bf16).all() and 0 < np.abs(bf16 - fp32).max() < 0.1
    assert bf16[1, 0] > bf16[0, 0] and bf16[2, 1] > bf16[0, 1]


def test_panel_scan_on_a_fixed_genome(tmp_path, lcg_dna) -> None:
    g = lcg_dna(3000, 7)
    g = g[:1000] + CTCF + g[1019:2000] + REST + g[2021:]
    fa = tmp_path / "g.fa"
    fa.write_text(">chrT\n" + g + "\n")
    cfg = ScanConfig(
        method="both", motifs=("MA0139.2", "MA0138.3"), calibration="model", background="uniform"
    )
    res = pipeline.scan(cfg, fa)
    got = list(
        zip(res.hits["method"], res.hits["motif_id"], res.hits["start"], res.hits["strand"], strict=True)
    )
    assert got == HITS
    rows = {(r["method"], r["motif_id"], r["start"]): r for r in res.hits.rows()}
    assert rows[("pwm", "MA0139.2", 1002)]["pvalue"] == pytest.approx(9.313225746154785e-10, rel=1e-9)
    assert rows[("pwm", "MA0138.3", 2001)]["qvalue"] == pytest.approx(5.422407411970198e-09, rel=1e-9)
    assert rows[("model", "MA0138.3", 2001)]["model_pvalue"] == pytest.approx(
        4.2117405635732766e-17, rel=1e-3
    )
    assert res.tests["MA0139.2"] == 5972 and res.tests["MA0138.3:model"] == 17
