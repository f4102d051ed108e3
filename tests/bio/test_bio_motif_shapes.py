"""A motif file of odd shape, whatever its extension, is refused in one line naming the file and the problem.

Before, a file of bare count rows with an extension other than ``.pfm`` (``.mat``, ``.txt``) went through the
JASPAR and PFM readers in turn, and Biopython's four-column reader built a motif from garbage without a word:
3 or 5 rows of 5 counts lost a column, a ragged row was dropped, 6 rows of 4 counts became 4 positions. A
JASPAR file with a fifth labelled row (a second T, a U) lost it silently, and a FASTA or BED file given as the
motif file said only "no motif found". An N row was dropped too (the letters read were A, C, G, T, U only).
"""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
from carrousel.bio.motifs import load_motif_file

# 4 rows of 3 whole numbers read as a 4-row PFM of 3 positions (the BED's columns); its position totals
# (7, 910, 1270) differ, as no count matrix's do
NUMERIC_BED = "1\t100\t200\n1\t300\t400\n2\t500\t650\n3\t10\t20\n"
BED_OF_REGIONS = "line 1: chrom, start, end: this is a BED file of regions"
JASPAR_ROWS = ">MA1 X\nA [ 1 2 3 ]\nC [ 1 2 3 ]\nG [ 1 2 3 ]\nT [ 1 2 3 ]\n"
REFUSED = {
    "three rows": ("1 2 3 4 5\n2 3 4 5 6\n3 4 5 6 7\n", "3 rows of 5 counts"),
    "five rows": ("1 2 3 4 5\n" * 5, "5 rows of 5 counts"),
    "six rows of three": ("1 2 3\n" * 6, "6 rows of 3 counts"),
    "ragged": ("1 2 3 4\n2 3 4\n3 4 5 6\n4 5 6 7\n", "line 2: 3 counts, line 1 has 4"),
    "ragged of five": ("1 2 3 4 5\n2 3 4\n3 4 5 6 7\n4 5 6 7 8\n", "line 2: 3 counts, line 1 has 5"),
    "negative": ("1 2 3 4\n2 -3 4 5\n3 4 5 6\n", "position 2: a negative count"),
    "not finite": ("1 2 3 4\n2 inf 4 5\n3 4 5 6\n", "position 2: a count is not finite"),
    "all zeros": ("0 0 0 0\n0 0 0 0\n", "position 1 has no counts"),
    "second T row": (JASPAR_ROWS + "T [ 5 5 5 ]\n", "rows A, C, G, T, T; a motif needs one row for each"),
    "U row": (JASPAR_ROWS + "U [ 5 5 5 ]\n", "rows A, C, G, T, T"),
    "N row": (
        JASPAR_ROWS + "N [ 0 0 0 ]\n",
        "rows A, C, G, T, N; a motif needs one row for each of A, C, G and T; remove the N row",
    ),
    "fasta": (">chr1\nACGTACGTAC\nGGTT\n>chr2\nACGT\n", "line 1: a FASTA name line followed by sequence"),
    "bed": ("chr1\t100\t200\tpeak1\t0\t+\nchr1\t300\t400\tpeak2\t0\t-\n", "this is a BED file of regions"),
    "bed of numeric chromosomes": (NUMERIC_BED, "line 1: chrom, start, end: this is a BED file of regions"),
    # 3 rows: refused by shape only ("3 rows of 3 counts"); 4 number columns: read as a 3-position PFM
    "bed of numeric chromosomes, 3 rows": ("1\t100\t200\n2\t300\t450\n3\t10\t90\n", BED_OF_REGIONS),
    "bed of numeric chromosomes, a score": ("1\t100\t200\t5\n2\t300\t450\t7\n3\t10\t90\t1\n", BED_OF_REGIONS),
    "bedGraph of numeric chromosomes": ("1\t100\t200\t0.5\n2\t300\t450\t1.5\n", BED_OF_REGIONS),
    "bed of numeric chromosomes, 5 columns": ("1\t100\t200\t5\t0\n2\t300\t450\t7\t0\n", BED_OF_REGIONS),
}


