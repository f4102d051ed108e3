"""A series too short to fit a network on: the error says how many rows one series needs at this window
spec and how many the longest has, and sends a fit without a backtest to no backtest setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import FinanceConfig, ModelConfig, WindowConfig
from carrousel.finance.errors import FrameError, PriceDataError
from carrousel.finance.frames import Forecaster
from tests.cli_harness import Outcome, assert_clean_failure


def _series(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ds = pd.bdate_range("2010-01-04", periods=rows)
    return pd.DataFrame({"unique_id": "A", "ds": ds, "y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))})


@pytest.mark.parametrize(("lookback", "horizon", "need"), [(30, 5, 157), (10, 1, 128)])
def test_too_short_a_series_names_the_rows_a_fit_needs(lookback: int, horizon: int, need: int) -> None:
    cfg = FinanceConfig(window=WindowConfig(lookback=lookback, horizon=horizon), model=ModelConfig(members=1))
    with pytest.raises(PriceDataError) as err:
        Forecaster.fit(_series(need - 1), cfg)
    message = str(err.value)
    # before: "only 99 training windows before the cut-off, at least 100 are needed; use a longer history, a
    # shorter --lookback or fewer --test-days": no number of rows, and --test-days where there is no backtest
    # (a Python caller reads the names it passes, lookback=30; the CLI's flags: test_cli_error_flags)
    assert "\n" not in message and "test_days" not in message and "cut-off" not in message
    assert f"one series needs {need} rows at lookback={lookback} and horizon={horizon}" in message
    assert f"the longest series, A, has {need - 1}" in message
    assert Forecaster.fit(_series(need), cfg) is not None  # the figure is exact: one row more fits


def test_a_short_series_held_out_names_holdout_days_not_test_days() -> None:
    # before: train-global's error ended "... or fewer --test-days", a flag train-global does not have
    from carrousel.finance.multiseries import train_global

    cfg = FinanceConfig(window=WindowConfig(lookback=10, horizon=3), model=ModelConfig(members=1))
    with pytest.raises(PriceDataError) as err:
        train_global(_series(60), cfg, holdout_days=5)
    message = str(err.value)
    assert "one series needs 132 rows before it at lookback=10 and horizon=3" in message
    assert message.endswith("or fewer holdout_days") and "test_days" not in message


@pytest.mark.parametrize(("rows", "ending"), [(30, "use a longer history or a shorter lookback"),
                                              (150, "use holdout_days=18 or fewer")])  # fmt: skip
def test_holding_out_every_series_names_the_rows_a_series_needs(rows: int, ending: str) -> None:
    # before: "holding out 40 days leaves no series long enough to train on; use a smaller --holdout-days"
    # (how many rows a series needs was not said, nor that no smaller --holdout-days helps 30 rows)
    from carrousel.finance.multiseries import train_global

    cfg = FinanceConfig(window=WindowConfig(lookback=10, horizon=3), model=ModelConfig(members=1))
    days = rows - 13
    with pytest.raises(PriceDataError) as err:
        train_global(_series(rows), cfg, holdout_days=days)
    assert str(err.value) == (
        f"holding out {days} days leaves no series long enough to train on: one series needs {132 + days} rows "
        f"(132 before the held-out days at lookback=10 and horizon=3); the longest series, A, has {rows}; "
        + ending
    )
    if rows >= 132:  # the bound is exact for one series: 18 days held out leave 100 training windows, 19 not
        from carrousel.finance.frames import frame_series, quiet_missing
        from carrousel.finance.panel import panel_windows

        _, series = frame_series(_series(rows), cfg)
        with quiet_missing():  # as train_global calls it
            assert len(panel_windows(series, {"A": rows - 1 - 18}, cfg).train) >= 100
            with pytest.raises(PriceDataError, match="only 99 training windows before the cut-off"):
                panel_windows(series, {"A": rows - 1 - 19}, cfg)


@pytest.mark.parametrize(("end", "later"), [("2007-03-01", True), (None, False)])
def test_a_history_cut_short_by_end_names_a_later_end(
    invoke: Any, sample_source: Path, end: str | None, later: bool
) -> None:
    # before: "X has only 40 usable trading days ... use an earlier --start or a longer history" under --end
    dates = ["--start", "2010-10-01"] if end is None else ["--end", end]
    outcome: Outcome = invoke("finance", "forecast", "AAPL", "--source", "sample", *dates, "--no-backtest")
    assert_clean_failure(outcome, 1, "usable trading days")
    assert ("or a later --end" in outcome.stderr) is later, outcome.stderr


def test_one_held_out_day_is_one_day() -> None:
    # before: "holding out 1 days leaves no series long enough to train on ..."
    from carrousel.finance.multiseries import train_global

    cfg = FinanceConfig(window=WindowConfig(lookback=10, horizon=1), model=ModelConfig(members=1))
    with pytest.raises(PriceDataError, match=r"^holding out 1 day leaves no series long enough"):
        train_global(_series(12), cfg, holdout_days=1)


def test_fewer_held_out_days_than_the_horizon_are_refused_before_training(tmp_path: Path) -> None:
    # before: "internal error (ValueError: zero-size array to reduction operation maximum which has no
    # identity)" after the training: no held-out origin has a full target
    from carrousel.finance.multiseries import train_global

    cfg = FinanceConfig(window=WindowConfig(lookback=10, horizon=3), model=ModelConfig(members=1))
    with pytest.raises(FrameError, match=r"^holdout_days=2 holds no forecast of horizon=3 days to score; use "
                                         r"holdout_days=3 or more, or 0 to train on every day$"):  # fmt: skip
        train_global(tmp_path / "absent.csv", cfg, holdout_days=2)  # refused before the table is read


def test_one_held_out_day_is_one_day_in_the_table_title(tmp_path: Path) -> None:
    # before: "held-out last 1 days: mean over 2 series" (and "holding out 1 days leaves ..." above)
    from typer.testing import CliRunner

    from carrousel.finance.cli import app

    panel = pd.concat([_series(150), _series(150).assign(unique_id="B", y=lambda d: d["y"] * 2)])
    panel.to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "run.toml").write_text(
        "[window]\nlookback = 10\nhorizon = 1\n[model]\nhidden_size = 4\nmembers = 1\n[train]\nepochs = 1\n"
    )
    args = ["--data", str(tmp_path / "panel.csv"), "--model-dir", str(tmp_path / "m"), "--holdout-days", "1"]
    result = CliRunner().invoke(app, ["train-global", *args, "--config", str(tmp_path / "run.toml")])
    assert result.exit_code == 0, result.output
    assert "held-out last 1 day: mean over 2 series" in " ".join(result.output.split()), result.output
