"""The close-only warnings: prices without open/high/low or volume leave some network inputs constant.

Every price source (:mod:`~carrousel.finance.data`'s loaders, a DataFrame given to
:mod:`~carrousel.finance.frames`) warns the same way: one line per series, five series named and the rest
counted (:func:`~carrousel.finance.series_warnings.warn_per_series`).
"""

from __future__ import annotations

import logging

import pandas as pd

from carrousel.finance.series_warnings import warn_per_series

__all__ = ["ABSENT_MORE", "absent_inputs", "warn_absent_inputs"]

logger = logging.getLogger(__name__)

# the counting line of the close-only warnings past the first five series
ABSENT_MORE = "have no open/high/low or no volume either; they too are forecast from the closes alone"


def warn_absent_inputs(*series: tuple[str, pd.DataFrame]) -> None:
    """One warning per series whose prices lack open/high/low (a close-only CSV: each is set to the close;
    a DataFrame without them: NaN) or volume (0 or NaN): the network's inputs built from them are then
    constant. Past five such series, one more warning counts the rest (a panel of 500 close-only series
    gave 500 four-line warnings; :func:`~carrousel.finance.series_warnings.warn_per_series`).

    Args:
        series: ``(ticker, frame)`` pairs: the name first in the message; ``open, high, low, close, volume``
            by date.
    """
    warn_per_series(logger, (absent_inputs(ticker, frame) for ticker, frame in series), ABSENT_MORE)


def absent_inputs(ticker: str, frame: pd.DataFrame) -> list[str]:
    """The close-only warning of one series (none, or one line), for :func:`warn_absent_inputs` or a loader
    that logs it with other series' warnings.

    Args:
        ticker: the series' name, first in the message.
        frame: ``open, high, low, close, volume`` by date.

    Returns:
        The warning's one line, or an empty list when the prices have every input.
    """
    lost = []
    if (frame["high"] == frame["low"]).all() or frame[["open", "high", "low"]].isna().all().any():
        lost.append("no open/high/low (the gap, body and range inputs say nothing beyond the return)")
    if (frame["volume"] == 0).all() or frame["volume"].isna().all():
        lost.append("no volume (the volume input is constant)")
    if not lost:
        return []
    return [
        f"{ticker}: the prices have {' and '.join(lost)}; the network forecasts from the closes alone, add "
        "Open, High, Low and Volume columns for the full inputs"
    ]
