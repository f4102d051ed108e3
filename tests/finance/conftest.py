"""Fixtures of the finance tests: a committed slice of the real sample prices and tiny configurations.

``data/stocks_2007_2010.csv.gz`` holds AAPL and MSFT daily prices 2007-2010 cut from the bokeh sample data
(public-domain prices, same layout: Ticker,Date,Open,High,Low,Close,Volume,Adj Close; OHLC unadjusted).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import carrousel.finance.data as data_mod
from carrousel.finance.config import (
    BacktestConfig,
    DataConfig,
    FinanceConfig,
    ModelConfig,
    TrainSettings,
    WindowConfig,
)
from carrousel.finance.errors import PriceDataError

STOCKS = Path(__file__).parent / "data" / "stocks_2007_2010.csv.gz"


@pytest.fixture
def yahoo_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prices asked of Yahoo fail ("Yahoo was asked"): a command that must read its own table shows it does."""

    def refuse(*_: object) -> None:
        raise PriceDataError("Yahoo was asked")

    monkeypatch.setattr(data_mod, "_load_yahoo", refuse)


@pytest.fixture
def stocks_csv() -> Path:
    """The committed two-ticker CSV."""
    return STOCKS


@pytest.fixture
def raw_aapl() -> pd.DataFrame:
    """Unadjusted AAPL rows with normalised column names (date index, adj_close kept)."""
    df = data_mod.read_price_csv(STOCKS)
    return df[df["ticker"] == "AAPL"].drop(columns="ticker")


@pytest.fixture
def sample_source(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Points ``--source sample`` at the committed slice (no cache or network needed)."""
    monkeypatch.setattr(data_mod, "_sample_file", lambda: STOCKS)
    return STOCKS


def _tiny_config(
    tickers: tuple[str, ...] = ("AAPL",), source: str = "sample", **data: object
) -> FinanceConfig:
    """A configuration small enough for a test: short windows, few epochs, a short backtest."""
    return FinanceConfig(
        data=DataConfig(tickers=tickers, source=source, min_history=100, **data),  # type: ignore[arg-type]
        window=WindowConfig(lookback=10, horizon=3),
        model=ModelConfig(hidden_size=8, members=2),  # a 2-network seed ensemble: the default path, cheaply
        train=TrainSettings(epochs=2, batch_size=128, max_windows=400, patience=2),
        backtest=BacktestConfig(test_days=40, refit_every=20, auto_baselines=False),  # autos: own tests
    )


@pytest.fixture
def tiny_config() -> Callable[..., FinanceConfig]:
    """Factory of tiny configurations: ``tiny_config(("AAPL",), "sample", **data_options)``."""
    return _tiny_config
