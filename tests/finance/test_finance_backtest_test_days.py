"""--test-days larger than the history allows: the refusal's suggested --test-days must be one that runs.

Before: with fewer than 20 usable test origins (a short history, e.g. 40 rows with data.min_history = 30),
``--test-days 30`` said "give --test-days 20 or fewer", and ``--test-days 20`` then said the same again; the
fix that works there is a longer history, a shorter lookback or --no-backtest, which the other error names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.backtest import block_starts
from carrousel.finance.config import BacktestConfig, FinanceConfig, WindowConfig
from carrousel.finance.errors import PriceDataError
from carrousel.finance.features import build_series


def _series(rows: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    frame = pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=pd.bdate_range("2010-01-04", periods=rows),
    )
    return build_series("A", frame)


def _cfg(test_days: int) -> FinanceConfig:
    return FinanceConfig(
        window=WindowConfig(lookback=10, horizon=2), backtest=BacktestConfig(test_days=test_days)
    )


@pytest.mark.parametrize("rows", [40, 170])
def test_no_test_days_is_suggested_when_none_would_run(rows: int) -> None:
    with pytest.raises(PriceDataError) as err:
        block_starts([_series(rows)], _cfg(30))
    message = str(err.value)
    assert "a backtest needs at least 170" in message and "backtest.enabled=False" in message
    assert "test_days" not in message and "test-days" not in message


def test_the_suggested_test_days_runs() -> None:
    series = _series(190)  # 178 origins (first_valid 1): 28 after the first 150
    with pytest.raises(PriceDataError, match=r"give test_days=28 or fewer"):
        block_starts([series], _cfg(40))
    starts, first = block_starts([series], _cfg(28))
    assert len(starts) >= 1 and first == starts[0]
