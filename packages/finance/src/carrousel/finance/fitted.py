"""The trained forecaster: a seed ensemble with its scalers, calibration and GARCH combination.

:meth:`FittedForecaster.predict` turns windows at any origins into calibrated quantiles of the cumulative
log return, through core's batched :func:`~carrousel.core.train.predict`. By default the network's
quantiles are first averaged with the GARCH(1,1) baseline's (``garch_weight``, a forecast combination),
then calibrated (a shrunk log-multiplier of the spread, or split-conformal offsets: ``[backtest]
calibration``); :meth:`FittedForecaster.predict_members` gives exactly the forecast a single network
trained with that member's seed would have given, and :meth:`FittedForecaster.predict_both` both from one
pass of each member.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.device import check_inference, check_precision
from carrousel.core.export.choices import precision_source
from carrousel.core.option_names import option
from carrousel.core.train import predict
from carrousel.finance.baselines import garch_quantiles
from carrousel.finance.config import TrainSettings, WindowConfig
from carrousel.finance.conformal import apply_calibration
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.features import (
    Scaler,
    SeriesData,
    fit_scaler,
    input_features,
    make_windows,
    target_scales,
)
from carrousel.finance.models import ForecasterEnsemble
from carrousel.finance.panel import PanelWindows

__all__ = [
    "PREDICT_BATCH",
    "FittedForecaster",
    "check_forecast_precision",
    "check_training_precision",
    "combine_garch",
    "ensemble_and_members",
    "predict_windows",
]

logger = logging.getLogger(__name__)

PREDICT_BATCH = 2048  # windows per forward pass when predicting


@check_args
def check_forecast_precision(precision: str, exported: bool = False) -> None:
    """Refuses, before any work, a precision the networks' forecasts cannot run in: they run on the CPU,
    whatever device fits them, so fp16 is refused even with a GPU (core's :func:`check_inference` would say
    fp16 "needs a CUDA device", the one a ``--device cuda`` user named); bf16 for an exported model.

    Raises:
        FinanceConfigError: fp16, in one line naming bf16.
        ConfigError: see :func:`carrousel.core.device.check_inference`.
    """
    if precision == "fp16":
        source = precision_source()  # the flag, or the --config file's [train] precision
        raise FinanceConfigError(
            f"{source.said('fp16')}: finance's forecasts run on the CPU (whatever {option('device')} fits the networks), "
            f"which has no float16 autocast; use {source.fix('bf16')}"
        )
    check_inference(precision, torch.device("cpu"), exported)


def check_training_precision(train: TrainSettings) -> None:
    """Refuses, before any work, a reduced ``[train] precision`` the training device cannot run (the
    forecasts' CPU is :func:`check_forecast_precision`'s; fp32 runs anywhere, so it asks nothing).

    Raises:
        ConfigError: see :func:`carrousel.core.device.check_precision`.
    """
    if train.precision != "fp32":
        check_precision(train.precision, train.device)


@dataclass(eq=False)
class FittedForecaster:
    """A trained network with the preprocessing it was trained with.

    Attributes:
        model: the seed ensemble (on CPU, eval mode); its output size is ``window.horizon``.
        scalers: per-ticker :class:`Scaler` fitted on rows up to the cut-off.
        offsets: ``(H, Q)`` conformal offsets of the ensemble in scaled units (zeros when calibration is off).
        window: the window spec the network was trained on (lookback, horizon, features).
        histories: each member's per-epoch training logs, in member order (empty for a loaded bundle);
            :attr:`history` is them one after another.
        member_offsets: ``(N, H, Q)`` each member's own conformal offsets (None: the ensemble's for all).
        log_scale: ``(H, Q)`` log-multipliers of the distances from the median (``calibration = "scale"``,
            applied before the offsets); None: no multiplier (the ``offsets`` calibration, older bundles).
        member_log_scale: ``(N, H, Q)`` each member's own (None: the ensemble's for all).
        garch_weight: the network's quantiles are averaged with the GARCH(1,1) baseline's, this weight on
            GARCH's, before the calibration (``[backtest] garch_weight``; 0: the network alone).
        runtime: the ensemble exported to ONNX (an exported bundle, ``finance export``), which then runs
            :meth:`predict` instead of ``model``; None for a plain bundle.
        precision: ``"fp32"``, or ``"bf16"`` / ``"fp16"`` autocast of the PyTorch ensemble in :meth:`predict`
            (core's :func:`~carrousel.core.train.predict` checks it against the device; not with ``runtime``).
    """

    model: ForecasterEnsemble
    scalers: dict[str, Scaler]
    offsets: np.ndarray
    window: WindowConfig
    histories: tuple[list[dict[str, float]], ...] = ()
    member_offsets: np.ndarray | None = None
    runtime: nn.Module | None = None
    log_scale: np.ndarray | None = None
    member_log_scale: np.ndarray | None = None
    garch_weight: float = 0.0
    precision: str = "fp32"

    @property
    def history(self) -> list[dict[str, float]]:
        """Every member's per-epoch logs, one after another (each member's from epoch 1)."""
        return [row for rows in self.histories for row in rows]

    @property
    def quantiles(self) -> tuple[float, ...]:
        """The ``Q`` levels."""
        return tuple(self.model.config.member.quantiles)

    @property
    def members(self) -> int:
        """``N``, the networks in the ensemble."""
        return len(self.model.members)

    @property
    def horizon(self) -> int:
        """``H``."""
        return self.window.horizon

    def scaler_for(self, series: SeriesData) -> Scaler:
        """The ticker's scaler; a ticker unseen in training gets one fitted on the history given (each time,
        never kept: a saved model holds the scalers of its training series only)."""
        if series.ticker not in self.scalers:
            logger.info("%s was not in training: scaling it with its own history", series.ticker)
            return fit_scaler(series, len(series.close) - 1, self.window.vol_inputs)
        return self.scalers[series.ticker]

    @check_args
    def predict(
        self,
        series: SeriesData,
        origins: np.ndarray,
        calibrated: bool = True,
        garch: np.ndarray | None = None,
    ) -> np.ndarray:
        """Quantiles ``(n, H, Q)`` of ``log(C[t+h] / C[t])`` at ``origins`` (batched passes).

        ``calibrated`` False: the network's own quantiles (neither combined nor calibrated). ``garch``: the
        GARCH baseline's ``(n, H, Q)`` quantiles at ``origins`` for the combination (``garch_weight``); None:
        fitted here on the rows up to the first origin (:func:`garch_quantiles`).
        """
        x, scales = self._inputs(series, origins)
        net = self.runtime if self.runtime is not None else self.model
        scaled = predict(
            net, x, PREDICT_BATCH, empty_shape=(self.horizon, len(self.quantiles)), precision=self.precision
        )
        if calibrated:
            scaled = self._calibrate(self._combine(scaled, self._garch(series, origins, scales, garch)), -1)
        return scaled * scales[:, :, None]

    @check_args
    def predict_members(
        self,
        series: SeriesData,
        origins: np.ndarray,
        calibrated: bool = True,
        garch: np.ndarray | None = None,
    ) -> np.ndarray:
        """Every member's quantiles ``(N, n, H, Q)``, each calibrated with its own calibration."""
        return self.predict_both(series, origins, calibrated, garch)[1]

    @check_args
    def predict_both(
        self,
        series: SeriesData,
        origins: np.ndarray,
        calibrated: bool = True,
        garch: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict` and :meth:`predict_members` from one pass of each member (the ensemble is their
        mean: :func:`ensemble_and_members`)."""
        x, scales = self._inputs(series, origins)
        ensemble, members = ensemble_and_members(self.model, x, self.precision)
        if calibrated:
            g = self._garch(series, origins, scales, garch)
            ensemble = self._calibrate(self._combine(ensemble, g), -1)
            members = np.stack([self._calibrate(self._combine(m, g), i) for i, m in enumerate(members)])
        return ensemble * scales[:, :, None], members * scales[None, :, :, None]

    def _inputs(self, series: SeriesData, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``(n, L, F)`` windows at ``origins`` and the ``(n, H)`` target divisors."""
        scaler = self.scaler_for(series)
        feats = scaler.transform(input_features(series, self.window.vol_inputs))
        return make_windows(feats, origins, self.window.lookback), self._scales(series, scaler, origins)

    def _garch(
        self, series: SeriesData, origins: np.ndarray, scales: np.ndarray, garch: np.ndarray | None
    ) -> np.ndarray | None:
        """The GARCH quantiles in target units ``(n, H, Q)`` (None: no combination)."""
        if self.garch_weight == 0 or len(origins) == 0:
            return None
        if garch is None:
            garch = garch_quantiles(series, int(origins.min()), origins, self.horizon, self.quantiles)
        return garch / scales[:, :, None]

    def _combine(self, scaled: np.ndarray, garch: np.ndarray | None) -> np.ndarray:
        """The network's ``(n, H, Q)`` quantiles averaged with GARCH's (target units; None: unchanged)."""
        return scaled if garch is None else combine_garch(scaled, garch, self.garch_weight)

    def _calibrate(self, scaled: np.ndarray, member: int) -> np.ndarray:
        """The calibration of the ensemble (``member`` -1) or of one member applied to ``(n, H, Q)``."""
        if member < 0:
            return apply_calibration(scaled, self.offsets, self.log_scale, self.quantiles)
        offsets = self.member_offsets[member] if self.member_offsets is not None else self.offsets
        logs = self.member_log_scale[member] if self.member_log_scale is not None else self.log_scale
        return apply_calibration(scaled, offsets, logs, self.quantiles)

    def _scales(self, series: SeriesData, scaler: Scaler, origins: np.ndarray) -> np.ndarray:
        """``(n, H)`` target divisors at ``origins`` (the window spec's target scale)."""
        return target_scales(series, scaler, origins, self.horizon, self.window.target_scale)


def combine_garch(net: np.ndarray, garch: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * net + weight * garch``: two ``(..., Q)`` quantile forecasts averaged level by level
    (the average of two sorted sets of quantiles is sorted: they never cross)."""
    return (1.0 - weight) * net + weight * garch


def _member_predict(
    model: ForecasterEnsemble,
    x: np.ndarray | PanelWindows,
    out_dtype: Any = np.float64,
    precision: str = "fp32",
) -> np.ndarray:
    """``(n, L, F)`` windows (or a panel's) -> ``(n, N, H, Q)`` quantiles of every member (batched passes)."""
    cfg = model.config.member
    return predict_windows(
        model,
        x,
        forward=lambda m, b: m.member_outputs(b).transpose(0, 1),  # type: ignore[operator]
        empty_shape=(model.config.members, cfg.out_features, len(cfg.quantiles)),
        out_dtype=out_dtype,
        precision=precision,
    )


def ensemble_and_members(
    model: ForecasterEnsemble, x: np.ndarray | PanelWindows, precision: str = "fp32"
) -> tuple[np.ndarray, np.ndarray]:
    """The ensemble's ``(n, H, Q)`` and every member's ``(N, n, H, Q)`` quantiles from ONE pass of each member.

    The ensemble is the members' float32 mean taken as :meth:`ForecasterEnsemble.forward` takes it, so it
    equals ``predict_windows(model, x)`` bit for bit, without running every member a second time.
    ``precision``: ``"fp32"``, or bf16/fp16 autocast (core's :func:`predict`).
    """
    if len(model.members) == 1:
        ensemble = predict_windows(model, x, precision=precision)
        return ensemble, ensemble[None]
    members = _member_predict(model, x, out_dtype=np.float32, precision=precision)  # (n, N, H, Q)
    ensemble = torch.from_numpy(members).mean(dim=1).numpy().astype(np.float64)
    return ensemble, np.moveaxis(members, 1, 0).astype(np.float64)


def predict_windows(model: nn.Module, x: np.ndarray | PanelWindows, **kwargs: Any) -> np.ndarray:
    """``(n, H, Q)`` scaled quantiles of ``model`` at materialised or lazy windows (batched passes).

    A :class:`PanelWindows` is gathered one batch at a time; ``kwargs`` go to core's :func:`predict`.
    """
    if not isinstance(x, PanelWindows):
        return predict(model, x, PREDICT_BATCH, **kwargs)
    rows = np.arange(len(x))
    return predict(model, rows, PREDICT_BATCH, prepare=lambda r: torch.from_numpy(x.windows(r)), **kwargs)
