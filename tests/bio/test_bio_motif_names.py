"""Motif files whose motifs carry no JASPAR-style ID: before, every such motif was called ``motif``, so
``bio scan -m ctcf.pfm,sox2.pfm`` scanned CTCF alone (the second ``motif`` dropped as a duplicate, without
a word), every motif of a multi-record TRANSFAC file but the first was lost the same way, and a TRANSFAC
record's own ``ID`` / ``NA`` lines were ignored. A TF name that several JASPAR profiles share took one
of them without saying so, then took the fly one for ``VSX2`` and warned on every ``-m CTCF``."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
from carrousel.bio.motif_names import pick_by_name
from carrousel.bio.motifs import resolve_motifs

ROWS_1 = [[8, 1, 1, 0], [0, 9, 1, 0], [1, 0, 9, 0], [0, 0, 1, 9], [9, 0, 1, 0]]
ROWS_2 = [[0, 0, 1, 9], [9, 0, 1, 0], [1, 8, 1, 0], [0, 9, 1, 0], [0, 1, 0, 9], [1, 1, 8, 0]]


def _pfm(rows: list[list[int]]) -> str:
    return "".join(" ".join(str(r[b]) for r in rows) + "\n" for b in range(4))


def _transfac(rows: list[list[int]], head: str = "") -> str:
    body = "".join(f"{i:02d}  " + "  ".join(map(str, r)) + "\n" for i, r in enumerate(rows, 1))
    return f"{head}P0  A  C  G  T\n{body}XX\n//\n"


def _shared_name_lines(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    """The records of the line a shared motif ``name`` gives (``motif name 'vsx2' matches 2 ... profiles``),
    whatever else was logged."""
    return [r for r in caplog.records if r.getMessage().startswith(f"motif name {name!r} matches ")]


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


def test_a_name_of_several_jaspar_profiles_takes_the_vertebrate_one(caplog: pytest.LogCaptureFixture) -> None:
    """``-m VSX2`` took the fly matrix MA0180.1 (CORE, lowest ID), with a warning, though a user scanning a
    human or mouse genome means the vertebrate MA0726.2, which the same collection ships."""
    pytest.importorskip("pyjaspar")
    with caplog.at_level(logging.INFO, logger="carrousel"):
        motifs = resolve_motifs(["vsx2"])
    assert [m.id for m in motifs] == ["MA0726.2"]
    (record,) = _shared_name_lines(caplog, "vsx2")  # other INFO lines (opening a database...) may come too
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "motif name 'vsx2' matches 2 JASPAR2026 profiles; using MA0726.2 (vertebrates), not MA0180.1 "
        "(insects): give a matrix ID (-m MA0180.1) to scan another"
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="carrousel"):
        assert [m.id for m in resolve_motifs(["REST"])] == ["MA0138.3"]
    assert not _shared_name_lines(caplog, "REST")  # one profile: nothing to say


def test_ctcf_takes_its_canonical_profile_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """``-m CTCF`` warned on every run, as MA1929.2 and MA1930.2 (CTCF's extended motifs, ``(var.N)``-style
    variants) are CORE vertebrate profiles too; MA0139 is the one users mean."""
    pytest.importorskip("pyjaspar")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        assert [m.id for m in resolve_motifs(["CTCF"])] == ["MA0139.2"]
    assert not caplog.records


@pytest.mark.parametrize(
    ("name", "picked", "level", "others"),
    [
        ("SP1", "MA0079.5", logging.INFO, "not MA2279.1 (insects)"),  # another taxon
        ("NANOG", "MA2339.1", logging.INFO, "not UN0805.1 (vertebrates)"),  # UNVALIDATED
        ("CTCF", "MA0139.2", logging.INFO, "not MA1929.2 (vertebrates), MA1930.2 (vertebrates), MA0531.2"),
        ("JUN", "MA0488.2", logging.INFO, "not MA0489.3 (vertebrates)"),  # human JUN over mouse Jun
        ("HSF1", "MA0486.2", logging.INFO, "not MA0319.2 (fungi)"),  # before: the yeast one
        ("BR", "MA0010.2", logging.INFO, "MA0011.2 (insects)"),  # one taxon (flies): lowest ID
        ("ABF1", "MA0265.3", logging.WARNING, "of 2 taxa, none of vertebrates; using MA0265.3 (fungi)"),
    ],
)
def test_a_shared_name_follows_one_rule_and_warns_only_when_it_cannot_decide(
    caplog: pytest.LogCaptureFixture, name: str, picked: str, level: int, others: str
) -> None:
    """Vertebrates first, CORE before UNVALIDATED, the lowest base ID: the line is INFO (``-v``) when that
    decides, a warning only when no profile of the name is a vertebrate one and they span several taxa
    (``ABF1``: yeast or plant, only the user knows). Before, 99 of the 135 shared names warned."""
    pytest.importorskip("pyjaspar")
    with caplog.at_level(logging.DEBUG, logger="carrousel"):
        assert [m.id for m in resolve_motifs([name])] == [picked]
    (record,) = _shared_name_lines(caplog, name)
    assert record.levelno == level and f"using {picked} " in record.getMessage()
    assert others in record.getMessage()


def _profile(mid: str, tax: str, collection: str = "CORE") -> SimpleNamespace:
    return SimpleNamespace(matrix_id=mid, tax_group=tax, collection=collection)


@pytest.mark.parametrize(
    ("found", "picked", "level"),
    [
        (
            [_profile("MA0001.1", "insects"), _profile("UN0002.1", "vertebrates", "UNVALIDATED")],
            "UN0002.1",
            logging.INFO,
        ),
        (
            [_profile("MA0009.1", "vertebrates"), _profile("MA0003.2", "vertebrates")],
            "MA0003.2",
            logging.INFO,
        ),
        (
            [_profile("UN0001.1", "plants", "UNVALIDATED"), _profile("MA0005.1", "plants")],
            "MA0005.1",
            logging.INFO,
        ),
        ([_profile("MA0001.1", "plants"), _profile("MA0002.1", "fungi")], "MA0001.1", logging.WARNING),
        (
            [_profile("MA0001.1", "insects"), _profile("UN0002.1", "plants", "UNVALIDATED")],
            "MA0001.1",
            logging.WARNING,
        ),
    ],
)
def test_pick_by_name_rule_without_pyjaspar(
    caplog: pytest.LogCaptureFixture, found: list[SimpleNamespace], picked: str, level: int
) -> None:
    """The rule on made-up profiles: a vertebrate profile wins even from UNVALIDATED; within a taxon CORE,
    then the lowest base ID; no vertebrate profile and several taxa is the one case that warns."""
    with caplog.at_level(logging.DEBUG, logger="carrousel"):
        best = pick_by_name(found, "X", "JASPAR2024")
    assert isinstance(best, SimpleNamespace) and best.matrix_id == picked
    assert [r.levelno for r in _shared_name_lines(caplog, "X")] == [level]


def test_an_unknown_name_is_the_same_one_line_error() -> None:
    pytest.importorskip("pyjaspar")
    with pytest.raises(MotifNotFoundError) as err:
        resolve_motifs(["NOT_A_TF_NAME"])
    assert str(err.value) == (
        "no JASPAR motif named 'NOT_A_TF_NAME' in JASPAR2026; give a matrix ID (MA0139.2), a name such as "
        "CTCF, jaspar:CORE/vertebrates or a motif file"
    )


@pytest.mark.parametrize("name", ["O'X", "X' OR '1'='1"])
def test_a_name_with_a_quote_is_looked_up_as_written(name: str) -> None:
    """pyjaspar writes the name into its SQL text: ``O'X`` was "internal error (OperationalError)" and
    ``X' OR '1'='1`` matched every profile."""
    pytest.importorskip("pyjaspar")
    with pytest.raises(MotifNotFoundError, match=r"^no JASPAR motif named"):
        resolve_motifs([name])


@pytest.mark.parametrize("spec", ["jaspar:CO'RE", "jaspar:CORE/vert'ebrates"])
def test_a_collection_with_a_quote_is_looked_up_as_written(spec: str) -> None:
    """Collection and taxon went into pyjaspar's SQL text unescaped: OperationalError (internal error)."""
    pytest.importorskip("pyjaspar")
    with pytest.raises(MotifNotFoundError, match=r"^JASPAR collection .* is empty"):
        resolve_motifs([spec])


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
