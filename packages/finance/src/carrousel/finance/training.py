"""Fitting forecasters with :class:`carrousel.core.train.Trainer`, and the fitted result.

:func:`fit_at` trains a seed ensemble (``cfg.model.members`` networks, seeds ``seed..seed+N-1``, one after
another on the same windows; :class:`~carrousel.finance.models.ForecasterEnsemble`) on the windows of every
ticker whose targets end on or before each ticker's cut-off row, with scalers fitted on rows up to the
cut-off only; the windows are gathered per batch from :func:`~carrousel.finance.panel.panel_windows`
(memory bounded for hundreds of series, bit-identical to materialised windows).
:meth:`FittedForecaster.predict` turns windows at any origins into calibrated quantiles of the cumulative
log return, through core's batched :func:`~carrousel.core.train.predict`.
The calibration (a shrunk log-multiplier of the spread by default, or split-conformal offsets:
``[backtest] calibration``) is fitted on the ensemble's (averaged) held-out forecast; each member also keeps
its own, so :meth:`FittedForecaster.predict_members` gives exactly the forecast a single network
trained with that member's seed would have given (the members' spread in the scoreboard).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from carrousel.core.train import FitResult, TrainConfig, Trainer, predict
from carrousel.finance.config import FinanceConfig, TrainSettings, WindowConfig
from carrousel.finance.conformal import apply_calibration, conformal_offsets, scale_calibration
from carrousel.finance.features import (
    Scaler,
    SeriesData,
    fit_scaler,
    input_features,
    make_windows,
    target_scales,
)
from carrousel.finance.models import ForecasterEnsemble, build_ensemble, build_forecaster
from carrousel.finance.panel import PanelData, PanelWindows, panel_loader, panel_windows
from carrousel.finance.task import QuantileForecastTask

__all__ = [
    "PREDICT_BATCH",
    "FittedForecaster",
    "WindowSet",
    "calibrate",
    "fit_at",
    "fit_forecaster",
    "predict_windows",
    "threads",
    "trainer_parts",
    "window_loader",
]

logger = logging.getLogger(__name__)

PREDICT_BATCH = 2048  # windows per forward pass when predicting


class WindowSet(Dataset[dict[str, Tensor]]):
    """Windows and targets indexed by lists of rows (one ``__getitem__`` per batch, not per sample).

    Args:
        x: ``(n, L, F)`` windows.
        y: ``(n, H)`` scaled targets, or None for prediction.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None) -> None:
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        self.y = None if y is None else torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, rows: Any) -> dict[str, Tensor]:
        out = {"x": self.x[rows]}
        if self.y is not None:
            out["y"] = self.y[rows]
        return out


def window_loader(
    x: np.ndarray, y: np.ndarray | None, batch_size: int, shuffle: bool, seed: int = 0
) -> DataLoader[dict[str, Tensor]]:
    """A loader of ``{"x": (B, L, F), "y": (B, H)}`` batches built by slicing, in the main process."""
    return panel_loader(WindowSet(x, y), batch_size, shuffle, seed)


Windows = tuple[np.ndarray, np.ndarray] | PanelWindows  # materialised (windows, targets) or a lazy panel


def _dataset(data: Windows) -> Dataset[dict[str, Tensor]]:
    return data if isinstance(data, PanelWindows) else WindowSet(*data)


def trainer_parts(
    train: Windows, val: Windows | None, quantiles: tuple[float, ...], settings: TrainSettings
) -> tuple[TrainConfig, QuantileForecastTask, DataLoader[Any], DataLoader[Any] | None]:
    """How a forecaster is fitted: the trainer's settings (AdamW, cosine, early stopping on the validation
    pinball loss), the quantile task and the training and validation loaders."""
    train_set = _dataset(train)
    val_set = _dataset(val) if val is not None else None
    has_val = val_set is not None and len(val_set) > 0  # type: ignore[arg-type]
    cfg = TrainConfig(
        epochs=settings.epochs,
        lr=settings.lr,
        optimizer="adamw",
        weight_decay=settings.weight_decay,
        scheduler="cosine",
        grad_clip_norm=1.0,
        device=settings.device,
        monitor="val_loss" if has_val else "train_loss",
        patience=settings.patience if has_val else None,
        restore_best=True,
        seed=settings.seed,
        progress=settings.progress,
    )
    pin = settings.device != "cpu" and torch.cuda.is_available()
    train_loader = panel_loader(
        train_set, settings.batch_size, True, settings.seed, settings.sampling, pin_memory=pin
    )
    val_loader = (
        panel_loader(val_set, 1024, False, pin_memory=pin) if has_val and val_set is not None else None
    )
    return cfg, QuantileForecastTask(quantiles), train_loader, val_loader


