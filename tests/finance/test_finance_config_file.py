"""``finance ... --config FILE``: the file is read once (a FIFO is refused, never read twice and hung on),
every option it sets reaches the run (also those a flag with a default covers), and flags given win."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from carrousel.finance.cli import app
from carrousel.finance.config import FinanceConfig
from tests.cli_harness import Outcome, assert_clean_failure, config_of


def finance_config_of(monkeypatch: pytest.MonkeyPatch, module: str, name: str, *argv: str) -> Any:
    """The config ``finance *argv`` hands to ``module.name`` (replaced, so nothing runs)."""
    return config_of(
        monkeypatch,
        app,
        module,
        name,
        *argv,
        pick=lambda args: next(a for a in args if isinstance(a, FinanceConfig)),
    )


def _train_global_args(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> list[str]:
    """``finance train-global`` arguments with ``text`` as the --config file (last two); --data is not read."""
    conf = tmp_path / "run.toml"
    conf.write_text(text)
    monkeypatch.setattr("carrousel.finance.frames.read_frame", lambda path: None)
    return ["train-global", "--data", "p.csv", "--model-dir", str(tmp_path / "m"), "--config", str(conf)]


def test_train_global_keeps_the_files_auto_baselines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    args = _train_global_args(
        monkeypatch, tmp_path, "[backtest]\nauto_baselines = true\n[train]\nepochs = 3\n"
    )
    cfg = finance_config_of(monkeypatch, "carrousel.finance.multiseries", "train_global", *args)
    assert (cfg.backtest.auto_baselines, cfg.train.epochs) == (True, 3)  # the flag's False won before
    cfg = finance_config_of(
        monkeypatch, "carrousel.finance.multiseries", "train_global", *args, "--no-auto-baselines"
    )
    assert cfg.backtest.auto_baselines is False
    plain = finance_config_of(monkeypatch, "carrousel.finance.multiseries", "train_global", *args[:-2])
    assert plain.backtest.auto_baselines is False  # the command's default without a file


def test_forecast_table_keeps_the_other_defaults_and_flags_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conf = tmp_path / "run.toml"
    conf.write_text("[train]\nepochs = 3\nlr = 0.01\n[window]\nhorizon = 4\n")
    args = ["forecast", "AAPL", "--source", "sample", "--config", str(conf), "--epochs", "2"]
    cfg = finance_config_of(monkeypatch, "carrousel.finance.pipeline", "forecast", *args)
    assert (cfg.train.epochs, cfg.train.lr, cfg.window.horizon) == (2, 0.01, 4)
    assert cfg.window.lookback == type(cfg.window)().lookback


@pytest.mark.parametrize("command", ["forecast", "train-global"])
def test_a_fifo_is_refused_not_read_twice(invoke: Any, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "run.toml"
    os.mkfifo(fifo)  # before: read once to check it and again to merge it, so the second read hung
    argv = ["forecast", "AAPL", "--source", "sample"] if command == "forecast" else [
        "train-global", "--data", str(tmp_path / "p.csv"), "--model-dir", str(tmp_path / "m")
    ]  # fmt: skip
    outcome: Outcome = invoke("finance", *argv, "--config", fifo)
    assert_clean_failure(outcome, 1, "is a FIFO")


def test_a_wrong_value_names_the_file_the_table_and_the_key(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cfg.toml").write_text('[train]\nepochs = "ten"\n')
    outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", "--config", "cfg.toml")
    assert_clean_failure(outcome, 1)  # before: "TrainSettings.epochs: expected int, got 'ten'"
    assert outcome.error_lines() == ["error: [train] epochs in cfg.toml: expected an integer, got 'ten'"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[data]\nstart = "2015-01-01"\n', '[data] start = "2015-01-01"'),
        ('[data]\ntickers = ["AAPL", "MSFT"]\n', '[data] tickers = ["AAPL", "MSFT"]'),
        ("[data]\nmin_history = 500\n", "[data] min_history = 500"),
        ("[backtest]\nenabled = false\n", "[backtest] enabled = false"),
        ("[backtest]\ntest_days = 100\n", "[backtest] test_days = 100"),
    ],
    ids=["start", "tickers", "min_history", "enabled", "test_days"],
)
def test_train_global_refuses_a_file_setting_it_does_not_use(
    invoke: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, line: str
) -> None:
    """Before: train-global read the file's [data] (but calendar) and [backtest] enabled / walk-forward
    settings and ignored them without a word; a user who wrote [data] start believed it was used."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("carrousel.finance.frames.read_frame", lambda path: pytest.fail("table read"))
    Path("run.toml").write_text("[window]\nhorizon = 3\n" + text)
    outcome = invoke("finance", "train-global", "--data", "p.csv", "--model-dir", "m", "--config", "run.toml")
    assert_clean_failure(outcome, 1)
    why = (
        "it reads its series from --data; of [data] only calendar applies"
        if line.startswith("[data]")
        else "it runs no walk-forward backtest; --holdout-days scores the last days instead"
    )
    assert outcome.error_lines() == [
        f"error: --config run.toml: {line}: not used by finance train-global ({why}); drop it from the file"
    ]
    assert not Path("m").exists()


def test_train_global_keeps_the_files_calendar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = '[data]\ncalendar = "XLON"\n[backtest]\naci_gamma = 0.01\nwindow = "rolling"\n'
    args = _train_global_args(monkeypatch, tmp_path, text)
    cfg = finance_config_of(monkeypatch, "carrousel.finance.multiseries", "train_global", *args)
    assert (cfg.data.calendar, cfg.backtest.aci_gamma, cfg.backtest.window) == ("XLON", 0.01, "rolling")
