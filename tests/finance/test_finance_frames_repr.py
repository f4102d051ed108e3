"""A notebook cell holding a Forecaster shows one short line, not the whole bundle."""

from __future__ import annotations

import pandas as pd

from carrousel.finance.config import BacktestConfig, FinanceConfig, ModelConfig, TrainSettings, WindowConfig
from carrousel.finance.frames import Forecaster


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


def test_forecaster_repr_is_one_short_line() -> None:
    """On main: the dataclass repr of the network, per-series scalers and arrays (thousands of characters)."""
    cfg = FinanceConfig(
        window=WindowConfig(lookback=10, horizon=3),
        model=ModelConfig(members=1, hidden_size=4),
        train=TrainSettings(epochs=1, max_windows=50),
        backtest=BacktestConfig(aci_gamma=0.0),
    )
    fc = Forecaster.fit(_frame(), cfg)
    text = repr(fc)
    assert text == (
        "Forecaster(series=['A', 'B', 'C', ... (4 in all)], horizon=3, lookback=10, arch='lstm', members=1, "
        "quantiles=(0.1, 0.5, 0.9))"
    )
    assert str(fc) == text
