"""An error names a setting as its reader gives it: ``lookback=30`` to a Python caller, ``--lookback 30`` to a
CLI user (:mod:`carrousel.core.option_names`; core's CLI helper runs every command body under
``flags_named``).

Before, the messages spelled CLI flags whoever called: ``Forecaster.fit(df, cfg)`` said "at --lookback 30
and --horizon 5 ... a shorter --lookback", bio's ``evaluate(cfg)`` "give both --positives and --negatives".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.core.errors import ConfigError, DataError
from carrousel.core.option_names import flags_named, naming_flags, option


def test_option_gives_the_python_name_outside_a_command_and_the_flag_inside() -> None:
    assert (option("lookback"), option("lookback", 30), option("source", "csv")) == (
        "lookback",
        "lookback=30",
        "source='csv'",
    )
    assert option("backtest.enabled", False, "--no-backtest") == "backtest.enabled=False"
    with flags_named():
        assert naming_flags()
        assert (option("test_days"), option("test_days", 20), option("hidden_size", 8, "--hidden")) == (
            "--test-days",
            "--test-days 20",
            "--hidden 8",
        )
        assert option("backtest.enabled", False, "--no-backtest") == "--no-backtest"
        assert option("window.lookback") == "--lookback"
    assert not naming_flags() and option("test_days") == "test_days"


def test_a_command_of_the_cli_helper_names_flags_in_its_errors() -> None:
    from carrousel.core.cli import command, create_app

    app = create_app("demo", "A demo.", "demo 0")

    @command(app, "go")
    def go(lookback: int = 30) -> None:
        raise ConfigError(f"{option('lookback', lookback)} is too long; give a shorter {option('lookback')}")

    result = CliRunner().invoke(app, ["go", "--lookback", "400"])
    assert result.exit_code == 1
    assert "--lookback 400 is too long; give a shorter --lookback" in result.output
    assert not naming_flags()  # set for the command's body only


def _frame(rows: int) -> pd.DataFrame:
    days = pd.bdate_range("2020-01-01", periods=rows)
    y = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, rows)))
    return pd.DataFrame({"unique_id": "A", "ds": days.strftime("%Y-%m-%d"), "y": y})


def test_finance_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    from carrousel.finance.cli import app
    from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig
    from carrousel.finance.errors import FinanceConfigError, PriceDataError
    from carrousel.finance.multiseries import train_global

    with pytest.raises(PriceDataError) as err:
        train_global(_frame(150), FinanceConfig(model=ModelConfig(members=1)), holdout_days=30)
    message = str(err.value)
    assert "at lookback=30 and horizon=5" in message and message.endswith("fewer holdout_days")
    assert "--" not in message
    with pytest.raises(FinanceConfigError, match=r"^test_days=5 is too few to score"):
        BacktestConfig(test_days=5)

    _frame(150).to_csv(tmp_path / "a.csv", index=False)
    args = ["train-global", "--data", str(tmp_path / "a.csv"), "--model-dir", str(tmp_path / "m")]
    result = CliRunner().invoke(app, [*args, "--holdout-days", "30", "--members", "1"])
    assert result.exit_code == 1
    assert "at --lookback 30 and --horizon 5" in result.output and "fewer --holdout-days" in result.output


def test_bio_names_python_settings_to_python_and_flags_to_the_cli(tmp_path: Path) -> None:
    from carrousel.bio import pipeline
    from carrousel.bio.cli import app
    from carrousel.bio.config import EvaluateConfig, ExportConfig, TrainConfig, TrainDataConfig
    from carrousel.bio.errors import EvaluateConfigError, ExportConfigError, TrainConfigError

    with pytest.raises(EvaluateConfigError, match=r"^give both positives and negatives FASTA files$"):
        pipeline.evaluate(EvaluateConfig(positives="p.fa"))
    with pytest.raises(ExportConfigError, match=r"^give both positives and negatives for the AUROC"):
        ExportConfig(positives="p.fa")
    with pytest.raises(TrainConfigError, match=r"^positives and peaks both give .* give one: positives \("):
        TrainDataConfig(positives="p.fa", peaks="p.bed")
    with pytest.raises(DataError, match=r"^positives .*p\.fa not found"):
        pipeline.train(TrainConfig(data=TrainDataConfig(positives=str(tmp_path / "p.fa"))), tmp_path / "m")

    result = CliRunner().invoke(
        app, ["train", "--positives", str(tmp_path / "p.fa"), "-o", str(tmp_path / "m")]
    )
    assert result.exit_code == 1 and f"--positives {tmp_path / 'p.fa'} not found" in result.output


def test_another_thread_keeps_the_python_names_while_a_command_names_flags() -> None:
    """A context variable, not a module flag: a thread started inside a command's body (a notebook's call beside
    a running command) still reads the Python name."""
    import threading

    from carrousel.core.option_names import flags_named, option

    seen: list[str] = []
    with flags_named():
        worker = threading.Thread(target=lambda: seen.append(option("lookback", 30)))
        worker.start()
        worker.join()
        assert option("lookback", 30) == "--lookback 30"
    assert seen == ["lookback=30"]
    assert option("lookback", 30) == "lookback=30"
