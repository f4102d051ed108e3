"""A fitted global forecaster: network + per-ticker scalers + conformal offsets, fitted at a cut-off.

:func:`fit_at` trains one network on the windows of every ticker whose targets end on or before each
ticker's cut-off row, with scalers fitted on rows up to the cut-off only. :meth:`FittedForecaster.predict`
turns windows at any origins into calibrated quantiles of the cumulative log return.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from carrousel.finance.config import FinanceConfig
from carrousel.finance.conformal import apply_offsets, conformal_offsets
from carrousel.finance.errors import PriceDataError
from carrousel.finance.features import (
    Scaler,
    SeriesData,
    cumulative_targets,
    fit_scaler,
    make_windows,
    valid_origins,
)
from carrousel.finance.models import QuantileForecaster, build_forecaster
from carrousel.finance.training import fit_forecaster, predict_quantiles

__all__ = ["FittedForecaster", "fit_at", "training_origins"]

logger = logging.getLogger(__name__)

_MIN_TRAIN = 100  # fewest training windows a fit accepts


@dataclass(eq=False)
class FittedForecaster:
    """A trained network with the preprocessing it was trained with.

    Attributes:
        model: the network (on CPU, eval mode).
        scalers: per-ticker :class:`Scaler` fitted on rows up to the cut-off.
        offsets: ``(H, Q)`` conformal offsets in scaled units (zeros when calibration is off).
        lookback: ``L``.
        history: per-epoch training logs.
    """

    model: QuantileForecaster
    scalers: dict[str, Scaler]
    offsets: np.ndarray
    lookback: int
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def quantiles(self) -> tuple[float, ...]:
        """The ``Q`` levels."""
        return tuple(self.model.config.quantiles)

    @property
    def horizon(self) -> int:
        """``H``."""
        return int(self.model.config.horizon)

    def scaler_for(self, series: SeriesData) -> Scaler:
        """The ticker's scaler; a ticker unseen in training gets one fitted on its own full history."""
        if series.ticker not in self.scalers:
            logger.info("%s was not in training: scaling it with its own history", series.ticker)
            self.scalers[series.ticker] = fit_scaler(series, len(series.close) - 1)
        return self.scalers[series.ticker]

    def predict(self, series: SeriesData, origins: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Quantiles ``(n, H, Q)`` of ``log(C[t+h] / C[t])`` at ``origins`` (one batched pass)."""
        scaler = self.scaler_for(series)
        x = make_windows(scaler.transform(series.features), origins, self.lookback)
        scaled = predict_quantiles(self.model, x)
        if calibrated:
            scaled = apply_offsets(scaled, self.offsets)
        return scaled * scaler.target_scale(self.horizon)[None, :, None]


def training_origins(series: SeriesData, cut: int, cfg: FinanceConfig) -> np.ndarray:
    """Origins whose whole target lies at or before row ``cut`` (window/rolling limits applied)."""
    horizon, lookback = cfg.model.horizon, cfg.features.lookback
    origins = valid_origins(series, lookback, horizon)
    origins = origins[origins + horizon <= cut]
    if cfg.backtest.window == "rolling":
        origins = origins[origins >= cut - cfg.backtest.train_days]
    return origins[-cfg.train.max_windows :]


def fit_at(series_list: list[SeriesData], cuts: dict[str, int], cfg: FinanceConfig) -> FittedForecaster:
    """Trains a fresh network on every ticker's data up to its cut-off row.

    Args:
        series_list: the tickers' arrays.
        cuts: last observable row per ticker (tickers absent or with too little data are skipped).
        cfg: the run configuration.

    Raises:
        PriceDataError: when fewer than 100 training windows exist.
    """
    horizon, lookback, qs = cfg.model.horizon, cfg.features.lookback, cfg.model.quantiles
    parts: dict[str, list[np.ndarray]] = {"xt": [], "yt": [], "xv": [], "yv": []}
    scalers: dict[str, Scaler] = {}
    for s in series_list:
        cut = cuts.get(s.ticker)
        if cut is None:
            continue
        origins = training_origins(s, cut, cfg)
        if len(origins) < 20:
            continue
        scaler = fit_scaler(s, cut)
        scalers[s.ticker] = scaler
        scaled = scaler.transform(s.features)
        n_val = max(int(len(origins) * cfg.train.val_fraction), 1)
        val = origins[-n_val:]
        train = origins[origins + horizon <= val[0]]  # no target overlaps the validation windows
        for key, org in (("t", train), ("v", val)):
            parts["x" + key].append(make_windows(scaled, org, lookback))
            parts["y" + key].append(cumulative_targets(s, org, horizon) / scaler.target_scale(horizon))
    n_train = sum(len(a) for a in parts["xt"])
    if n_train < _MIN_TRAIN:
        raise PriceDataError(
            f"only {n_train} training windows before the cut-off, at least {_MIN_TRAIN} are needed; "
            "use a longer history, a shorter --lookback or fewer --test-days"
        )
    xt, yt = np.concatenate(parts["xt"]), np.concatenate(parts["yt"])
    xv, yv = np.concatenate(parts["xv"]), np.concatenate(parts["yv"])
    torch.manual_seed(cfg.train.seed)
    model = build_forecaster(cfg.model, xt.shape[-1])
    result = fit_forecaster(model, (xt, yt), (xv, yv), qs, cfg.train)
    model.eval()
    offsets = np.zeros((horizon, len(qs)))
    if cfg.backtest.conformal:  # the held-out windows also chose the epoch: a mild, documented reuse
        offsets = conformal_offsets(predict_quantiles(model, xv), yv, qs)
    return FittedForecaster(model, scalers, offsets, lookback, result.history)
