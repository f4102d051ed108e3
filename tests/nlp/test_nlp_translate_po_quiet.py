"""``nlp translate --po P -o FILE -q`` prints nothing: the filled catalogue is the result and ``-q`` is errors
only. Before, the counts line (``filled 4 (fuzzy), ...; written to FILE``) still printed on stdout, and with
the catalogue on stdout the counts on stderr. ``--json`` is the output asked for and still prints. ``run``
now names its results option (``quiet_with="out"``): ``-q -o FILE`` runs with stdout closed (before:
refused), the catalogue on stdout is still refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.cli_harness import assert_stdout_closed_refused, run_stdout_closed
from tests.nlp.conftest import Run
from tests.nlp.test_nlp_translate_fill_po import HAND


def test_po_quiet_prints_nothing(tmp_path: Path, undertrained: Path, nlp: Callable[..., Run]) -> None:
    po, out = tmp_path / "de.po", tmp_path / "filled.po"
    po.write_text(HAND, encoding="utf-8")
    base = ["translate", "--model", str(undertrained), "--po", str(po), "--beam", "2"]
    done = nlp(*base, "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # before: "filled 4 (fuzzy), ...; written to filled.po"
    assert out.read_text(encoding="utf-8").count("#, fuzzy") == 5
    done = nlp(*base, "-q")  # the catalogue on stdout is the output; the counts (stderr) are chatter
    assert done.stdout.count("#, fuzzy") == 5 and done.stderr == ""  # before: "filled 4 ..." on stderr
    done = nlp(*base, "-o", str(tmp_path / "j.po"), "-q", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["filled"] == 4


def test_po_quiet_with_an_out_file_runs_with_stdout_closed(tmp_path: Path, undertrained: Path) -> None:
    (tmp_path / "de.po").write_text(HAND, encoding="utf-8")
    args = ["-m", "carrousel.nlp", "translate", "--model", str(undertrained), "--po", "de.po", "-q"]
    r = run_stdout_closed([*args, "-o", "filled.po"], tmp_path)[0]
    assert r.returncode == 0 and r.stderr == "", r.stderr  # before: "error: standard output is closed"
    assert (tmp_path / "filled.po").is_file()
    assert_stdout_closed_refused(run_stdout_closed(args, tmp_path)[0])  # the catalogue itself goes to stdout
