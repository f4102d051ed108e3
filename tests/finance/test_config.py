"""Configuration: validation, quantile normalisation and flat overrides."""

from __future__ import annotations

import pytest

from carrousel.core.config import from_dict, to_dict
from carrousel.core.errors import ConfigError
from carrousel.finance.config import DataConfig, FinanceConfig, ModelConfig, override_flat


def test_quantiles_are_sorted_and_contain_the_median() -> None:
    assert ModelConfig(quantiles=(0.9, 0.1)).quantiles == (0.1, 0.5, 0.9)
    with pytest.raises(ConfigError, match="quantiles"):
        ModelConfig(quantiles=(0.1, 1.5))


def test_invalid_choices_raise() -> None:
    with pytest.raises(ConfigError, match="unknown source"):
        DataConfig(source="bloomberg")
    with pytest.raises(ConfigError, match="--csv"):
        DataConfig(source="csv")
    with pytest.raises(ConfigError, match="unknown model"):
        ModelConfig(arch="transformer")


def test_override_flat_finds_each_section() -> None:
    cfg = override_flat(
        FinanceConfig(), horizon=10, source="sample", lookback=20, epochs=3, window="rolling", seed=None
    )
    assert (cfg.model.horizon, cfg.data.source, cfg.features.lookback) == (10, "sample", 20)
    assert (cfg.train.epochs, cfg.backtest.window, cfg.train.seed) == (3, "rolling", 0)
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        override_flat(FinanceConfig(), colour="red")


def test_round_trip_through_a_dict() -> None:
    cfg = override_flat(FinanceConfig(), tickers=("AAPL", "MSFT"), quantiles=(0.05, 0.95))
    assert from_dict(FinanceConfig, to_dict(cfg)) == cfg


def test_bad_dates_and_sizes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="--start 'yesterday' is not a date"):
        DataConfig(start="yesterday")
    with pytest.raises(ConfigError, match="--end '2010-13-45' is not a date"):
        DataConfig(end="2010-13-45")
    with pytest.raises(ConfigError, match="is after --end"):
        DataConfig(start="2011-01-01", end="2010-01-01")
    assert DataConfig(start="2010-01-04", end="2010-01-04").start == "2010-01-04"
    with pytest.raises(ConfigError, match="besides the median"):
        ModelConfig(quantiles=(0.5,))
    with pytest.raises(ConfigError, match="hidden_size=0"):
        ModelConfig(hidden_size=0)
    with pytest.raises(ConfigError, match="--test-days 5"):
        override_flat(FinanceConfig(), test_days=5)


def test_ticker_symbols_are_checked() -> None:
    for ok in ("AAPL", "BRK-B", "BRK.B", "^GSPC", "EURUSD=X", "0700.HK"):
        assert DataConfig(tickers=(ok,)).tickers == (ok,)
    for bad in ("../etc/passwd", "A B", "x/y"):  # never a symbol, and never a path into the cache folder
        with pytest.raises(ConfigError, match="is not a ticker symbol"):
            DataConfig(tickers=(bad,))
