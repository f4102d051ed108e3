"""A MEME file with an RNA alphabet (an RNA-binding protein's motif, as CISBP-RNA and ATtRACT write them):
``ALPHABET= ACGU`` made ``bio scan`` stop with "internal error (KeyError: 'T')", and MEME 5's ``ALPHABET
"RNA" RNA-LIKE`` block was "no motif found (line 7: '"Uracil"' in row U is not a number)". Both are read as
DNA, U as T (the columns A C G U are A C G T), with one warning naming the file; a protein alphabet is still
refused (tests/bio/test_bio_motif_shapes.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.motifs import load_motif_file

LOGGER = "carrousel.bio.motifs"
ROWS = "0.9 0.0 0.1 0.0\n0.0 0.0 0.0 1.0\n0.0 0.0 0.0 1.0\n0.1 0.1 0.1 0.7\n"
MATRIX = f"MOTIF M1 PUM2\nletter-probability matrix: alength= 4 w= 4 nsites= 20 E= 0\n{ROWS}"
MEME4 = (
    "MEME version 4\n\nALPHABET= ACGU\n\nstrands: +\n\nBackground letter frequencies\n"
    f"A 0.3 C 0.2 G 0.2 U 0.3\n\n{MATRIX}"
)
MEME5 = (
    'MEME version 5\n\nALPHABET "RNA" RNA-LIKE\nA "Adenine" CC0000\nC "Cytosine" 0000CC\n'
    'G "Guanine" FFB300\nU "Uracil" 008000\nN "Any base" = ACGU\nX = ACGU\n. = ACGU\nEND ALPHABET\n\n'
    f"strands: +\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 U 0.25\n\n{MATRIX}"
)
DNA = f"MEME version 4\n\nALPHABET= ACGT\n\n{MATRIX}"


@pytest.mark.parametrize("text", [MEME4, MEME5], ids=["ALPHABET= ACGU", "MEME 5 RNA block"])
def test_an_rna_meme_file_is_read_as_dna_with_a_warning(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    rna, dna = tmp_path / "pum2.meme", tmp_path / "dna.meme"
    rna.write_text(text)
    dna.write_text(DNA)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        (m,) = load_motif_file(rna)
    (d,) = load_motif_file(dna)
    assert (m.id, m.name) == ("M1", "PUM2") and np.array_equal(m.counts, d.counts)
    assert m.consensus() == "ATTT"  # the U column read as T
    msgs = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert msgs == [f"{rna}: an RNA alphabet (A C G U): U is read as T to scan DNA"], msgs


def test_a_dna_meme_file_gets_no_rna_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dna = tmp_path / "dna.meme"
    dna.write_text(DNA)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        load_motif_file(dna)
    assert not [r for r in caplog.records if r.name == LOGGER]


def test_bio_scan_finds_the_rna_motif_on_dna(tmp_path: Path) -> None:
    meme, fa = tmp_path / "pum2.meme", tmp_path / "t.fa"
    meme.write_text(MEME4)
    fa.write_text(">s\nCCCCCCATTTCCCCCC\n")
    res = CliRunner().invoke(app, ["scan", str(fa), "--motif", str(meme), "--pvalue", "0.01", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    # ATTT: the motif's AUUU site on DNA
    assert doc["hits_per_motif"] == {"M1": {"name": "PUM2", "hits": 1}}, doc
