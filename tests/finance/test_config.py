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
