"""Motif files whose motifs carry no JASPAR-style ID: before, every such motif was called ``motif``, so
``bio scan -m ctcf.pfm,sox2.pfm`` scanned CTCF alone (the second ``motif`` dropped as a duplicate, without
a word), every motif of a multi-record TRANSFAC file but the first was lost the same way, and a TRANSFAC
record's own ``ID`` / ``NA`` lines were ignored. A TF name that several JASPAR profiles share took one
of them without saying so."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from carrousel.bio.errors import MotifFormatError
from carrousel.bio.motifs import resolve_motifs

ROWS_1 = [[8, 1, 1, 0], [0, 9, 1, 0], [1, 0, 9, 0], [0, 0, 1, 9], [9, 0, 1, 0]]
ROWS_2 = [[0, 0, 1, 9], [9, 0, 1, 0], [1, 8, 1, 0], [0, 9, 1, 0], [0, 1, 0, 9], [1, 1, 8, 0]]


def _pfm(rows: list[list[int]]) -> str:
    return "".join(" ".join(str(r[b]) for r in rows) + "\n" for b in range(4))


def _transfac(rows: list[list[int]], head: str = "") -> str:
    body = "".join(f"{i:02d}  " + "  ".join(map(str, r)) + "\n" for i, r in enumerate(rows, 1))
    return f"{head}P0  A  C  G  T\n{body}XX\n//\n"


def test_nameless_motif_files_keep_every_motif_named_by_file(tmp_path: Path) -> None:
    (tmp_path / "ctcf.pfm").write_text(_pfm(ROWS_1))
    (tmp_path / "SOX2.PFM").write_text(_pfm(ROWS_2))
    motifs = resolve_motifs([f"{tmp_path / 'ctcf.pfm'},{tmp_path / 'SOX2.PFM'}"])
    assert [m.id for m in motifs] == ["ctcf", "SOX2"]
    assert np.array_equal(motifs[1].counts, np.array(ROWS_2, dtype=float))


def test_transfac_file_of_several_records_keeps_each_with_its_id(tmp_path: Path) -> None:
    named = "AC  M00001\nXX\nID  V$MYOD_01\nXX\nNA  MyoD\nXX\n"
    path = tmp_path / "two.transfac"
    path.write_text(_transfac(ROWS_1) + _transfac(ROWS_2, named) + _transfac(ROWS_1[::-1]))
    motifs = resolve_motifs([str(path)])
    assert [(m.id, m.name) for m in motifs] == [("two_1", "two_1"), ("V$MYOD_01", "MyoD"), ("two_3", "two_3")]
    assert [len(m.counts) for m in motifs] == [5, 6, 5]


def test_a_name_of_several_jaspar_profiles_says_which_it_took(caplog: pytest.LogCaptureFixture) -> None:
    """``-m VSX2`` took the fly matrix MA0180.1 over the vertebrate MA0726.2 without a word."""
    pytest.importorskip("pyjaspar")
    with caplog.at_level(logging.WARNING, logger="carrousel.bio.motifs"):
        motifs = resolve_motifs(["vsx2"])
    assert [m.id for m in motifs] == ["MA0180.1"]  # the choice itself is unchanged
    (line,) = [r.getMessage() for r in caplog.records]
    assert (
        "'vsx2' matches 2 JASPAR2024 profiles; using MA0180.1 (insects), not MA0726.2 (vertebrates)" in line
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.bio.motifs"):
        assert [m.id for m in resolve_motifs(["REST"])] == ["MA0138.3"]
    assert not caplog.records  # one profile: nothing to say


@pytest.mark.parametrize(
    ("name", "picked", "level", "others"),
    [
        ("SP1", "MA0079.5", logging.INFO, "not MA2279.1 (insects)"),  # another taxon
        ("NANOG", "MA2339.1", logging.INFO, "not UN0805.1 (vertebrates)"),  # UNVALIDATED
        ("CTCF", "MA0139.2", logging.WARNING, "MA1929.2 (vertebrates), MA1930.2 (vertebrates)"),
        ("VSX2", "MA0180.1", logging.WARNING, "not MA0726.2 (vertebrates)"),  # a fly pick
    ],
)
def test_the_expected_pick_of_a_shared_name_is_said_at_info(
    caplog: pytest.LogCaptureFixture, name: str, picked: str, level: int, others: str
) -> None:
    """Every shared name warned, so ``-m SP1`` (a vertebrate CORE pick over an insect profile) warned on
    every run. The pick that is the name's one CORE vertebrate profile, the others of other taxa or
    UNVALIDATED, is now INFO (``-v``); a pick among several CORE profiles of its taxon (``CTCF``: three
    vertebrate ones) or not a vertebrate one (``VSX2``) still warns."""
    pytest.importorskip("pyjaspar")
    with caplog.at_level(logging.DEBUG, logger="carrousel"):
        assert [m.id for m in resolve_motifs([name])] == [picked]  # the choice itself is unchanged
    (record,) = [r for r in caplog.records if "JASPAR2024 profiles" in r.getMessage()]
    assert record.levelno == level and f"using {picked} " in record.getMessage()
    assert others in record.getMessage()


def test_two_different_motifs_of_one_id_are_refused_the_same_one_kept_once(tmp_path: Path) -> None:
    """Two MEME runs both name their first motif ``1``: the second was dropped without a word."""
    head = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n"
    meme = head + "\nMOTIF 1\nletter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n{}\n"
    for run, rows in (("r1", "0.7 0.1 0.1 0.1\n0 0 1 0"), ("r2", "0 0 0 1\n0.9 0.05 0 0.05")):
        (tmp_path / run).mkdir()
        (tmp_path / run / "meme.txt").write_text(meme.format(rows))
    with pytest.raises(
        MotifFormatError, match=r"two different motifs are named '1' \(.*r1.*r2.*\); rename one"
    ):
        resolve_motifs([str(tmp_path / "r1" / "meme.txt"), str(tmp_path / "r2" / "meme.txt")])
    again = resolve_motifs([str(tmp_path / "r1" / "meme.txt"), str(tmp_path / "r1" / "meme.txt")])
    assert [m.id for m in again] == ["1"]
