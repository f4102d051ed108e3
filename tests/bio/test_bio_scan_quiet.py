"""``bio scan -o FILE -q`` prints nothing: the file holds the hits and ``-q`` is errors only (README). Before,
the summary line ``N hits in B bases -> FILE (...)`` still printed. Without ``-o`` the hits are the output
and still print under ``-q``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.cli_harness import Outcome


def test_scan_quiet_with_an_out_file_prints_nothing(
    tmp_path: Path, invoke: Callable[..., Outcome], lcg_dna: Any, write_fasta: Any
) -> None:
    fa = write_fasta(tmp_path / "genome.fa", {"chr1": lcg_dna(3000, 3)})
    quiet = invoke("bio", "scan", fa, "-m", "CTCF", "-o", tmp_path / "hits.bed", "-q")
    assert quiet.code == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""  # before: "N hits in 3,000 bases -> hits.bed (...)"
    assert (tmp_path / "hits.bed").exists()
    shown = invoke("bio", "scan", fa, "-m", "CTCF", "-q")  # no file: the hits are the output
    assert shown.code == 0 and shown.stdout == (tmp_path / "hits.bed").read_text()
