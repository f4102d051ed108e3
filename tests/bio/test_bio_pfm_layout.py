"""A ``.pfm`` file is read in either layout: 4 rows (A C G T, a column per position) or N rows of 4 counts
(a row per position). Before, a 6 x 4 file went to Biopython's "pfm" reader, which kept its first 4 rows as
A C G T and dropped the last 2 without a word (a 4-position motif of wrong counts)."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.bio.errors import MotifFormatError
from carrousel.bio.motifs import load_motif_file

SIX_BY_FOUR = "".join(f"{4 * i + 1} {4 * i + 2} {4 * i + 3} {4 * i + 4}\n" for i in range(6))


def test_six_rows_of_four_counts_are_six_positions(tmp_path) -> None:
    path = tmp_path / "m.pfm"
    path.write_text(SIX_BY_FOUR, encoding="utf-8")
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts, np.arange(1, 25, dtype=float).reshape(6, 4))


def test_four_rows_are_still_the_bases(tmp_path) -> None:
    path = tmp_path / "m.pfm"  # 4 x 6: A C G T rows, 6 positions; 4 x 4 too stays rows = bases
    path.write_text("1 2 3 4 5 6\n7 8 9 10 11 12\n13 14 15 16 17 18\n19 20 21 22 23 24\n", encoding="utf-8")
    (motif,) = load_motif_file(path)
    np.testing.assert_array_equal(motif.counts, np.arange(1, 25, dtype=float).reshape(4, 6).T)


@pytest.mark.parametrize(
    ("text", "shape"), [("1 2 3 4 5\n" * 6, "6 rows of 5 counts"), ("1 2 3\n" * 5, "5 rows of 3")]
)
def test_neither_four_rows_nor_four_columns_is_refused_naming_the_shape(
    tmp_path, text: str, shape: str
) -> None:
    path = tmp_path / "m.pfm"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MotifFormatError, match=shape) as info:
        load_motif_file(path)
    assert "\n" not in str(info.value) and "4 rows" in str(info.value) and "4 columns" in str(info.value)
