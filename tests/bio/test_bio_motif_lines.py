"""A broken motif file names its first broken line: before, every one of these said only "no motif found;
expected a JASPAR, MEME (minimal), TRANSFAC or PFM file"."""

from __future__ import annotations

import pytest

from carrousel.bio.errors import MotifNotFoundError
from carrousel.bio.motif_lines import diagnose
from carrousel.bio.motifs import load_motif_file, parse_motifs

MEME = "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF M1 x\nletter-probability matrix: alength= 4 w= 3\n"
CASES = {
    "m.jaspar": (
        ">MA0001.1 TEST\nA [ 1 2 3 4 ]\nC [ 1 2 3 ]\nG [ 1 2 3 4 ]\nT [ 1 2 3 4 ]\n",
        "line 3: row C has 3 counts, row A (line 2) has 4; every row of a motif needs one count per position",
    ),
    "m.pfm": (
        "A 1 2 3 4\nC 1 2 3 4\nG 1 2 3 4\nT 1 2 3\n",
        "line 4: row T has 3 counts, row A (line 1) has 4",
    ),
    "m.meme": (
        MEME + "0.25 0.25 0.25 0.25\n0.5 0.5 0\n0.25 0.25 0.25 0.25\n",
        "line 8: 3 probabilities, expected 4",
    ),
    "rows.meme": (MEME + "0.25 0.25 0.25 0.25\n", "line 6: the matrix has 1 rows, its w= says 3"),
    "b.pfm": ("1 2 3 4\n1 2 3 4\n1 2 3\n1 2 3 4\n", "line 3: 3 counts, line 1 has 4"),  # unlabelled rows
    "c.pfm": ("0.1 0.2 0.3 0.4\n0.1 0.2 0.3\n", "line 2: 3 counts, line 1 has 4"),  # one row per position
    "t.transfac": (
        "ID x\nP0 A C G T\n01 1 2 3 4 G\n02 1 2 3\n03 1 2 3 4\nXX\n//\n",
        "line 4: position 02 has 3 counts, expected 4 (A C G T)",
    ),
    "x.jaspar": (
        ">MA1\nA [ 1 x ]\nC [ 1 2 ]\nG [ 1 2 ]\nT [ 1 2 ]\n",
        "line 2: 'x' in row A is not a number",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_error_names_the_line_and_the_problem(tmp_path, name: str) -> None:
    text, why = CASES[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(MotifNotFoundError) as caught:
        load_motif_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: no motif found (line") and why in message, message


def test_text_that_holds_no_matrix_gets_no_guess() -> None:
    assert diagnose("hello world\nA note about motifs\n") is None
    with pytest.raises(MotifNotFoundError, match=r"^<text>: no motif found; expected"):
        parse_motifs("hello world\nA note about motifs\n")


def test_a_line_holding_a_form_feed_or_line_separator_counts_as_one_line(tmp_path) -> None:
    # str.splitlines cut these lines in two, so every later line was named one too far on
    path = tmp_path / "m.jaspar"
    path.write_text(
        ">MA0001.1 TEST\x0cnote\u2028x\nA [ 1 2 3 4 ]\nC [ 1 2 3 ]\nG [ 1 2 3 4 ]\nT [ 1 2 3 4 ]\n"
    )
    with pytest.raises(MotifNotFoundError, match=r"\(line 3: row C has 3 counts, row A \(line 2\) has 4"):
        load_motif_file(path)
