"""The fan chart's data (not its pixels): errors at the chosen step, no short-window spike, the zoom."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.backtest import BacktestResult
from carrousel.finance.data import PriceHistory
from carrousel.finance.forecast_rows import ForecastRow, TickerForecast
from carrousel.finance.plot import ERROR_WINDOW, fan_figure, step_errors, zoom_bands
from tests.finance.fan_inputs import H, backtest, history_and_forecast

pytest.importorskip("matplotlib")

DAYS = pd.bdate_range("2011-01-03", periods=300)
CLOSE = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 300)))


def _backtest(n: int = 80) -> BacktestResult:
    """A backtest of the last ``n`` origins of one ticker whose median errs by ``h`` percent at step ``h``."""
    return backtest(DAYS, CLOSE, n, skew_median=True)


def test_errors_are_at_the_chosen_step_and_start_once_the_window_is_full() -> None:
    bt = _backtest()
    for step in (1, H):
        errors = step_errors(bt, "AAA", step)
        h = step - 1
        raw = 100 * np.abs(np.expm1(bt.actual[:, h]) - np.expm1(bt.forecasts["lstm"][:, h, 1]))
        want = pd.Series(raw).rolling(ERROR_WINDOW).mean().to_numpy()[ERROR_WINDOW - 1 :]
        got = errors["lstm"]
        np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
        assert len(got) == len(bt.actual) - ERROR_WINDOW + 1  # no value from a part-filled window
        assert got.index[0] == pd.Timestamp(bt.target_dates[ERROR_WINDOW - 1, h])  # by target date
    # the median errs by about h percent at step h: the panel at h5 is not the next-day panel
    assert step_errors(bt, "AAA", H)["lstm"].mean() > 3 * step_errors(bt, "AAA", 1)["lstm"].mean()
    assert step_errors(bt, "ZZZ", 1) == {}
    with pytest.raises(ValueError, match=r"outside 1\.\.5"):
        step_errors(bt, "AAA", 6)


def test_figure_draws_the_step_errors_and_a_zoom_on_the_fan() -> None:
    bt = _backtest()
    close, days = CLOSE, DAYS
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, index=days
    )
    history = PriceHistory("AAA", frame, "csv", "test prices", (), "0" * 64)
    future = pd.bdate_range(days[-1], periods=H + 1)[1:]
    rows = tuple(
        ForecastRow(str(d.date()), i + 1, close[-1], 0.0,
                    {"p10": close[-1] * (1 - 0.01 * (i + 1)), "p50": close[-1], "p90": close[-1] * (1 + 0.01 * (i + 1))})
        for i, d in enumerate(future)
    )  # fmt: skip
    fc = TickerForecast(
        "AAA", "csv", "test prices", str(days[0].date()), str(days[-1].date()), close[-1], rows
    )
    fig = fan_figure(history, fc, bt, zoom=25)
    overview, zoom, errors = fig.axes[:3]
    # error panel: exactly the step-H rolling means, network then random walk
    want = step_errors(bt, "AAA", H)
    lines = [ln for ln in errors.get_lines() if ln.get_label().endswith("mean)")]
    assert [ln.get_label().split(" ")[0] for ln in lines] == ["lstm", "random_walk"]
    np.testing.assert_allclose(np.asarray(lines[0].get_ydata(), float), want["lstm"].to_numpy())
    assert f"{H}-day-ahead" in errors.get_ylabel()
    # zoom: the last 25 sessions, the median path and the backtest's step-H band over its last 25 origins
    hist_line = zoom.get_lines()[0]
    assert len(hist_line.get_xdata()) == 25
    median = next(ln for ln in zoom.get_lines() if ln.get_label() == "median forecast")
    np.testing.assert_allclose(np.asarray(median.get_ydata(), float), [close[-1]] * (H + 1))
    bands = zoom_bands(bt, "AAA", H, 25)
    assert len(bands) == 25 and list(bands.columns) == ["p10", "p50", "p90", "y"]
    np.testing.assert_allclose(bands["y"], CLOSE[-25:])  # the realised prices of the last 25 targets
    assert bands.index[-1] == DAYS[-1]
    realised = next(ln for ln in zoom.get_lines() if ln.get_label() == "realised")
    np.testing.assert_allclose(np.asarray(realised.get_ydata(), float), bands["y"].to_numpy())
    # the zoom's price range is the recent one, so the fan is not a sliver of a 120-day axis
    lo, hi = zoom.get_ylim()
    assert hi - lo < overview.get_ylim()[1] - overview.get_ylim()[0]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_a_short_backtest_still_draws_its_errors() -> None:
    """``--test-days 20``: a 20-origin mean had one value, so the error panel was empty (an axis of 2017..2021
    around nothing); the mean now spans a quarter of the origins (5), 16 points per line."""
    bt = _backtest(20)
    fig = fan_figure(*history_and_forecast(DAYS, CLOSE), bt)
    lines = [ln for ln in fig.axes[2].get_lines() if ln.get_label().endswith("mean)")]
    assert [ln.get_label() for ln in lines] == ["lstm (5-origin mean)", "random_walk (5-origin mean)"]
    assert all(len(ln.get_ydata()) == 16 for ln in lines)
    np.testing.assert_allclose(np.asarray(lines[0].get_ydata(), float), step_errors(bt, "AAA", H, 5)["lstm"])
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_legends_sit_beside_the_panels_not_over_the_prices() -> None:
    """A falling price fills the upper-left corner where every legend sat (the first weeks of AAPL 2012-13
    were hidden under it); each legend is now beside its panel, inside the saved figure, panels aligned."""
    falling = CLOSE[::-1].copy()  # high on the left, like AAPL from its 2012 peak
    fig = fan_figure(*history_and_forecast(DAYS, falling), _backtest())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        assert not legend.overlaps(ax.get_window_extent(renderer)), ax.get_title()
        assert page.x0 <= legend.x0 and legend.x1 <= page.x1 and page.y0 <= legend.y0 <= legend.y1 <= page.y1
    lefts = {round(ax.get_position().x0, 6) for ax in fig.axes}
    rights = {round(ax.get_position().x1, 6) for ax in fig.axes}
    assert len(lefts) == len(rights) == 1  # the panels' date axes line up
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_step_one_reads_one_day_ahead() -> None:
    """``--horizon 1`` (or ``step=1``): the zoom's legend and the error panel's title said "1 days ahead"."""
    fig = fan_figure(*history_and_forecast(DAYS, CLOSE), _backtest(), step=1)
    texts = [fig.axes[2].get_title()] + [ln.get_label() for ln in fig.axes[1].collections]
    assert "backtest p10-p90, 1 day ahead" in texts, texts
    assert "errors 1 day ahead (by target date)" in fig.axes[2].get_title()
    assert not any("1 days" in text for text in texts), texts
    import matplotlib.pyplot as plt

    plt.close(fig)