def fit_forecaster(
    model: nn.Module,
    train: Windows,
    val: Windows | None,
    quantiles: tuple[float, ...],
    settings: TrainSettings,
) -> FitResult:
    """Trains ``model`` in place with early stopping on the validation pinball loss.

    Args:
        model: a forecaster mapping ``(B, L, F)`` to ``(B, H, Q)``.
        train: windows ``(n, L, F)`` and scaled targets ``(n, H)``, or a lazy :class:`PanelWindows`.
        val: the same for validation (early stopping and best-epoch restore), or None.
        quantiles: the ``Q`` levels.
        settings: epochs, batch size, learning rate, sampling across series, progress bar...

    Returns:
        The trainer's :class:`~carrousel.core.train.FitResult` (per-epoch history).
    """
    cfg, task, train_loader, val_loader = trainer_parts(train, val, quantiles, settings)
    trainer = Trainer(model, task, cfg)
    with threads(settings.threads):
        result = trainer.fit(train_loader, val_loader)
    model.to("cpu")
    if result.history:
        last = result.history[-1]
        logger.info(
            "fitted %d epoch(s): train_loss %.4f, best %s %.4f (epoch %s)",
            len(result.history), last.get("train_loss", float("nan")), result.monitor,
            result.best_score if result.best_score is not None else float("nan"), result.best_epoch,
        )  # fmt: skip
    return result


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Runs the body with ``n`` intra-op CPU threads (0: unchanged) and restores the previous count.

    A recurrent net of a few dozen units does too little work per step to gain from several threads;
    on a shared machine the extra threads mostly spin (one thread measured 5-40x faster under load).
    """
    before = torch.get_num_threads()
    if n > 0 and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@dataclass(eq=False)
class FittedForecaster:
    """A trained network with the preprocessing it was trained with.

    Attributes:
        model: the seed ensemble (on CPU, eval mode); its output size is ``window.horizon``.
        scalers: per-ticker :class:`Scaler` fitted on rows up to the cut-off.
        offsets: ``(H, Q)`` conformal offsets of the ensemble in scaled units (zeros when calibration is off).
        window: the window spec the network was trained on (lookback, horizon, features).
        history: per-epoch training logs (of every member, one after another).
        member_offsets: ``(N, H, Q)`` each member's own conformal offsets (None: the ensemble's for all).
        log_scale: ``(H, Q)`` log-multipliers of the distances from the median (``calibration = "scale"``,
            applied before the offsets); None: no multiplier (the ``offsets`` calibration, older bundles).
        member_log_scale: ``(N, H, Q)`` each member's own (None: the ensemble's for all).
        runtime: the ensemble exported to ONNX (an exported bundle, ``finance export``), which then runs
            :meth:`predict` instead of ``model``; None for a plain bundle.
    """

    model: ForecasterEnsemble
    scalers: dict[str, Scaler]
    offsets: np.ndarray
    window: WindowConfig
    history: list[dict[str, float]] = field(default_factory=list)
    member_offsets: np.ndarray | None = None
    runtime: nn.Module | None = None
    log_scale: np.ndarray | None = None
    member_log_scale: np.ndarray | None = None

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
        """The ticker's scaler; a ticker unseen in training gets one fitted on its own full history."""
        if series.ticker not in self.scalers:
            logger.info("%s was not in training: scaling it with its own history", series.ticker)
            self.scalers[series.ticker] = fit_scaler(series, len(series.close) - 1, self.window.vol_inputs)
        return self.scalers[series.ticker]

    def predict(self, series: SeriesData, origins: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Quantiles ``(n, H, Q)`` of ``log(C[t+h] / C[t])`` at ``origins`` (batched passes)."""
        scaler = self.scaler_for(series)
        x = make_windows(
            scaler.transform(input_features(series, self.window.vol_inputs)), origins, self.window.lookback
        )
        net = self.runtime if self.runtime is not None else self.model
        scaled = predict(net, x, PREDICT_BATCH, empty_shape=(self.horizon, len(self.quantiles)))
        if calibrated:
            scaled = apply_calibration(scaled, self.offsets, self.log_scale, self.quantiles)
        return scaled * self._scales(series, scaler, origins)[:, :, None]

    def predict_members(self, series: SeriesData, origins: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Every member's quantiles ``(N, n, H, Q)``, each calibrated with its own offsets."""
        scaler = self.scaler_for(series)
        x = make_windows(
            scaler.transform(input_features(series, self.window.vol_inputs)), origins, self.window.lookback
        )
        scaled = np.moveaxis(_member_predict(self.model, x), 1, 0)  # (N, n, H, Q)
        if calibrated:
            offsets = (
                self.member_offsets if self.member_offsets is not None else [self.offsets] * self.members
            )
            logs = (
                self.member_log_scale
                if self.member_log_scale is not None
                else [self.log_scale] * self.members
            )
            scaled = np.stack(
                [
                    apply_calibration(p, o, g, self.quantiles)
                    for p, o, g in zip(scaled, offsets, logs, strict=True)
                ]
            )
        return scaled * self._scales(series, scaler, origins)[None, :, :, None]

    def _scales(self, series: SeriesData, scaler: Scaler, origins: np.ndarray) -> np.ndarray:
        """``(n, H)`` target divisors at ``origins`` (the window spec's target scale)."""
        return target_scales(series, scaler, origins, self.horizon, self.window.target_scale)


def _member_predict(model: ForecasterEnsemble, x: np.ndarray | PanelWindows) -> np.ndarray:
    """``(n, L, F)`` windows (or a panel's) -> ``(n, N, H, Q)`` quantiles of every member (batched passes)."""
    cfg = model.config.member
    return predict_windows(
        model,
        x,
        forward=lambda m, b: m.member_outputs(b).transpose(0, 1),  # type: ignore[operator]
        empty_shape=(model.config.members, cfg.out_features, len(cfg.quantiles)),
    )


def predict_windows(model: nn.Module, x: np.ndarray | PanelWindows, **kwargs: Any) -> np.ndarray:
    """``(n, H, Q)`` scaled quantiles of ``model`` at materialised or lazy windows (batched passes).

    A :class:`PanelWindows` is gathered one batch at a time; ``kwargs`` go to core's :func:`predict`.
    """
    if not isinstance(x, PanelWindows):
        return predict(model, x, PREDICT_BATCH, **kwargs)
    rows = np.arange(len(x))
    return predict(model, rows, PREDICT_BATCH, prepare=lambda r: torch.from_numpy(x.windows(r)), **kwargs)


def fit_at(
    series_list: list[SeriesData],
    cuts: dict[str, int],
    cfg: FinanceConfig,
    panel: PanelData | None = None,
) -> FittedForecaster:
    """Trains a fresh seed ensemble on every ticker's data up to its cut-off row.

    Member ``i`` is seeded with ``cfg.train.seed + i`` (weights and batch order) and trained on the same
    windows, exactly as a single network with that seed would be.

    Args:
        series_list: the tickers' arrays.
        cuts: last observable row per ticker (tickers absent or with too little data are skipped).
        cfg: the run configuration.
        panel: the windows, when already indexed (:func:`~carrousel.finance.panel.panel_windows` of the
            same arguments); built here otherwise.

    Raises:
        PriceDataError: when fewer than 100 training windows exist.
    """
    data = panel if panel is not None else panel_windows(series_list, cuts, cfg)
    qs = cfg.model.quantiles
    nets, history = [], []
    for i in range(cfg.model.members):
        seed = cfg.train.seed + i
        torch.manual_seed(seed)
        net = build_forecaster(cfg.model, cfg.window)
        settings = replace(cfg.train, seed=seed)
        result = fit_forecaster(net, data.train, data.val, qs, settings)
        nets.append(net.eval())
        history.extend(result.history)
    model = build_ensemble(nets, cfg.train.seed).eval()
    offsets, member_offsets, log_scale, member_log_scale = calibrate(model, data, cfg)
    return FittedForecaster(
        model,
        data.scalers,
        offsets,
        cfg.window,
        history,
        member_offsets,
        log_scale=log_scale,
        member_log_scale=member_log_scale,
    )


def calibrate(
    model: ForecasterEnsemble, data: PanelData, cfg: FinanceConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The ensemble's and each member's calibration on the held-out windows (``[backtest] calibration``):
    ``(offsets (H, Q), member_offsets (N, H, Q), log_scale (H, Q) | None, member_log_scale (N, H, Q) |
    None)``; zero offsets and no multipliers when calibration is off."""
    qs = cfg.model.quantiles
    shape = (cfg.window.horizon, len(qs))
    n = len(model.members)
    offsets, member_offsets = np.zeros(shape), np.zeros((n, *shape))
    log_scale = member_log_scale = None
    if cfg.backtest.conformal:  # the held-out windows also chose the epoch: a mild, documented reuse
        ensemble = predict_windows(model, data.val)
        per_member = np.moveaxis(_member_predict(model, data.val), 1, 0) if n > 1 else ensemble[None]
        if cfg.backtest.calibration == "scale":
            log_scale = scale_calibration(ensemble, data.y_val, qs)
            member_log_scale = np.stack([scale_calibration(p, data.y_val, qs) for p in per_member])
        else:
            offsets = conformal_offsets(ensemble, data.y_val, qs)
            member_offsets = np.stack([conformal_offsets(p, data.y_val, qs) for p in per_member])
    return offsets, member_offsets, log_scale, member_log_scale
