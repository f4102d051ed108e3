"""One network over several series does not depend on the order the series come in: a frame's rows shuffled,
its series in another order, or the tickers typed in another order train the same network (before: ``MSFT
AAPL`` and ``AAPL MSFT`` trained different ones, the forecasts moved by up to 0.1 % of the price)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import BacktestConfig, FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.features import build_series, training_windows
from carrousel.finance.frames import Forecaster, cross_validation, to_frame
from carrousel.finance.panel import panel_windows

QUANTILES = ["p10", "p50", "p90"]


@pytest.fixture
def frame_and_config(
    stocks_csv: Path, tiny_config: Callable[..., FinanceConfig]
) -> tuple[pd.DataFrame, FinanceConfig]:
    cfg = tiny_config(("AAPL", "MSFT"), "csv", csv_path=str(stocks_csv), start="2009-01-01")
    return to_frame(load_histories(cfg.data)), cfg


def _reordered(df: pd.DataFrame) -> pd.DataFrame:
    """MSFT's rows first, then AAPL's, each series' rows still in date order."""
    return pd.concat([df[df["unique_id"] == "MSFT"], df[df["unique_id"] == "AAPL"]], ignore_index=True)


def test_fit_gives_the_same_forecasts_whatever_the_order_of_the_series(
    frame_and_config: tuple[pd.DataFrame, FinanceConfig],
) -> None:
    df, cfg = frame_and_config
    first = Forecaster.fit(df, cfg).predict(df)
    second = Forecaster.fit(_reordered(df), cfg).predict(df)
    assert list(first["unique_id"]) == list(second["unique_id"])
    np.testing.assert_array_equal(first[QUANTILES].to_numpy(), second[QUANTILES].to_numpy())


def test_cross_validation_gives_the_same_table_whatever_the_order_of_the_series(
    frame_and_config: tuple[pd.DataFrame, FinanceConfig],
) -> None:
    df, cfg = frame_and_config
    cfg = replace(cfg, backtest=BacktestConfig(test_days=20, refit_every=20, auto_baselines=False))
    keys = ["unique_id", "cutoff", "ds", "model", "step"]
    first = cross_validation(df, cfg).sort_values(keys, ignore_index=True)
    second = cross_validation(_reordered(df), cfg).sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(first[keys], second[keys])
    np.testing.assert_array_equal(first[[*QUANTILES, "y"]].to_numpy(), second[[*QUANTILES, "y"]].to_numpy())


def test_windows_are_stored_by_series_name_in_both_window_builders(
    frame_and_config: tuple[pd.DataFrame, FinanceConfig],
) -> None:
    _, cfg = frame_and_config
    series = [build_series(h.ticker, h.frame) for h in load_histories(cfg.data)]  # AAPL, MSFT
    backwards = series[::-1]  # MSFT first
    cuts = {s.ticker: len(s.close) - 1 for s in series}
    lazy, eager = panel_windows(backwards, cuts, cfg), training_windows(backwards, cuts, cfg)
    assert lazy.names == ("AAPL", "MSFT")
    assert list(lazy.scalers) == list(eager.scalers) == ["AAPL", "MSFT"]
    assert np.array_equal(lazy.train.windows(np.arange(len(lazy.train))), eager.x_train)
    assert np.array_equal(lazy.y_val, eager.y_val)
    ordered = panel_windows(series, cuts, cfg)
    assert np.array_equal(ordered.train.windows(np.arange(len(ordered.train))), eager.x_train)
