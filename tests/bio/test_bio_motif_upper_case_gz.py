"""A gzip-compressed motif file named in upper case (``CTCF.PFM.GZ``) reads as its lower-case twin
(``ctcf.pfm.gz``): its format comes from ``.pfm`` and its motif is named by the stem ``CTCF``. Before, bio's
motif reader dropped ``.gz`` case-sensitively (its own copy of the suffix rule, now core's
``format_suffix`` / ``uncompressed_name``): the extension read as ``.gz``, so the format was guessed, and the
motif was named ``CTCF.PFM``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import carrousel.bio.motifs as motifs
from carrousel.bio.motifs import load_motif_file

PFM = "10 0 0 0 5\n0 10 0 0 5\n0 0 10 0 0\n0 0 0 10 0\n"  # four rows (A, C, G, T), five positions


def test_upper_case_gz_motif_file_reads_as_its_lower_case_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lower, upper = tmp_path / "ctcf.pfm.gz", tmp_path / "CTCF.PFM.GZ"
    for p in (lower, upper):
        p.write_bytes(gzip.compress(PFM.encode()))
    read = [load_motif_file(p) for p in (lower, upper)]
    assert [m.id for m in read[0]] == ["ctcf"] and [m.id for m in read[1]] == ["CTCF"]  # before: "CTCF.PFM"
    assert read[0][0].counts.tolist() == read[1][0].counts.tolist()
    seen: list[str] = []
    parse = motifs.parse_motifs

    def spy(text: str, ext: str = "", source: str = "<text>") -> list[motifs.Motif]:
        seen.append(ext)
        return parse(text, ext, source)

    monkeypatch.setattr(motifs, "parse_motifs", spy)
    load_motif_file(upper)
    assert seen == [".pfm"]  # before: ".gz", an unknown extension: the format guessed from the text


@pytest.mark.parametrize(
    ("name", "inner"),
    [("CTCF.PFM.GZ", "CTCF.PFM"), ("a/r.csv.gz", "r.csv"), ("r.Gz", "r"), ("x.tsv", "x.tsv"), ("x", "x")],
)
def test_uncompressed_name_drops_gz_in_any_case(name: str, inner: str) -> None:
    from carrousel.core.paths import uncompressed_name

    assert uncompressed_name(name) == inner and uncompressed_name(Path(name)) == inner
