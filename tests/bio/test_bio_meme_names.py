"""A MEME file's ``MOTIF id alt_name`` keeps its alternate name (FIMO's ``motif_alt_id``). Biopython's
minimal-MEME reader keeps the ID only, so ``MOTIF MA0139.2 CTCF`` was named ``MA0139.2``: the TSV's
``motif_alt_id`` said ``MA0139.2`` and the BED name ``MA0139.2``, and ``bio discover``'s own
``motifs.meme`` (``MOTIF MA0139.2 CTCF`` lines from :func:`write_meme`) read back without names."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
