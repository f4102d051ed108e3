"""The `--json` keys the bio README's Commands section lists are the keys each command prints.

Each command runs on the toy model the export tests build (``toy``: a planted site, 8 filters, 8 units) and
its held-out FASTA: scan (PWM, to a hit file), evaluate, export; train (one epoch of the toy's sizes on its
training FASTA), enrich (one motif, CTCF, not all of JASPAR) and discover (the toy's filters matched against
CTCF alone); the samples commands are tests/test_readme_json_samples.py's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from tests.readme_json import differences

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "args"),
    [
        (
            "bio scan",
            lambda t, tmp: [str(t["test_pos"]), "-m", "CTCF", "-o", str(tmp / "hits.bed"), "--no-progress"],
        ),
        (
            "bio evaluate",
            lambda t, tmp: [
                "--model",
                str(t["model"]),
                "--positives",
                str(t["test_pos"]),
                "--negatives",
                str(t["test_neg"]),
            ],
        ),
        (
            "bio export",
            lambda t, tmp: [
                "--model",
                str(t["model"]),
                "-o",
                str(tmp / "x"),
                "--positives",
                str(t["test_pos"]),
                "--negatives",
                str(t["test_neg"]),
            ],
        ),
        (
            "bio train",
            lambda t, tmp: [
                "--positives",
                str(t["pos"]),
                "--negatives",
                str(t["neg"]),
                "-o",
                str(tmp / "m"),
                *["--window", "60", "--epochs", "1", "--filters", "8", "--kernel", "9", "--hidden", "8"],
            ],
        ),
        (
            "bio enrich",
            lambda t, tmp: [
                str(t["test_pos"]),
                "--background",
                str(t["test_neg"]),
                "-m",
                "CTCF",
                "--no-progress",
            ],
        ),
        (
            "bio discover",
            lambda t, tmp: [
                str(t["test_pos"]),
                "--model",
                str(t["model"]),
                "--jaspar",
                "CTCF",
                "-o",
                str(tmp / "d"),
            ],
        ),
    ],
    ids=["scan", "evaluate", "export", "train", "enrich", "discover"],
)
def test_readme_lists_the_json_keys_the_command_prints(
    command: str, args, toy: dict[str, Path], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    done = runner.invoke(app, [*command.split()[1:], *args(toy, tmp_path), "--json"])
    assert done.exit_code == 0, done.output
    assert differences("bio", command, json.loads(done.stdout)) == []
