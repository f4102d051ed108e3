"""What a saved forecaster returns: a :class:`TickerForecast` per ticker, a :class:`ForecastRow` per day ahead
(:meth:`carrousel.finance.bundle.ForecasterBundle.__call__`), and the quantile labels of their columns."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ForecastRow", "TickerForecast", "qlabel"]


def qlabel(q: float) -> str:
    """``0.1 -> "p10"``, ``0.025 -> "p2.5"``."""
    return f"p{100 * q:g}"


@dataclass(frozen=True)
class ForecastRow:
    """One day ahead of one ticker."""

    date: str  # trading session (YYYY-MM-DD), weekends and exchange holidays skipped
    step: int  # trading days after the last observed close
    median: float  # median price
    change_pct: float  # median change from the last close, in percent
    quantiles: dict[str, float]  # price quantiles by label ("p10", "p50", "p90")


@dataclass(frozen=True)
class TickerForecast:
    """A ticker's forecast and where its data came from."""

    ticker: str  # symbol
    source: str  # sample | yahoo | cache | csv | frame
    source_label: str  # one line naming the data origin (sample data says so)
    first_date: str  # first date of the history used
    last_date: str  # last observed date (the forecast origin)
    last_close: float  # close on last_date (the history's price: adjusted close or close)
    rows: tuple[ForecastRow, ...]  # one per horizon step
    notes: tuple[str, ...] = ()  # data repairs and caveats
    others: dict[str, tuple[float, ...]] = field(default_factory=dict)  # median price path of each baseline
    aci: tuple[dict[str, float], ...] = ()  # per step: price quantiles of the network with adaptive conformal
    # intervals, continued from the saved state (empty: no state for this ticker and history)
    calendar: str = "XNYS"  # the exchange calendar the rows' dates are sessions of
