"""What a notebook does with the Python API: iterate a scan's hits, pass a sequence where a path goes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carrousel.bio import errors, pipeline
from carrousel.bio.config import ScanConfig
from carrousel.bio.errors import ScanConfigError

CTCF = "TGGCCACCAGGGGGCGCTA"  # the consensus of the CTCF matrix


def _genome(path: Path, lcg_dna, write_fasta) -> Path:  # type: ignore[no-untyped-def]
    seq = lcg_dna(3000, 7)
    seq = seq[:500] + CTCF + seq[500 + len(CTCF) : 2000] + CTCF + seq[2000 + len(CTCF) :]
    return write_fasta(path, {"chr1": seq})


def test_hits_iterate_as_rows(tmp_path: Path, lcg_dna, write_fasta) -> None:  # type: ignore[no-untyped-def]
    """``for hit in result.hits`` and ``pd.DataFrame(result.hits)`` give the rows (on main: KeyError: 0,
    the row index looked up as a column name); ``hits[0]`` is one line saying how to get rows."""
    genome = _genome(tmp_path / "g.fa", lcg_dna, write_fasta)
    hits = pipeline.scan(ScanConfig(motifs=("MA0139.2",), pvalue=1e-4), genome).hits
    assert len(hits) >= 2
    rows = list(hits)
    assert [r["start"] for r in rows] == hits["start"].tolist() == [502, 2002]
    assert [r["sequence"] for r in rows] == [r["sequence"] for r in hits.rows()]
    frame = pd.DataFrame(hits)
    assert len(frame) == len(hits) and frame["pvalue"].tolist() == hits["pvalue"].tolist()
    with pytest.raises(errors.HitsIndexError, match=r"indexed by column name .*hits\.rows\(\)\[0\]"):
        hits[0]  # type: ignore[index]


@pytest.mark.parametrize("genome", ["ACGT" * 300, "acgtnnACGTAC"])
def test_a_sequence_passed_as_the_genome_is_named(genome: str, tmp_path: Path) -> None:
    """A DNA string where the FASTA path goes is one line saying so, without echoing the sequence, and
    before the output is written (on main: '<the whole sequence> not found; check the path')."""
    out = tmp_path / "hits.bed"
    with pytest.raises(
        ScanConfigError, match=r"not a DNA sequence \(a str of \d+ bases\); write it to a FASTA"
    ) as e:
        pipeline.scan(ScanConfig(motifs=("MA0139.2",)), genome, out=out)
    assert genome not in str(e.value) and "\n" not in str(e.value)
    assert not out.exists()


def test_a_file_named_like_bases_is_still_read(tmp_path: Path, lcg_dna, write_fasta, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A FASTA whose name is only IUPAC letters is a path when it exists."""
    monkeypatch.chdir(tmp_path)
    _genome(tmp_path / "ACGTACGTACGTA", lcg_dna, write_fasta)
    assert len(pipeline.scan(ScanConfig(motifs=("MA0139.2",), pvalue=1e-4), "ACGTACGTACGTA").hits) >= 2
