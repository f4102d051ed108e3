"""A motif so short that even its consensus cannot reach the scan's ``--pvalue`` (98 of JASPAR 2024's 879
vertebrate matrices at the default 1e-4 with a uniform background: a 6-bp consensus has p = 4^-6 = 2.4e-4)
can never give a PWM hit: the scan says so in one warning naming the motif, its best p-value and the
``--pvalue`` that would scan it, instead of reporting 0 hits as if it had looked for sites and found none."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from carrousel.bio.config import ScanConfig
from carrousel.bio.scan import scan_genome

ONE_HOT = {"A": [20, 0, 0, 0], "C": [0, 20, 0, 0], "G": [0, 0, 20, 0], "T": [0, 0, 0, 20]}


def _motif_file(path, name: str, consensus: str):  # type: ignore[no-untyped-def]
    rows = np.array([ONE_HOT[b] for b in consensus]).T
    body = "\n".join(f"{b} [ {' '.join(str(x) for x in row)} ]" for b, row in zip("ACGT", rows, strict=True))
    path.write_text(f">{name} {name.lower()}\n{body}\n")
    return path


def test_a_motif_that_can_never_reach_the_pvalue_is_named_in_one_warning(
    tmp_path, write_fasta, caplog: pytest.LogCaptureFixture
) -> None:
    short = _motif_file(tmp_path / "short.jaspar", "SHORT6", "CACGTG")
    long_ = _motif_file(tmp_path / "long.jaspar", "LONG12", "CACGTGACGTCA")
    seq = "CACGTGTTTT" * 30 + "CACGTGACGTCA"
    fa = write_fasta(tmp_path / "s.fa", {"s": seq})
    with caplog.at_level(logging.WARNING, logger="carrousel.bio"):
        res = scan_genome(fa, ScanConfig(motifs=(str(short), str(long_)), pvalue=1e-4))
    assert "SHORT6" not in res.summary()["hits_per_motif"]  # no hit: p >= 4^-6 > 1e-4
    lines = [r.getMessage() for r in caplog.records if "SHORT6" in r.getMessage()]
    # before: no word; "0 hits" for a motif that was never able to give one
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert "1 of 2 motifs can never reach p <= 0.0001" in lines[0]
    assert "SHORT6 (6 bp, best p 0.00024" in lines[0] and "scan them with pvalue=0.00025 or above" in lines[0]
    assert "LONG12" not in lines[0]
    with caplog.at_level(logging.WARNING, logger="carrousel.bio"):
        caplog.clear()
        scan_genome(fa, ScanConfig(motifs=(str(short),), pvalue=1e-3))
    assert not [r for r in caplog.records if "can never reach" in r.getMessage()]


def test_enrich_names_the_motifs_that_can_never_reach_the_pvalue(tmp_path, write_fasta) -> None:
    """bio enrich tested such a motif in silence: '0 of N targets, p = 1', read as 'not enriched'; it now
    gives bio scan's warning (the same function, once)."""
    from typer.testing import CliRunner

    from carrousel.bio.cli import app

    short = _motif_file(tmp_path / "short.jaspar", "SHORT6", "CACGTG")
    long_ = _motif_file(tmp_path / "long.jaspar", "LONG12", "CACGTGACGTCA")
    targets = write_fasta(tmp_path / "t.fa", {f"t{i}": "CACGTGTTTT" * 5 + "CACGTGACGTCA" for i in range(12)})
    bg = write_fasta(tmp_path / "b.fa", {f"b{i}": "ATTGCATTGA" * 5 + "ATTGCATTGACA" for i in range(12)})
    res = CliRunner().invoke(app, ["enrich", str(targets), "--background", str(bg), "-m", f"{short},{long_}"])
    assert res.exit_code == 0, res.output
    said = [ln for ln in res.stderr.splitlines() if "can never reach" in ln]
    assert len(said) == 1 and "1 of 2 motifs can never reach p <= 0.0001" in said[0] and "SHORT6" in said[0]
