"""The fan chart's legend names the price drawn: the adjusted close only when the file had one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from carrousel.finance.config import DataConfig
from carrousel.finance.data import load_history
from carrousel.finance.plot import fan_figure
from tests.finance.conftest import STOCKS
from tests.finance.fan_inputs import history_and_forecast

pytest.importorskip("matplotlib")


@pytest.mark.parametrize(
    ("drop", "price"),
    [((), "adjusted close"), (("Adj Close",), "close"), (("Close",), "adjusted close")],
)
def test_the_legend_names_the_close_column_used(tmp_path: Path, drop: tuple[str, ...], price: str) -> None:
    table = pd.read_csv(STOCKS)
    table = table[(table["Ticker"] == "AAPL") & (table["Date"] >= "2010-01-01")].drop(columns=list(drop))
    path = tmp_path / "aapl.csv"
    table.to_csv(path, index=False)
    history = load_history("AAPL", DataConfig(tickers=("AAPL",), source="csv", csv_path=str(path)))
    assert history.price == price
    plain, fc = history_and_forecast(history.frame.index, history.frame["close"].to_numpy())
    fig = fan_figure(replace(plain, price=history.price), fc)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == price and ("adjusted close" in texts) == (price == "adjusted close")


def test_a_frame_series_is_named_close_not_adjusted_close() -> None:
    """A pandas frame's ``y`` is the close the user gave; nothing says it is adjusted. Before, every frame
    series was named "adjusted close" (PriceHistory's default) in the fan chart's legend."""
    from carrousel.finance.config import FinanceConfig
    from carrousel.finance.frames import frame_series

    table = pd.read_csv(STOCKS)
    table = table[(table["Ticker"] == "AAPL") & (table["Date"] >= "2010-01-01")]
    df = pd.DataFrame({"unique_id": "AAPL", "ds": pd.to_datetime(table["Date"]), "y": table["Close"]})
    (history,), _ = frame_series(df.reset_index(drop=True), FinanceConfig())
    assert history.price == "close"
    plain, fc = history_and_forecast(history.frame.index, history.frame["close"].to_numpy())
    texts = [
        t.get_text()
        for t in fan_figure(replace(plain, price=history.price), fc).axes[0].get_legend().get_texts()
    ]
    assert texts[0] == "close" and "adjusted close" not in texts
