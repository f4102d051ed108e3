"""A MEME file's ``MOTIF id alt_name`` keeps its alternate name (FIMO's ``motif_alt_id``). Biopython's
minimal-MEME reader keeps the ID only, so ``MOTIF MA0139.2 CTCF`` was named ``MA0139.2``: the TSV's
``motif_alt_id`` said ``MA0139.2`` and the BED name ``MA0139.2``, and ``bio discover``'s own
``motifs.meme`` (``MOTIF MA0139.2 CTCF`` lines from :func:`write_meme`) read back without names."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.errors import MotifNotFoundError
from carrousel.bio.motifs import Motif, resolve_motifs, write_meme

ROWS = "\n".join(
    ["0.7 0.1 0.1 0.1", "0.1 0.7 0.1 0.1", "0.1 0.1 0.7 0.1", "0.1 0.1 0.1 0.7", "0.7 0.1 0.1 0.1"]
)


def test_meme_alternate_names_are_kept(tmp_path: Path) -> None:
    head = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
    mat = "letter-probability matrix: alength= 4 w= 5 nsites= 20 E= 0\n" + ROWS + "\n\n"
    f = tmp_path / "m.meme"
    f.write_text(head + "MOTIF MA0139.2 CTCF\n" + mat + "MOTIF plain\n" + mat + "MOTIF x2 My::TF\n" + mat)
    got = resolve_motifs([str(f)])
    assert [(m.id, m.name) for m in got] == [("MA0139.2", "CTCF"), ("plain", "plain"), ("x2", "My::TF")]
    assert np.allclose(got[0].counts.sum(axis=1), 20)  # nsites still scales the frequencies


def test_write_meme_round_trips_names(tmp_path: Path) -> None:
    counts = np.array([[9, 1, 0, 0], [0, 9, 1, 0], [0, 0, 9, 1], [1, 0, 0, 9], [9, 0, 1, 0]], dtype=float)
    motifs = [Motif("MA0139.2", "CTCF", counts, "x"), Motif("filter3", "filter3", counts, "x")]
    f = tmp_path / "w.meme"
    f.write_text(write_meme(motifs))
    assert [(m.id, m.name) for m in resolve_motifs([str(f)])] == [
        ("MA0139.2", "CTCF"),
        ("filter3", "filter3"),
    ]


def test_meme_without_background_or_alphabet_is_read(tmp_path: Path) -> None:
    """MEME's format lets a file leave out its background (uniform then) and, in practice, its ALPHABET
    line; Biopython finds no motif without them, so such a file was 'no motif found'."""
    mat = "MOTIF M1 TF1\nletter-probability matrix: alength= 4 w= 5 nsites= 20 E= 0\n" + ROWS + "\n"
    full = tmp_path / "full.meme"
    full.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n" + mat
    )
    want = resolve_motifs([str(full)])[0]
    for name, text in {
        "nobg.meme": "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n" + mat,
        "bare.meme": "MEME version 4\n\n" + mat,
    }.items():
        (tmp_path / name).write_text(text)
        (got,) = resolve_motifs([str(tmp_path / name)])
        assert (got.id, got.name) == ("M1", "TF1") and np.allclose(got.counts, want.counts)


def test_a_bare_meme_file_spacing_alength_apart_is_read(tmp_path: Path) -> None:
    """``alength = 4`` (a space before ``=``), which Biopython and the matrix check read as ``alength= 4``:
    without an ALPHABET line the file was 'no motif found' (the ALPHABET line was added for ``alength= 4``
    only), while the same file with ALPHABET= ACGT was read."""
    mat = "MOTIF M1 TF1\nletter-probability matrix: alength = 4 w = 5 nsites= 20 E= 0\n" + ROWS + "\n"
    bare = tmp_path / "bare.meme"
    bare.write_text("MEME version 4\n\n" + mat)
    full = tmp_path / "full.meme"
    full.write_text("MEME version 4\n\nALPHABET= ACGT\n\n" + mat)
    (got,), (want,) = resolve_motifs([str(bare)]), resolve_motifs([str(full)])
    assert (got.id, got.name) == ("M1", "TF1") and np.allclose(got.counts, want.counts)


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ("0.25 0.25 0.25 0.25\n0.5 0.5 0\n0.25 0.25 0.25 0.25\n", "line 11: 3 probabilities, expected 4"),
        ("0.25 0.25 0.25 0.25\n", "line 9: the matrix has 1 rows, its w= says 3"),
    ],
)
def test_a_broken_meme_matrix_with_a_background_is_refused(tmp_path: Path, rows: str, why: str) -> None:
    """With a background section (as most MEME files have) Biopython read these as a 1-column motif,
    scanned without a word; only a file without one got the error naming the broken line."""
    f = tmp_path / "b.meme"
    f.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        "MOTIF M1 x\nletter-probability matrix: alength= 4 w= 3\n" + rows
    )
    with pytest.raises(MotifNotFoundError, match=re.escape(f"{f}: no motif found ({why}")):
        resolve_motifs([str(f)])


@pytest.mark.parametrize("name", ["m.meme", "m.txt"])
def test_a_meme_file_without_its_version_line_is_read(tmp_path: Path, name: str) -> None:
    """MOTIF and letter-probability matrix lines without the ``MEME version`` line (hand-made or written by
    other tools): Biopython's reader refuses such text, so a ``.meme`` file was 'no motif found' with no
    reason, and a ``.txt`` one went to the JASPAR/PFM readers."""
    mat = "MOTIF M1 TF1\nletter-probability matrix: alength= 4 w= 5 nsites= 20 E= 0\n" + ROWS + "\n"
    full = tmp_path / "full.meme"
    full.write_text("MEME version 4\n\n" + mat)
    (tmp_path / name).write_text(mat)
    (got,) = resolve_motifs([str(tmp_path / name)])
    assert (got.id, got.name) == ("M1", "TF1") and np.allclose(
        got.counts, resolve_motifs([str(full)])[0].counts
    )


DNA_BLOCK = (
    'ALPHABET "DNA" DNA-LIKE\nA "Adenine" CC0000 ~ T "Thymine" 008000\nC "Cytosine" 0000CC ~ G "Guanine" FFB300\n'
    'N "Any base" = ACGT\nX = ACGT\n. = ACGT\nV "Not T" = ACG\nR "Purine" = AG\nU = T\nEND ALPHABET\n'
)


def test_a_meme_5_dna_alphabet_block_is_read(tmp_path: Path) -> None:
    """STREME and MEME 5 write the DNA alphabet as a block (``ALPHABET "DNA" DNA-LIKE`` ... ``END
    ALPHABET``); Biopython's reader refused it, so the file was 'no motif found (line 4: '"Adenine"' in row
    A is not a number)', a wrong reason."""
    mat = "MOTIF 1-ACGTA STREME-1\nletter-probability matrix: alength= 4 w= 5 nsites= 20 E= 0\n" + ROWS + "\n"
    (tmp_path / "streme.txt").write_text("MEME version 5.5.4\n\n" + DNA_BLOCK + "\nstrands: + -\n\n" + mat)
    (tmp_path / "full.meme").write_text("MEME version 4\n\nALPHABET= ACGT\n\n" + mat)
    (got,) = resolve_motifs([str(tmp_path / "streme.txt")])
    want = resolve_motifs([str(tmp_path / "full.meme")])[0]
    assert (got.id, got.name) == ("1-ACGTA", "STREME-1") and np.allclose(got.counts, want.counts)


def test_a_protein_alphabet_block_is_left_alone(tmp_path: Path) -> None:
    block = 'ALPHABET "Protein" PROTEIN-LIKE\nA "Alanine" 0000CC\nC "Cysteine" 0000CC\nEND ALPHABET\n'
    (tmp_path / "p.meme").write_text(
        "MEME version 5\n\n" + block + "\nMOTIF P1\nletter-probability matrix: alength= 2 w= 1\n0.5 0.5\n"
    )
    with pytest.raises(MotifNotFoundError):
        resolve_motifs([str(tmp_path / "p.meme")])
