"""A notebook cell holding a Forecaster shows one short line, not the whole bundle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.frames import Forecaster
from carrousel.finance.pipeline import forecast


def _frame(n: int = 200) -> pd.DataFrame:
    ds = pd.bdate_range("2020-01-01", periods=n)
    parts = []
    for k, name in enumerate(["A", "B", "C", "D"]):
        y = (
            100
            * (1.0 + 0.001 * (k + 1)) ** pd.RangeIndex(n).to_numpy()
            * (1 + 0.01 * ((pd.RangeIndex(n) * (k + 3)) % 7))
        )
        parts.append(pd.DataFrame({"unique_id": name, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def fc() -> Forecaster:
    """A small forecaster over four series, fitted once for the module's tests."""
    cfg = FinanceConfig(
        window=WindowConfig(lookback=10, horizon=3),
        model=ModelConfig(members=1, hidden_size=4),
        train=TrainSettings(epochs=1, max_windows=50),
        backtest=BacktestConfig(aci_gamma=0.0),
    )
    return Forecaster.fit(_frame(), cfg)


def test_forecaster_repr_is_one_short_line(fc: Forecaster) -> None:
    """On main: the dataclass repr of the network, per-series scalers and arrays (thousands of characters)."""
    text = repr(fc)
    assert text == (
        "Forecaster(series=['A', 'B', 'C', ... (4 in all)], horizon=3, lookback=10, arch='lstm', members=1, "
        "quantiles=(0.1, 0.5, 0.9))"
    )
    assert str(fc) == text


def test_forecast_result_and_bundle_reprs_leave_out_the_heavy_fields(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig], fc: Forecaster
) -> None:
    """On main: ForecastResult's repr held the price histories, the backtest arrays and the scoreboard (72,588
    characters in a notebook); ForecasterBundle's the network and per-series scalers (20,313)."""
    result = forecast(tiny_config(("AAPL", "MSFT")))
    text = repr(result)
    assert text.startswith("ForecastResult(config=FinanceConfig(") and "bundle_path=None" in text
    assert "histories=" not in text and "BacktestResult(" not in text and "scoreboard=" not in text
    assert len(text) < 4000, len(text)
    bundle = repr(fc.bundle)
    assert bundle.startswith("ForecasterBundle(config=FinanceConfig(") and "fitted=" not in bundle
    assert len(bundle) < 4000, len(bundle)
