"""A motif file whose header names its columns or alphabet is read by that header, or named in one line.

A TRANSFAC ``P0 T G C A`` matrix and a 4-column PFM under an ``A C G T`` line were 'no motif found' with no
reason (Biopython's reader wants ``P0 A C G T``; the header line made the rows no PFM); a MEME protein
motif (``alength= 20``) or ``alength= 2`` was 'no motif found' with no reason too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
from carrousel.bio.motifs import load_motif_file

COUNTS = [[4, 3, 2, 1], [10, 0, 0, 0], [0, 1, 1, 8]]  # A C G T per position


def _transfac(header: str, order: str, sep: str = "  ", consensus: bool = False) -> str:
    rows = [
        sep.join([f"{i:02d}", *(str(row["ACGT".index(b)]) for b in order)] + (["N"] if consensus else []))
        for i, row in enumerate(COUNTS, 1)
    ]
    return "ID  M1\nXX\n" + sep.join([header, *order]) + "\n" + "\n".join(rows) + "\nXX\n//\n"


@pytest.mark.parametrize(
    "text",
    [
        _transfac("P0", "TGCA"),
        _transfac("PO", "TGCA", sep="\t", consensus=True),
        _transfac("P0", "CATG") + _transfac("P0", "ACGT").replace("M1", "M2"),
    ],
)
def test_a_transfac_matrix_is_read_by_its_header_order(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.transfac"
    path.write_text(text)
    motifs = load_motif_file(path)
    assert motifs[0].id == "M1"
    for m in motifs:
        np.testing.assert_array_equal(m.counts, COUNTS)


def test_a_transfac_header_of_other_letters_is_named(tmp_path: Path) -> None:
    path = tmp_path / "m.transfac"
    path.write_text(_transfac("P0", "ACGT").replace("P0  A  C  G  T", "P0  A  C  G  N"))
    with pytest.raises(MotifFormatError, match=r"line 3: the P0 header names the columns A C G N; .*A, C, G"):
        load_motif_file(path)


@pytest.mark.parametrize(
    ("header", "ext"),
    [("A C G T", ".pfm"), ("T\tG\tC\tA", ".pfm"), ("a c g t", ".pfm"), ("T\tG\tC\tA", ".txt")],
    ids=["acgt", "tgca-tabs", "lower-case", "txt-read-on-main-too"],
)
def test_a_four_column_pfm_under_a_header_line_is_read(tmp_path: Path, header: str, ext: str) -> None:
    order = "".join(header.split()).upper()
    rows = ["\t".join(str(row["ACGT".index(b)]) for b in order) for row in COUNTS]
    path = tmp_path / f"m{ext}"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts, COUNTS)


PROTEIN = "0.05 " * 19 + "0.05\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n\nMOTIF P1\n"
            f"letter-probability matrix: alength= 20 w= 2\n{PROTEIN}{PROTEIN}",
            r"line 6: motif 'P1' is a protein motif \(alength= 20\); bio scans DNA",
        ),
        (
            "MEME version 4\n\nMOTIF B1\nletter-probability matrix: alength= 2 w= 2\n0.5 0.5\n0.1 0.9\n",
            r"line 4: motif 'B1' is a motif of 2 letters \(alength= 2\); bio scans DNA",
        ),
    ],
)
def test_a_meme_motif_of_other_than_dna_is_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "m.meme"
    path.write_text(text)
    with pytest.raises(MotifNotFoundError, match=expected):
        load_motif_file(path)
