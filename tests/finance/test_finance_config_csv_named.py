"""``finance forecast|backtest --config FILE``: a ``[data] csv_path`` that is missing is named as the file
holds it, not by a ``--csv`` flag never typed; typed, the flag is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_a_missing_csv_of_the_config_is_named_by_its_setting_and_the_file(
    invoke: Any, tmp_path: Path, command: str
) -> None:
    """Before: 'error: --csv /x/gone.csv not found; check the path'."""
    gone = tmp_path / "gone.csv"
    conf = tmp_path / "run.toml"
    conf.write_text(f'[data]\ntickers = ["AAPL"]\ncsv_path = "{gone.as_posix()}"\n')
    outcome = invoke("finance", command, "--config", str(conf))
    assert outcome.code == 1 and not outcome.stdout and "Traceback" not in outcome.stderr
    assert outcome.stderr.strip() == f"error: [data] csv_path in {conf}: {gone} not found; check the path"
    typed = invoke("finance", command, "AAPL", "--csv", str(gone))
    assert typed.code == 1 and typed.stderr.strip() == f"error: --csv {gone} not found; check the path"
