"""``bio evaluate --pwm-only`` scores whole sequences. Every sequence used to be cut to its central 200
bases (the packaged panel's window, though no model runs), so a site outside them was never seen: on
400-base sequences with the site in the first 60 bases the best PWM got AUROC about 0.5 instead of 1,
without a word. With a model, sequences longer than its window are still cut (the network reads one
window), and a warning now says how many."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.config import EvaluateConfig
from carrousel.bio.pipeline import evaluate

SITE = "CCGCGTGGTGGCGC"


def _motif_file(path: Path) -> Path:
    rows = {b: [90 if c == b else 3 for c in SITE] for b in "ACGT"}
    path.write_text(">S1 site\n" + "".join(f"{b} [ {' '.join(map(str, rows[b]))} ]\n" for b in "ACGT"))
    return path


def test_pwm_only_scores_the_whole_sequences(tmp_path: Path, write_fasta, lcg_dna) -> None:  # type: ignore[no-untyped-def]
    pos = {f"p{i}": lcg_dna(400, 100 + i) for i in range(30)}
    for i, (k, s) in enumerate(pos.items()):
        at = 5 + i  # 5..34: far outside the central 200 bases (100..300)
        pos[k] = s[:at] + SITE + s[at + len(SITE) :]
    neg = {f"n{i}": lcg_dna(400, 900 + i) for i in range(30)}
    cfg = EvaluateConfig(
        positives=str(write_fasta(tmp_path / "pos.fa", pos)),
        negatives=str(write_fasta(tmp_path / "neg.fa", neg)),
        motifs=(str(_motif_file(tmp_path / "site.jaspar")),),
        pwm_only=True,
    )
    res = evaluate(cfg)
    assert res.pwm_auroc == pytest.approx(1.0)


def test_a_model_window_cuts_longer_sequences_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from carrousel.bio.evaluate import evaluation_windows  # new: imported here so the test above runs on main

    long, short = np.zeros(300, dtype=np.uint8), np.ones(150, dtype=np.uint8)
    with caplog.at_level(logging.WARNING, logger="carrousel.bio.evaluate"):
        pos, neg = evaluation_windows([[long, short], [short]], 200)
    assert pos.shape == (2, 200) and neg.shape == (1, 200)
    assert "1 of 3 sequences are longer than the model's 200-base window" in caplog.text
    pos, neg = evaluation_windows([[long, short], [short]], None)  # PWMs only: nothing cut
    assert pos.shape == (2, 300) and neg.shape == (1, 300) and (pos[0] == 0).all()
    assert (pos[1] == 4).sum() == 150 and (pos[1, 75:225] == 1).all()
