"""JASPAR's TRANSFAC export (``AC MA0001.1``: one space after the key, a tab-separated ``PO`` matrix) is read.
Biopython's strict reader wants two spaces after every key, so the file was 'no motif found' without a
reason; a last record without its closing ``//`` was dropped without a word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.motifs import load_motif_file

RECORD = (
    "AC MA0001.1\nXX\nID AGL3\nXX\nDE MA0001.1 AGL3 ; From JASPAR\nPO\tA\tC\tG\tT\n01\t0.0\t94.0\t1.0\t2.0\n"
    "02\t3.0\t75.0\t0.0\t19.0\n03\t79.0\t4.0\t3.0\t11.0\nXX\nCC tax_group:plants\nXX\n//\n"
)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        (RECORD + RECORD.replace("MA0001.1", "MA0002.1").replace("AGL3", "RUNX1"), ["AGL3", "RUNX1"]),
        (RECORD.replace("\n", "\r\n"), ["AGL3"]),
        (RECORD + RECORD.replace("AGL3", "AGL4").removesuffix("//\n"), ["AGL3", "AGL4"]),  # no closing //
    ],
)
def test_jaspar_transfac_export_is_read(tmp_path: Path, text: str, ids: list[str]) -> None:
    path = tmp_path / "m.transfac"
    path.write_bytes(text.encode())
    motifs = load_motif_file(path)
    assert [m.id for m in motifs] == ids
    np.testing.assert_array_equal(motifs[0].counts, [[0, 94, 1, 2], [3, 75, 0, 19], [79, 4, 3, 11]])
