"""DanQ model, planted training data, dinucleotide shuffle, calibration, bundle round trip, and a tiny
training run that must learn (held-out AUROC well above chance)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import SynthConfig
from carrousel.bio.data import planted_dataset
from carrousel.bio.models import DanQ, DanQConfig, rc_one_hot
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pipeline import load_model, save_model
from carrousel.bio.synth import dinucleotide_shuffle
from carrousel.bio.training import fit_model
from carrousel.core.metrics import benjamini_hochberg
from carrousel.core.train import TrainConfig


def test_dinucleotide_shuffle_keeps_counts(rng) -> None:
    seq = rng.integers(0, 4, size=300).astype(np.uint8)
    out = dinucleotide_shuffle(seq, rng)
    pairs = lambda s: np.bincount(s[:-1].astype(int) * 4 + s[1:], minlength=16)  # noqa: E731
    assert (pairs(out) == pairs(seq)).all() and out[0] == seq[0] and out[-1] == seq[-1]
    assert (out != seq).mean() > 0.3


def test_danq_shapes(device) -> None:
    m = DanQ(DanQConfig(n_outputs=3, filters=8, kernel=9, hidden=4, window=100)).to(device)
    x = torch.zeros(5, 4, 100, device=device)
    x[:, 0] = 1
    assert m(x).shape == (5, 3)
    assert torch.equal(rc_one_hot(rc_one_hot(x)), x)


def test_calibration_pvalues_monotone_with_tail(rng) -> None:
    cal = NullCalibration.from_scores(rng.normal(size=(2000, 2)))
    z = np.array([[-3.0, -3.0], [0.0, 0.0], [3.0, 3.0], [8.0, 8.0]])
    p = cal.pvalues(z)
    assert (np.diff(p[:, 0]) < 0).all()
    assert p[1, 0] == pytest.approx(0.5, abs=0.05) and p[3, 0] < 1.0 / 2001  # tail beyond the null
    q = benjamini_hochberg(np.array([0.01, 0.001, 0.5]), 3)
    np.testing.assert_allclose(q, [0.015, 0.003, 0.5])


def test_planted_dataset_labels(lambda_fa) -> None:
    motifs = resolve_motifs(["CTCF", "REST"])
    x, y = planted_dataset(
        motifs, lambda_fa, SynthConfig(n_per_motif=20, n_shuffled=10, n_background=10, n_decoy=5)
    )
    assert x.shape == (40 + 25, 200) and y.shape == (65, 2)
    assert y.sum(axis=0).min() >= 20 and (y.sum(axis=1) == 0).sum() == 25


@pytest.mark.slow
def test_tiny_model_learns_planted_motifs(lambda_fa, tmp_path) -> None:
    motifs = resolve_motifs(["CTCF", "REST"])
    cfg = SynthConfig(window=100, n_per_motif=120, n_shuffled=60, n_background=100, n_decoy=30, seed=1)
    x, y = planted_dataset(motifs, lambda_fa, cfg)
    out = fit_model(
        x,
        y,
        motifs,
        DanQConfig(n_outputs=2, filters=16, kernel=15, hidden=8, window=100),
        TrainConfig(epochs=4, lr=1e-2, device="cpu", progress=False, seed=0),
        val_fraction=0.25,
        batch_size=32,
        n_null=200,
    )
    losses = [h["train_loss"] for h in out.history]
    assert losses[-1] < 0.92 * losses[0]
    assert out.metrics["auroc"] > 0.95  # held-out planted windows; chance is 0.5
    folder = save_model(out.model, tmp_path / "m")
    back = load_model(folder)
    np.testing.assert_allclose(back.logits(x[:20]), out.model.logits(x[:20]), rtol=1e-5, atol=1e-5)
    assert [m.id for m in back.motifs] == ["MA0139.2", "MA0138.3"]
