"""A HOMER ``.motif`` file (a ``>`` header, then one row of 4 probabilities per position) is read as its
motifs. Biopython's JASPAR reader, tried first, took the rows 4 at a time as 4-row JASPAR matrices: an
8-position HOMER motif became two 4-position motifs read across the wrong axis, scanned without a word."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from carrousel.bio.motifs import load_motif_file

ROWS = [
    [0.382, 0.107, 0.287, 0.224],
    [0.021, 0.961, 0.001, 0.017],
    [0.001, 0.980, 0.001, 0.018],
    [0.001, 0.001, 0.997, 0.001],
    [0.010, 0.001, 0.988, 0.001],
    [0.960, 0.001, 0.038, 0.001],
    [0.813, 0.001, 0.001, 0.185],
    [0.131, 0.001, 0.867, 0.001],
]


def _homer(name: str, rows: list[list[float]], header: str = "\t6.834\t-2.5e+03\t0\tT:1.0") -> str:
    return f">NCCGGAAG\t{name}{header}\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows)


def test_a_homer_file_is_read_one_motif_per_header(tmp_path: Path) -> None:
    path = tmp_path / "known.motif"
    path.write_text(_homer("ETS:RUNX(ETS,Runt)/Jurkat/Homer", ROWS) + _homer("GABPA/Homer", ROWS[:4]))
    first, second = load_motif_file(path)
    assert (first.id, first.name) == ("ETS:RUNX(ETS,Runt)/Jurkat/Homer",) * 2
    np.testing.assert_array_equal(first.counts, np.array(ROWS))
    assert first.consensus() == "ACCGGAAG"
    assert second.id == "GABPA/Homer"  # 4 rows of 4: HOMER's threshold column says positions, not bases
    np.testing.assert_array_equal(second.counts, np.array(ROWS[:4]))


def test_a_header_without_homer_columns_and_rows_of_4_numbers_other_than_4_is_read_by_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.txt"
    path.write_text(">m1\n" + "".join(" ".join(map(str, r)) + "\n" for r in ROWS))
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts, np.array(ROWS))


def test_a_jaspar_file_of_4_unlabelled_rows_is_still_jaspar(tmp_path: Path) -> None:
    path = tmp_path / "m.jaspar"
    path.write_text(">MA0001.1 AGL3\n0 3 79 40\n94 75 4 3\n1 0 3 4\n2 19 11 50\n")
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts[0], [0, 94, 1, 2])  # the rows are A, C, G, T
