"""``bio scan --json`` with ``--background-order 1`` scores every window against a 1st-order background, but
reported its order and base frequencies only, not the transition matrix the p-values came from: now
``background_transitions`` (``P(next base | base)``, rows and columns A C G T; None at order 0), checked
here against dinucleotides counted independently on both strands."""

from __future__ import annotations

import itertools
import json

import numpy as np
from typer.testing import CliRunner

from carrousel.bio.cli import app

runner = CliRunner()


def _expected(seqs: list[str]) -> np.ndarray:
    """Dinucleotides of each sequence and of its reverse complement (none across an N), plus 1 each."""
    comp = str.maketrans("ACGT", "TGCA")
    counts = np.ones((4, 4))
    for s in seqs:
        for strand in (s, s.translate(comp)[::-1]):
            for a, b in itertools.pairwise(strand):
                if a in "ACGT" and b in "ACGT":
                    counts["ACGT".index(a), "ACGT".index(b)] += 1
    return counts / counts.sum(axis=1, keepdims=True)


def test_scan_json_gives_the_order_one_transition_matrix(tmp_path, write_fasta, lcg_dna) -> None:
    seqs = {"chr1": "AAATTTATAT" * 20 + lcg_dna(200, 3) + "NNNN" + "CCGCGG" * 15, "chr2": lcg_dna(300, 5)}
    fa = write_fasta(tmp_path / "g.fa", seqs)
    base = ["scan", str(fa), "-m", "CTCF", "--background", "input", "--json"]
    res = runner.invoke(app, [*base, "--background-order", "1"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    trans = np.array(doc["background_transitions"])  # before: no such key
    assert doc["background_order"] == 1 and trans.shape == (4, 4) and np.isfinite(trans).all()
    assert np.abs(trans.sum(axis=1) - 1).max() < 1e-5
    parts = [p for s in seqs.values() for p in s.split("N") if p]
    assert np.abs(trans - _expected(parts)).max() < 1e-12  # full precision (before: rounded to 6 decimals)
    assert not np.allclose(trans, trans.sum(axis=0) / 4)  # not the base frequencies repeated
    order0 = json.loads(runner.invoke(app, base).stdout)
    uniform = json.loads(runner.invoke(app, [*base[:4], "--json"]).stdout)
    assert order0["background_transitions"] is None and uniform["background_transitions"] is None


def test_scan_json_gives_the_background_at_full_precision(tmp_path, write_fasta, lcg_dna) -> None:
    """Before: ``background`` was rounded to 4 decimals, so the p-values (computed under the unrounded base
    frequencies) could not be reproduced from the JSON."""
    seqs = {"chr1": "AAATTTATAT" * 20 + lcg_dna(211, 3) + "NNNN" + "CCGCGG" * 15, "chr2": lcg_dna(307, 5)}
    fa = write_fasta(tmp_path / "g.fa", seqs)
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--background", "input", "--json"])
    assert res.exit_code == 0, res.output
    got = np.array(json.loads(res.stdout)["background"])
    text = "".join(seqs.values())
    counts = np.array([text.count(b) for b in "ACGT"], dtype=float)
    counts = counts + counts[::-1] + 1  # both strands, plus 1 each
    assert np.abs(got - counts / counts.sum()).max() < 1e-12
