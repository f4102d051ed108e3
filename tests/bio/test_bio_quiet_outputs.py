"""``bio enrich -o FILE -q`` and ``bio discover -o DIR -q`` print nothing: the TSV holds every motif's line
and the folder the report, motifs and logos, and ``-q`` is errors only (as ``bio scan`` and ``bio train``).
Before, enrich printed its table and ``N motifs -> FILE``, discover its table and ``N motifs -> report.md``.
Without a file (enrich) or with ``--json`` they are the output and still print under ``-q``. Both now name
their results option (``quiet_with="out"``), so ``-q -o FILE`` with a closed stdout runs (before: refused)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.cli_harness import Outcome, assert_stdout_closed_refused, run_stdout_closed


def test_enrich_quiet_with_an_out_file_prints_nothing(
    tmp_path: Path, invoke: Callable[..., Outcome], lcg_dna: Any, write_fasta: Any
) -> None:
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": lcg_dna(200, i) for i in range(12)})
    args = ["bio", "enrich", fa, "-m", "CTCF,REST", "--no-progress", "--shuffles", "1"]
    quiet = invoke(*args, "-o", tmp_path / "m.tsv", "-q")
    assert quiet.code == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the table and "2 motifs -> m.tsv"
    assert len((tmp_path / "m.tsv").read_text().splitlines()) == 3  # header, CTCF, REST
    shown = invoke(*args, "-q")  # no file: the table is the output
    assert shown.code == 0 and "Known motifs" in shown.stdout
    doc = invoke(*args, "-o", tmp_path / "j.tsv", "-q", "--json")  # --json: the output asked for
    assert doc.code == 0 and json.loads(doc.stdout)["motifs"] == 2


def test_enrich_quiet_with_an_out_file_runs_with_stdout_closed(
    tmp_path: Path, lcg_dna: Any, write_fasta: Any
) -> None:
    fa = write_fasta(tmp_path / "t.fa", {f"s{i}": lcg_dna(200, i) for i in range(12)})
    args = ["-m", "carrousel.bio", "enrich", str(fa), "-m", "CTCF", "--no-progress", "--shuffles", "1"]
    r: subprocess.CompletedProcess[str] = run_stdout_closed([*args, "-q", "-o", "m.tsv"], tmp_path)[0]
    assert r.returncode == 0 and r.stderr == "", r.stderr  # before: "error: standard output is closed"
    assert (tmp_path / "m.tsv").is_file()
    refused = run_stdout_closed([*args, "-q", "-o", "-"], tmp_path)[0]  # the TSV itself goes to stdout
    assert_stdout_closed_refused(refused)


def test_discover_quiet_prints_nothing_the_folder_holds_the_table(
    tmp_path: Path, toy: dict[str, Path], invoke: Callable[..., Outcome]
) -> None:
    args = ["bio", "discover", toy["pos"], "--model", toy["model"], "--jaspar", "CTCF"]
    quiet = invoke(*args, "-o", tmp_path / "d", "-q")
    assert quiet.code == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""  # before: the motifs' table and "N motifs -> report.md"
    assert (tmp_path / "d" / "report.md").is_file() and (tmp_path / "d" / "motifs.meme").is_file()
    doc = invoke(*args, "-o", tmp_path / "j", "-q", "--json")
    assert doc.code == 0 and "motifs" in json.loads(doc.stdout)
