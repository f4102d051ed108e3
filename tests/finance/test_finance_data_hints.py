"""Messages of short or out-of-range price files name what works (session 48 leftovers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from carrousel.finance.cli import app
from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_history
from carrousel.finance.errors import PriceDataError


def _csv(path: Path, rows: int, start: str = "2020-01-02") -> Path:
    dates = pd.bdate_range(start, periods=rows)
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, rows)))
    frame = pd.DataFrame(
        {
            "Date": dates.strftime("%Y-%m-%d"),
            "Open": close,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Volume": 1000,
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_no_prices_between_the_dates_names_the_files_own_range(tmp_path: Path) -> None:
    path = _csv(tmp_path / "x.csv", 40)
    cfg = DataConfig(source="csv", csv_path=str(path), start="2021-01-01", end="2021-05-01", min_history=30)
    with pytest.raises(PriceDataError, match="no X prices between 2021-01-01 and 2021-05-01") as caught:
        load_history("X", cfg)
    assert "2020-01-02 to 2020-02-26" in str(caught.value)


@pytest.mark.parametrize(
    ("rows", "flags", "said"),
    [
        (
            40,
            [],
            "a network needs at least 120 rows (205 at --lookback 30 and --horizon 5 with the backtest)",
        ),
        (130, [], "the network needs 205 rows at --lookback 30 and --horizon 5 with the backtest"),
        (130, ["--no-backtest"], "a data.min_history of 130 or less in a --config TOML file"),
    ],
)
def test_a_short_history_is_told_the_min_history_the_network_accepts(
    tmp_path: Path, rows: int, flags: list[str], said: str
) -> None:
    """A 40-row series was told to lower data.min_history, which the network's window then refused."""
    path = _csv(tmp_path / "x.csv", rows)
    result = CliRunner().invoke(app, ["forecast", "X", "--csv", str(path), *flags])
    assert result.exit_code == 1
    assert said in " ".join(result.output.split()), result.output
    if rows < 120:
        assert (
            "does not help" in result.output and "a lower data.min_history (at least 30)" not in result.output
        )
