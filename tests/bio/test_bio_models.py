"""DanQ model, planted training data, dinucleotide shuffle, calibration, bundle round trip, and a tiny
training run that must learn (held-out AUROC well above chance)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import SynthConfig
from carrousel.bio.data import planted_dataset
from carrousel.bio.models import DanQ, DanQConfig, rc_one_hot
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.pipeline import default_model_path, load_model, save_model
from carrousel.bio.synth import dinucleotide_shuffle
from carrousel.bio.training import fit_model
from carrousel.core.errors import BundleError
from carrousel.core.metrics import benjamini_hochberg
from carrousel.core.train import TrainConfig
from tests.state_dicts import same_state


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


def test_trained_model_bundle_round_trip(tmp_path, rng) -> None:
    """A trained model saved as a core bundle loads back with the same tensors, motifs, calibration and
    provenance, and gives the same logits; wrong kinds, old layouts and changed files are refused."""
    import json

    from carrousel.bio.motifs import Motif
    from carrousel.core.bundle import load_bundle
    from carrousel.core.errors import BundleError

    x = rng.integers(0, 4, size=(120, 40)).astype(np.uint8)
    x[:60, 10:18] = [3, 3, 2, 0, 1, 2, 1, 0]  # TTGACGCA planted in the positives
    y = np.zeros((120, 1), dtype=np.float32)
    y[:60] = 1
    motif = Motif("site", "my site, with; odd=names", np.eye(4)[[3, 3, 2, 0, 1, 2, 1, 0]] * 20)
    fit = fit_model(
        x,
        y,
        [motif],
        DanQConfig(n_outputs=1, filters=4, kernel=9, hidden=4, window=40),
        TrainConfig(epochs=1, lr=1e-2, device="cpu", progress=False, seed=0),
        batch_size=32,
        n_null=150,
        info={"command": "test", "sources": {"positives": {"path": "p.fa", "sha256": "0" * 64}}},
    )
    folder = save_model(fit.model, tmp_path / "m")
    back = load_model(folder)
    assert same_state(fit.model.model.state_dict(), back.model.state_dict())
    assert back.model.config == fit.model.model.config and not back.model.training
    assert [(m.id, m.name) for m in back.motifs] == [("site", "my site, with; odd=names")]
    np.testing.assert_array_equal(back.motifs[0].counts, motif.counts)
    np.testing.assert_array_equal(back.calibration.null, fit.model.calibration.null.astype(np.float32))
    assert back.info == json.loads(json.dumps(fit.model.info)) and back.info["command"] == "test"
    assert back.info["val"].keys() >= {"auroc", "loss"} and back.info["train"]["epochs"] == 1
    np.testing.assert_array_equal(back.logits(x), fit.model.logits(x))
    doc = json.loads((folder / "bundle.json").read_text())
    assert doc["kind"] == "bio.danq" and "assets/motifs.jaspar" in doc["files"]
    with pytest.raises(BundleError, match=r"not finance\.forecaster"):
        load_bundle(folder, kind="finance.forecaster")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "config.json").write_text("{}")
    with pytest.raises(BundleError, match=r"not a carrousel-bio model folder.*older carrousel"):
        load_model(tmp_path / "old")
    (folder / "assets" / "motifs.jaspar").write_text(">x\tx\nA [ 1 ]\nC [ 1 ]\nG [ 1 ]\nT [ 1 ]\n")
    with pytest.raises(BundleError, match=r"motifs\.jaspar"):
        load_model(folder)


@pytest.mark.parametrize(
    ("written", "fix"),
    [("99.0", "upgrade carrousel (pip install -U carrousel-core carrousel-bio)"), (None, "; train it again")],
)
def test_assets_a_newer_carrousel_wrote_say_to_upgrade_not_to_train_again(
    tmp_path: Path, written: str | None, fix: str
) -> None:
    """A calibration setting this version cannot read, in a bundle a newer carrousel wrote, said "train
    again" (retraining with this version cannot help); core's fix_or_upgrade now names the upgrade."""
    folder = tmp_path / "model"
    shutil.copytree(default_model_path(), folder)
    doc = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    doc["assets"]["calibration"] = {"tail_fraction": "adaptive"}
    doc["carrousel_version"] = written or doc["carrousel_version"]
    (folder / "bundle.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BundleError, match="calibration tail fraction 'adaptive'") as info:
        load_model(folder)
    assert str(info.value).endswith(fix), info.value
