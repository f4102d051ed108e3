"""The adaptive conformal state in a saved forecaster: written with the bundle, continued when it forecasts.

The backtest's ``<arch>_aci`` row recalibrates the network's intervals online
(:func:`~carrousel.finance.conformal.adaptive_conformal`). Its state after each ticker's last test origin
(:class:`~carrousel.finance.conformal.AciState`) is saved in the bundle, so a loaded forecaster continues
that calibration through the rows after it (the network's forecasts at those origins, each outcome used
once it is known) instead of restarting it at multipliers of 1. Arrays per ticker, in
``arrays.safetensors``: ``aci.<ticker>.log_scale`` ``(H, Q)``, ``aci.<ticker>.recent`` ``(k, H, Q)`` and
``aci.<ticker>.recent_actual`` ``(k, H)``; the asset ``aci`` holds each ticker's last origin (the step size
is the saved config's ``[backtest] aci_gamma``).

The global model (:func:`~carrousel.finance.multiseries.train_global`, ``Forecaster.fit``) has no backtest:
:func:`aci_states` (:func:`aci_span` per series) runs each series' state over its validation windows (the latest training origins, kept
out of the fit for early stopping) and, with held-out days, on through them, so its bundle carries the same
per-series state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from carrousel.core.args import check_args
from carrousel.finance.conformal import AciState, adaptive_conformal_state
from carrousel.finance.features import SeriesData, cumulative_targets, valid_origins
from carrousel.finance.fitted import FittedForecaster

__all__ = ["aci_arrays", "aci_forecast", "aci_from_bundle", "aci_run", "aci_span", "aci_states"]

_PARTS = ("log_scale", "recent", "recent_actual")


def aci_arrays(states: dict[str, AciState]) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """The bundle's arrays and ``aci`` asset for ``states`` (none and None when there are no states)."""
    if not states:
        return {}, None
    arrays = {
        f"aci.{ticker}.{part}": np.asarray(getattr(state, part), np.float64)
        for ticker, state in states.items()
        for part in _PARTS
    }
    return arrays, {"last_origin": {t: s.last_origin for t, s in states.items()}}


def aci_from_bundle(
    arrays: Mapping[str, np.ndarray], doc: Any, shape: tuple[int, int]
) -> dict[str, AciState]:
    """The states read back from a bundle (none for a bundle saved without them; the step size is the
    saved config's ``[backtest] aci_gamma``).

    Raises:
        ValueError: when an array is missing or has the wrong shape for ``shape`` ``(H, Q)``.
    """
    if not isinstance(doc, dict):
        return {}
    states = {}
    for ticker, last in dict(doc["last_origin"]).items():
        log_scale, recent, actual = (np.asarray(arrays[f"aci.{ticker}.{p}"], np.float64) for p in _PARTS)
        k = len(recent)
        if log_scale.shape != shape or recent.shape != (k, *shape) or actual.shape != (k, shape[0]):
            raise ValueError(
                f"the adaptive conformal state of {ticker} does not fit (horizon, quantiles) {shape}"
            )
        states[str(ticker)] = AciState(log_scale, recent, actual, str(last))
    return states


def aci_forecast(
    fitted: FittedForecaster, series: SeriesData, state: AciState, gamma: float
) -> np.ndarray | None:
    """``(H, Q)`` quantiles of the cumulative log return at the series' last row, recalibrated by the
    adaptive conformal state continued from ``state`` through every origin after its last one.

    None when the series does not hold the state's last origin, or has no row after it.
    """
    dates = [str(d.date()) for d in series.dates]
    if state.last_origin not in dates:
        return None
    horizon = fitted.horizon
    origins = valid_origins(series, fitted.window.lookback, horizon, with_target=False)
    origins = origins[origins > dates.index(state.last_origin)]
    if len(origins) == 0:
        return None
    pred = fitted.predict(series, origins)  # the network as the backtest scores it (combined, calibrated)
    actual = cumulative_targets(series, origins, horizon)  # NaN past the data: never used before known
    out, _ = adaptive_conformal_state(pred, actual, fitted.quantiles, gamma, state)
    return out[-1]


def aci_run(
    fitted: FittedForecaster,
    series: SeriesData,
    origins: np.ndarray,
    gamma: float,
    state: AciState | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, AciState | None]:
    """The network's forecasts at consecutive ``origins`` (each with a full target), their outcomes, the
    adaptive conformal recalibration continued from ``state`` (None: from the start) and the state after.

    Returns:
        ``(n, H, Q)`` forecasts, ``(n, H)`` outcomes, ``(n, H, Q)`` recalibrated forecasts and the state
        after the last origin (``last_origin`` its date; ``state`` itself when ``origins`` is empty).
    """
    if len(origins) == 0:
        none = np.empty((0, fitted.horizon, len(fitted.quantiles)))
        return none, np.empty((0, fitted.horizon)), none, state
    pred = fitted.predict(series, origins)  # GARCH (when combined) fitted on the rows up to origins[0]
    actual = cumulative_targets(series, origins, fitted.horizon)
    out, after = adaptive_conformal_state(pred, actual, fitted.quantiles, gamma, state)
    return pred, actual, out, replace(after, last_origin=str(series.dates[origins[-1]].date()))


@check_args
def aci_span(
    fitted: FittedForecaster, series: SeriesData, first: int, end: int, gamma: float
) -> AciState | None:
    """The state after running adaptive conformal inference from the start over every origin in
    ``[first, end)`` with a full target (the global model: from its first validation origin to its cut-off;
    None when there is no such origin)."""
    origins = valid_origins(series, fitted.window.lookback, fitted.horizon)
    return aci_run(fitted, series, origins[(origins >= first) & (origins < end)], gamma)[3]


def aci_states(
    fitted: FittedForecaster,
    series_list: list[SeriesData],
    first: Mapping[str, int],
    ends: Mapping[str, int],
    gamma: float,
) -> dict[str, AciState]:
    """:func:`aci_span` of every series named in ``first`` (its first validation origin) up to its row in
    ``ends`` (its cut-off); none when ``gamma`` is 0 or a series has no such origin."""
    if gamma <= 0:
        return {}
    spans = {
        s.ticker: aci_span(fitted, s, first[s.ticker], ends[s.ticker], gamma)
        for s in series_list
        if s.ticker in first
    }
    return {t: state for t, state in spans.items() if state is not None}