@pytest.mark.parametrize("ext", [".mat", ".txt"])
@pytest.mark.parametrize("case", list(REFUSED))
def test_an_odd_shape_is_one_line_naming_the_file_and_the_problem(tmp_path, case: str, ext: str) -> None:
    text, why = REFUSED[case]
    path = tmp_path / f"m{ext}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises((MotifFormatError, MotifNotFoundError)) as info:
        load_motif_file(path)
    message = str(info.value)
    assert str(path) in message and why in message and "\n" not in message, message


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("1 2 3 4\n" * 6, np.tile([1.0, 2, 3, 4], (6, 1))),  # 6 positions, not the first 4
        ("1 2 3\n4 5 6\n7 8 9\n1 1 1\n", np.array([[1.0, 4, 7, 1], [2, 5, 8, 1], [3, 6, 9, 1]])),
        # every row rises from position 2 to 3, as a BED's end does, but the totals (100, 100, 103) agree
        (
            "25 24 25\n25 25 26\n25 25 25\n25 26 27\n",
            np.array([[25.0, 25, 25, 25], [24, 25, 25, 26], [25, 26, 25, 27]]),
        ),
        ("1\n2\n3\n4\n", np.array([[1.0, 2, 3, 4]])),  # a 1-column motif, 4 rows
        ("1 2 3 4\n", np.array([[1.0, 2, 3, 4]])),  # a 1-position motif, 4 columns
    ],
)
def test_four_rows_or_four_columns_read_as_a_pfm_whatever_the_extension(tmp_path, text, counts) -> None:
    path = tmp_path / "m.mat"
    path.write_text(text, encoding="utf-8")
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts, counts)


def test_the_cli_refuses_an_odd_motif_file_in_one_line(tmp_path) -> None:
    from typer.testing import CliRunner

    from carrousel.bio.cli import app

    (tmp_path / "g.fa").write_text(">c1\nACGTACGTACGTAAACCCGGGTTT\n", encoding="utf-8")
    (tmp_path / "m.mat").write_text("1 2 3 4 5\n" * 3, encoding="utf-8")
    res = CliRunner().invoke(
        app,
        ["scan", str(tmp_path / "g.fa"), "--motif", str(tmp_path / "m.mat"), "-o", str(tmp_path / "o.bed")],
    )
    assert res.exit_code == 1 and "3 rows of 5 counts" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o.bed").exists()


@pytest.mark.parametrize("command", ["scan", "enrich"])
def test_a_bed_of_numeric_chromosomes_given_as_the_motif_is_named_a_bed(tmp_path, command: str) -> None:
    """``1<TAB>100<TAB>200`` rows (4 of them) were read as a 4-row PFM of 3 positions and scanned."""
    from typer.testing import CliRunner

    from carrousel.bio.cli import app

    rng = np.random.default_rng(0)
    fasta = "".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 60))}\n" for i in range(12))
    (tmp_path / "g.fa").write_text(fasta, encoding="utf-8")
    bed = tmp_path / "peaks.bed"
    bed.write_text(NUMERIC_BED, encoding="utf-8")
    out = tmp_path / ("o.bed" if command == "scan" else "o.tsv")
    res = CliRunner().invoke(app, [command, str(tmp_path / "g.fa"), "--motif", str(bed), "-o", str(out)])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
    assert f"{bed}: line 1: chrom, start, end: this is a BED file of regions" in lines[0], res.output
    assert "give a JASPAR, MEME (minimal), TRANSFAC or PFM file" in lines[0] and not out.exists()


def test_a_jaspar_n_row_is_refused_not_dropped(tmp_path) -> None:
    """Biopython's JASPAR reader refuses an ``N [ ... ]`` row ("could not convert string to float"); the
    four-row PFM reader tried next read the file with the N row dropped, without a word."""
    path = tmp_path / "m.jaspar"
    path.write_text(JASPAR_ROWS + "N [ 2 0 1 ]\n", encoding="utf-8")
    with pytest.raises((MotifFormatError, MotifNotFoundError), match="lines 2-6: rows A, C, G, T, N") as info:
        load_motif_file(path)
    assert str(info.value).count("remove the N row") == 1 and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "rows",
    [
        "A  0 3 79 40\nC 94 75 4 3\nG  1 0 3 4\nT  2 19 11 50\n",  # no brackets
        "a [ 0 3 79 40 ]\nc [ 94 75 4 3 ]\ng [ 1 0 3 4 ]\nt [ 2 19 11 50 ]\n",  # lower-case letters
        "A\t0\t3\t79\t40\nC\t94\t75\t4\t3\nG\t1\t0\t3\t4\nT\t2\t19\t11\t50\n",  # tabs
    ],
)
def test_a_jaspar_file_of_unbracketed_or_lower_case_rows_keeps_its_id_and_name(tmp_path, rows: str) -> None:
    """Biopython's JASPAR reader refused such rows; the four-row PFM reader then named each motif by its
    whole header, so ``>MA0001.1 AGL3`` was the ID 'MA0001.1 AGL3' (hits named so), not MA0001.1 (AGL3)."""
    path = tmp_path / "m.jaspar"
    path.write_text(">MA0001.1 AGL3\n" + rows + ">MA0002.1 X\n" + rows)
    first, second = load_motif_file(path)
    assert (first.id, first.name, second.id, second.name) == ("MA0001.1", "AGL3", "MA0002.1", "X")
    np.testing.assert_array_equal(first.counts[0], [0, 94, 1, 2])
