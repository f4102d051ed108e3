"""Of two model windows holding one site, a model hit reports the more significant. BH gave both windows
the same q-value here (3 windows tested), and the tie went to the first in file order: the site at
290-305 (0-based) of a 391-base record was reported with the grid window at 179 (probability 0.3137)
when scanned alone and with the flush window at 191 (0.3255, the smaller p-value) among other records,
so one site's model score and p-value depended on the records around it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from carrousel.bio.config import ScanConfig
from carrousel.bio.dna import encode
from carrousel.bio.pipeline import load_model
from carrousel.bio.scan_run import scan

RECORD = (
    "AGCAGAAGCCCTCGCGGAGCTTTTAAATATCTAGCAAGGGAACCATAAATTATTTAGGAGCAATGGATCTGTGACTCTTACCTGAAACCACAAAGGGCCT"
    "CTATATAGGTCCATTATTTCTGTCTCTCCACCATGTGCAGGGAACAGTATATTGCATTTTCAGTAAGCTCAACGAAATTTGTCGTACATGAATTCTGGAG"
    "CTTAACTATAGCTTTAGGGTCTTTCCGTAACGAAAGAGCATGTAGCGGCTGTCGCTGTACTAACCTATCTTTTTACTGCATAACCTAGCAGCCACCAGGG"
    "GGCGCCCGCCTTATTAGGGCTACTCCAGGGGTAAGGCGCAGTGGATTTAATCATGAAAGGGCCACATGCAGGAAATTACAGACAGGTTAGA"
)


def test_a_site_in_two_windows_reports_the_more_significant_one(tmp_path: Path, write_fasta) -> None:  # type: ignore[no-untyped-def]
    fa = write_fasta(tmp_path / "one.fa", {"c30": RECORD})
    cfg = ScanConfig(method="model", motifs=("CTCF",), calibration="model", calls="fdr")
    scan(cfg, fa, out=tmp_path / "hits.tsv")
    rows = list(csv.DictReader((tmp_path / "hits.tsv").open(), delimiter="\t"))
    assert [(r["start"], r["stop"], r["strand"]) for r in rows] == [("291", "305", "+")]
    model = load_model(None)
    out = next(i for i, m in enumerate(model.motifs) if m.name == "CTCF")
    codes = encode(RECORD)
    starts = [a for a in (0, 179, 191) if a <= 290 and a + model.window >= 305]  # the windows holding it
    probs = [1 / (1 + np.exp(-model.logits(codes[a : a + model.window][None])[0, out])) for a in starts]
    assert starts == [179, 191] and probs[1] > probs[0]
    assert float(rows[0]["model_score"]) == float(f"{probs[1]:.4g}")  # the flush window's (smaller p)
