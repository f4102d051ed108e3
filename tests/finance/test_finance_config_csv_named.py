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


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_a_csv_of_a_dash_says_standard_input_is_not_read(invoke: Any, tmp_path: Path, command: str) -> None:
    """``--csv -`` (a dash for standard input, as many tools take it) said "--csv - not found; check the
    path". Now one line says that standard input is not read and to save the prices to a file."""
    typed = invoke("finance", command, "AAPL", "--csv", "-")
    assert typed.code == 1 and not typed.stdout and "Traceback" not in typed.stderr
    assert typed.stderr.strip() == (
        "error: --csv -: standard input is not read for prices; save them to a file first and pass --csv FILE"
    )
    conf = tmp_path / "run.toml"
    conf.write_text('[data]\ntickers = ["AAPL"]\ncsv_path = "-"\n')
    held = invoke("finance", command, "--config", str(conf))
    assert held.code == 1 and not held.stdout and "Traceback" not in held.stderr
    # before: "error: [data] in run.toml: --csv -: standard input is not read ... pass --csv FILE", naming a
    # flag never typed; now the file's setting, as a missing csv_path of the file is named
    assert held.stderr.strip() == (
        f"error: [data] csv_path in {conf}: '-' (standard input) is not read for prices; save them to a file "
        "first and give that file"
    )


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_a_config_without_a_csv_leaves_the_csv_flag_to_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A --config file that names no CSV: Yahoo unreachable said "use ... --source csv [data] csv_path in
    run.toml: PATH for your own file", naming a setting the file does not hold as if it were a flag."""
    import yfinance
    from typer.testing import CliRunner

    from carrousel.finance import data as data_mod
    from carrousel.finance.cli import app

    monkeypatch.setattr(yfinance, "download", lambda *a, **k: None)
    monkeypatch.setattr(data_mod, "yahoo_reachable", lambda timeout=3.0: False)
    monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path))
    conf = tmp_path / "run.toml"
    conf.write_text('[data]\ntickers = ["MSFT"]\n[train]\nepochs = 1\n')
    result = CliRunner().invoke(app, [command, "--config", str(conf)])
    assert result.exit_code == 1 and "unreachable" in result.output, result.output
    assert "or --source csv --csv PATH for your own file" in result.output
    assert "csv_path in" not in result.output
