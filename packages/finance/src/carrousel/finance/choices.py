"""The named choices of carrousel.finance's settings (:mod:`carrousel.finance.config`): one
:class:`enum.StrEnum` per choice, listing the accepted names, and :func:`check_choice`, the one-line error for
a name outside them. :mod:`carrousel.finance.config` re-exports the enums; import them from there.
"""

from __future__ import annotations

import enum

from carrousel.finance.errors import FinanceConfigError

__all__ = [
    "Arch",
    "Calibration",
    "Sampling",
    "Source",
    "TargetScale",
    "TrainWindow",
    "check_choice",
]


class Source(enum.StrEnum):
    """Where prices come from."""

    auto = "auto"  # a fresh cache, then Yahoo
    yahoo = "yahoo"  # Yahoo Finance (needs carrousel-finance[yahoo])
    csv = "csv"  # a CSV file (--csv PATH)
    sample = "sample"  # the bundled 2000-2013 history


class Arch(enum.StrEnum):
    """Recurrent encoder of the forecaster."""

    lstm = "lstm"
    gru = "gru"
    bilstm = "bilstm"  # a bidirectional LSTM over the lookback window


class TrainWindow(enum.StrEnum):
    """Training window of each walk-forward refit."""

    expanding = "expanding"  # all history before the refit
    rolling = "rolling"  # the last ``train_days`` before the refit


class Sampling(enum.StrEnum):
    """How training windows are drawn across series (:mod:`carrousel.finance.panel`)."""

    windows = "windows"  # every window once per epoch: a series weighs by its number of windows
    series = "series"  # windows drawn with replacement, every series equally likely


class TargetScale(enum.StrEnum):
    """What the network's targets (cumulative log returns) are divided by."""

    static = "static"  # the series' training return deviation * sqrt(h), the same at every origin
    ewma = "ewma"  # the RiskMetrics (EWMA) volatility at the origin * sqrt(h): volatility-standardised


class Calibration(enum.StrEnum):
    """How the network's quantiles are calibrated on the held-out windows of each fit (``conformal`` on)."""

    scale = "scale"  # every distance from the median times one factor (pooled over horizons and both sides),
    # its log shrunk halfway to 0: one parameter, so ~300 overlapping held-out windows estimate it steadily
    offsets = "offsets"  # split-conformal additive offsets, one per horizon and quantile (the old default)


def check_choice(value: str, choices: type[enum.Enum], what: str) -> None:
    """Raises FinanceConfigError naming the accepted names when ``value`` is not one of ``choices``."""
    names = [c.value for c in choices]
    if value not in names:
        raise FinanceConfigError(f"unknown {what} {value!r}; use one of {', '.join(names)}")
