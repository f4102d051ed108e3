"""A ``--config`` file's unusable ``[data] csv_path`` (empty, blank, a NUL character) or ``source = "csv"``
without one is one line naming the file and the setting, exit 1, before any prices are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('csv_path = ""', 'is empty (""); give the price CSV\'s path'),  # main: dropped, Yahoo asked
        ('csv_path = "   "', "is empty ("),  # main: "[data] csv_path in FILE:  not found"
        ('csv_path = "a\\u0000b"', 'holds a NUL character ("a\\u0000b")'),  # main: internal error
        ('source = "csv"', '[data] source = "csv" in '),  # main: "... pass --csv PATH" alone
    ],
)
def test_an_unusable_csv_setting_is_one_line_naming_it(
    tmp_path: Path, yahoo_refused: None, line: str, said: str
) -> None:
    """Fails on main: each case as its comment says."""
    toml = tmp_path / "run.toml"
    toml.write_text(f"[data]\n{line}\n")
    res = runner.invoke(app, ["forecast", "AAPL", "--config", str(toml)])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and len(lines) == 1, res.output
    assert "[data] csv_path" in lines[0] and said in lines[0] and str(toml) in lines[0], lines[0]
    assert "internal error" not in lines[0] and "Yahoo" not in lines[0], lines[0]


def test_a_document_of_no_file_is_named_as_a_document_not_printed() -> None:
    """A Python caller's document read by no file (``TomlDocument`` without a source): the message named it
    by its whole content on main (``[data] csv_path in {'data': {'csv_path': ''}} is empty``)."""
    from carrousel.core.config import TomlDocument
    from carrousel.finance.config import load_config
    from carrousel.finance.errors import FinanceConfigError

    with pytest.raises(FinanceConfigError) as err:
        load_config(TomlDocument({"data": {"csv_path": ""}}))
    assert str(err.value).startswith("[data] csv_path in the config document given is empty"), err.value
    assert "{" not in str(err.value), err.value


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_csv_on_the_command_line_completes_a_files_source_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yahoo_refused: None, stocks_csv: Path, command: str
) -> None:
    """Fails on main: ``[data] source = "csv"`` without ``csv_path`` beside ``--csv FILE`` was refused
    ('[data] source = "csv" in FILE needs a file'), though the flag gives it; flag and file now combine, as
    the other settings do, and the run reads that CSV."""
    from carrousel.finance.config import FinanceConfig
    from carrousel.finance.errors import FinanceConfigError

    seen: list[FinanceConfig] = []

    def stop(cfg: FinanceConfig, *_: object, **__: object) -> None:
        seen.append(cfg)
        raise FinanceConfigError("stopped before any work")

    monkeypatch.setattr(f"carrousel.finance.pipeline.{command}", stop)
    toml = tmp_path / "run.toml"
    toml.write_text('[data]\nsource = "csv"\n')
    res = runner.invoke(app, [command, "AAPL", "--config", str(toml), "--csv", str(stocks_csv)])
    assert res.exit_code == 1 and "stopped before any work" in res.output, res.output
    assert (seen[0].data.source, seen[0].data.csv_path) == ("csv", str(stocks_csv))
