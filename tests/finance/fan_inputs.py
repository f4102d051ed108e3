"""The inputs of finance's fan chart (:func:`carrousel.finance.plot.fan_figure`) for its tests: one ticker
AAA's price history with a flat fan from its last close, and a walk-forward backtest of its last origins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.data import PriceHistory
from carrousel.finance.forecast_rows import ForecastRow, TickerForecast

H = 5  # the horizon of the fan and of the backtest


def backtest(days: pd.DatetimeIndex, close: np.ndarray, n: int, skew_median: bool = False) -> BacktestResult:
    """A backtest of the last ``n`` origins of ``close`` on ``days``: the network's p10..p90 is the realised
    return -2%..+2%, the random walk's 0 -3%..+3%; ``skew_median``: the network's median errs by ``h``
    percent at step ``h``."""
    first = len(days) - H - n
    origins, steps = np.arange(first, first + n), np.arange(1, H + 1)
    actual = np.log(close[origins[:, None] + steps] / close[origins, None])
    net = np.repeat(actual[..., None], 3, axis=2) + np.array([-0.02, 0.0, 0.02])
    if skew_median:
        net[..., 1] += steps / 100
    rw = np.zeros((n, H, 3)) + np.array([-0.03, 0.0, 0.03])
    return BacktestResult(
        model_name="lstm", quantiles=(0.1, 0.5, 0.9), horizon=H, tickers=np.full(n, "AAA", dtype=object),
        dates=days[origins], base_price=close[origins], actual=actual,
        forecasts={"lstm": net, "random_walk": rw}, refits=1, window="expanding",
        target_dates=days.to_numpy()[origins[:, None] + steps],
    )  # fmt: skip


def history_and_forecast(days: pd.DatetimeIndex, close: np.ndarray) -> tuple[PriceHistory, TickerForecast]:
    """Ticker AAA with these closes on ``days`` and a flat H-day fan (p10..p90: -1%..+1%) from its last close."""
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, index=days
    )
    history = PriceHistory("AAA", frame, "csv", "test prices", (), "0" * 64)
    last = float(close[-1])
    rows = tuple(
        ForecastRow(str(d.date()), i + 1, last, 0.0, {"p10": last * 0.99, "p50": last, "p90": last * 1.01})
        for i, d in enumerate(pd.bdate_range(days[-1], periods=H + 1)[1:])
    )
    fc = TickerForecast("AAA", "csv", "test prices", str(days[0].date()), str(days[-1].date()), last, rows)
    return history, fc
