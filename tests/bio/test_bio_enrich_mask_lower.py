"""``bio enrich --mask-lower``: soft-masked (lower-case) bases read as N in the targets and in the
background alike (no hit touches one, and neither side counts them as bases tested); shuffles of the
targets keep them in place, so a shuffle is tested at the same positions as its target."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.config import EnrichConfig
from carrousel.bio.enrich import shuffled_background
from carrousel.bio.fasta import encode, read_sequences
from carrousel.bio.motifs import resolve_motifs
from tests.bio.conftest import _lcg

runner = CliRunner()
SITE = resolve_motifs("CTCF")[0].consensus()


def _sets(tmp_path: Path, write_fasta) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """20 targets holding the site in lower case, 10 of them also in upper case; 20 background
    sequences holding it in lower case only (every sequence 140 bases)."""
    low = SITE.lower()
    targets = {
        f"t{i}": _lcg(40, i) + (SITE if i < 10 else _lcg(len(SITE), 50 + i)) + _lcg(40, 100 + i) + low
        for i in range(20)
    }
    background = {
        f"b{i}": _lcg(40, 200 + i) + _lcg(len(SITE), 250 + i) + _lcg(40, 300 + i) + low for i in range(20)
    }
    return write_fasta(tmp_path / "t.fa", targets), write_fasta(tmp_path / "b.fa", background)


def _row(tmp_path: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["enrich", *extra, "-m", "CTCF", "--json", "--no-progress"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_mask_applies_to_targets_and_background(tmp_path, write_fasta) -> None:
    t, b = _sets(tmp_path, write_fasta)
    plain = _row(tmp_path, str(t), "--background", str(b))
    masked = _row(tmp_path, str(t), "--background", str(b), "--mask-lower")
    p, m = plain["results"][0], masked["results"][0]
    assert (p["target_hits"], p["background_hits"]) == (20, 20)  # case ignored: every copy is a hit
    assert (m["target_hits"], m["background_hits"]) == (10, 0)  # only the upper-case sites
    assert m["pvalue"] < 1e-3 < p["pvalue"]
    n = len(SITE)
    assert plain["targets"]["bases"] == plain["background"]["bases"] == 20 * (80 + 2 * n)
    assert masked["targets"]["bases"] == masked["background"]["bases"] == 20 * (80 + n)  # copies left out
    assert masked["mask_lower"] is True and plain["mask_lower"] is False
    assert EnrichConfig().mask_lower is False


def test_shuffles_keep_masked_bases_in_place(tmp_path, write_fasta) -> None:
    t, _ = _sets(tmp_path, write_fasta)
    names, seqs = read_sequences(t, mask_lower=True)
    targets = [encode(s, n) for n, s in zip(names, seqs, strict=True)]
    assert all(int((x >= 4).sum()) == len(SITE) for x in targets)  # the lower-case copy reads as N
    shuffles = shuffled_background(targets, 2, 0, mask_lower=True)
    for i, s in enumerate(shuffles):
        x = targets[i // 2]
        assert np.array_equal(s >= 4, x >= 4)  # N where the target has N: the same windows tested
        assert np.array_equal(np.bincount(s, minlength=5), np.bincount(x, minlength=5))
    masked = _row(tmp_path, str(t), "--mask-lower")
    assert masked["background"]["bases"] == 2 * masked["targets"]["bases"]
    assert masked["results"][0]["background_hits"] <= 2  # the shuffles of the masked copy are no hits
