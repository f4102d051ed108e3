"""``bio train --config FILE``: a data file the file names (``[data] positives``, ``negatives``, ``peaks``,
``genome``) that is missing or unreadable is named as the file holds it, not by a flag never typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_a_missing_file_of_the_config_is_named_by_its_setting_and_the_file(
    invoke: Any, tmp_path: Path
) -> None:
    """Before: 'error: --positives /x/gone.fa not found' (the path came from the file). Typed with
    --positives, the message still names the flag."""
    gone = tmp_path / "gone.fa"
    conf = tmp_path / "run.toml"
    conf.write_text(f'[data]\npositives = "{gone.as_posix()}"\n')
    outcome = invoke("bio", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert outcome.code == 1 and not outcome.stdout and "Traceback" not in outcome.stderr
    assert outcome.stderr.strip() == f"error: [data] positives in {conf}: {gone} not found; check the path"
    typed = invoke("bio", "train", "-o", str(tmp_path / "t"), "--positives", str(gone))
    assert typed.code == 1 and typed.stderr.strip() == f"error: --positives {gone} not found; check the path"
    assert not (tmp_path / "m").exists() and not (tmp_path / "t").exists()


def test_an_unreadable_negatives_file_of_the_config_is_named_by_its_setting(
    invoke: Any, tmp_path: Path
) -> None:
    positives, folder = tmp_path / "pos.fa", tmp_path / "neg"
    positives.write_text(">a\nACGTACGTAC\n")
    folder.mkdir()
    conf = tmp_path / "run.toml"
    conf.write_text(f'[data]\npositives = "{positives.as_posix()}"\nnegatives = "{folder.as_posix()}"\n')
    outcome = invoke("bio", "train", "-o", str(tmp_path / "m"), "--config", str(conf))
    assert outcome.code == 1 and "Traceback" not in outcome.stderr
    assert outcome.stderr.startswith(f"error: [data] negatives in {conf}: {folder} is a folder"), (
        outcome.stderr
    )
    assert "--negatives" not in outcome.stderr
