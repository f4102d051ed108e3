"""``finance forecast|backtest``: the ``--config`` file's ``[data] tickers`` reaches the run. The TICKERS
argument was required and always won, so the file's value was accepted and never used (README: "every
field the file sets reaches the run"); now the argument may be left out when the file gives the tickers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from carrousel.finance.cli._settings import build_config
from carrousel.finance.config import FinanceConfig
from tests.cli_harness import Outcome, assert_clean_failure
from tests.finance.test_finance_config_file import finance_config_of


def _cfg(monkeypatch: pytest.MonkeyPatch, command: str, *argv: str) -> FinanceConfig:
    """The config ``finance command *argv`` hands to the pipeline's function of that name."""
    return finance_config_of(monkeypatch, "carrousel.finance.pipeline", command, command, *argv)  # type: ignore[no-any-return]


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_the_files_tickers_reach_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    conf = tmp_path / "run.toml"
    conf.write_text('[data]\ntickers = ["MSFT", "GOOG"]\nsource = "sample"\n')
    cfg = _cfg(monkeypatch, command, "--config", str(conf))
    assert cfg.data.tickers == ("MSFT", "GOOG")
    typed = _cfg(monkeypatch, command, "aapl", "--config", str(conf))  # typed tickers win, as every flag
    assert typed.data.tickers == ("AAPL",)


@pytest.mark.parametrize("text", [None, "[train]\nepochs = 2\n"])
def test_no_tickers_anywhere_is_a_usage_error(invoke: Any, tmp_path: Path, text: str | None) -> None:
    argv = ["backtest", "--source", "sample"]
    if text is not None:
        (conf := tmp_path / "run.toml").write_text(text)
        argv += ["--config", str(conf)]
    outcome: Outcome = invoke("finance", *argv)
    assert_clean_failure(outcome, 2, "[data] tickers")  # not the default AAPL


def test_a_python_caller_passing_the_file_gets_its_tickers(tmp_path: Path) -> None:
    """``build_config`` takes the ``--config`` file as a Path from Python (tests/finance/test_config.py does):
    its ``[data] tickers`` were looked up only in a document already read, so a Path was a usage error."""
    conf = tmp_path / "run.toml"
    conf.write_text('[data]\ntickers = ["MSFT", "GOOG"]\n')
    assert build_config(None, config=conf).data.tickers == ("MSFT", "GOOG")
    assert build_config(["aapl"], config=conf).data.tickers == ("AAPL",)  # typed tickers win
    (bare := tmp_path / "bare.toml").write_text("[train]\nepochs = 2\n")
    with pytest.raises(typer.BadParameter, match=r"\[data\] tickers in the --config file"):
        build_config(None, config=bare)


def test_no_tickers_with_a_csv_names_the_tickers_it_holds(invoke: Any, tmp_path: Path) -> None:
    """``forecast --csv long.csv`` with no TICKERS refused with the generic line: the file's own tickers
    (first few and their count) are the fix, or the word that a file of one series takes any name."""
    long = tmp_path / "long.csv"
    rows = [
        f"{t},2020-01-{d:02d},{100 + d}" for t in ("ZZZ", "AAA", "MMM", "BBB", "CCC", "DDD") for d in (2, 3)
    ]
    long.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    outcome: Outcome = invoke("finance", "forecast", "--csv", str(long))
    assert_clean_failure(outcome, 2, "holds 6 tickers: AAA, BBB, CCC, DDD, MMM and 1 more")
    one = tmp_path / "one.csv"
    one.write_text("Date,Close\n2020-01-02,100\n2020-01-03,101\n")
    outcome = invoke("finance", "backtest", "--csv", str(one))
    assert_clean_failure(outcome, 2, "holds one series (no ticker column): name it with any symbol")
