"""``bio train -o DIR -q`` prints nothing: the model folder holds every figure of the summary line
(``bundle.json``'s ``data``: the held-out AUROC/AUPRC, the windows and the negatives' source; ``history.csv``:
the epochs) and ``-q`` is errors only. Before, the line ``trained 1 task(s) on N windows ...`` still printed.
``--json`` is the output asked for and still prints under ``-q``."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from carrousel.bio.cli import app


def test_train_quiet_prints_nothing_the_folder_holds_the_figures(
    tmp_path: Path, planted_windows: Callable[[int], tuple[Path, Path]]
) -> None:
    pfa, nfa = planted_windows(40)
    base = ["train", "--positives", str(pfa), "--negatives", str(nfa), "--window", "100", "--epochs", "1"]
    base += ["--filters", "8", "--kernel", "13", "--hidden", "4"]
    quiet = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "m"), "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == ""  # before: "trained 1 task(s) on 80 windows, ..."
    data = json.loads((tmp_path / "m" / "bundle.json").read_text())["data"]
    assert data["windows"] == 80 and set(data["val"]) >= {"auroc", "auprc"}  # the line's figures, kept
    rows = list(csv.DictReader((tmp_path / "m" / "history.csv").read_text().splitlines()))
    assert [r["epoch"] for r in rows] == ["1"]
    doc = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "j"), "-q", "--json"])
    assert doc.exit_code == 0 and json.loads(doc.stdout)["windows"] == 80  # --json: the output, printed
