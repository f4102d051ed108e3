"""Fitting forecasters with :class:`carrousel.core.train.Trainer`.

:func:`fit_at` trains a seed ensemble (``cfg.model.members`` networks, seeds ``seed..seed+N-1``, one after
another on the same windows; :class:`~carrousel.finance.models.ForecasterEnsemble`) on the windows of every
ticker whose targets end on or before each ticker's cut-off row, with scalers fitted on rows up to the
cut-off only; the windows are gathered per batch from :func:`~carrousel.finance.panel.panel_windows`
(memory bounded for hundreds of series, bit-identical to materialised windows). The result is a
:class:`~carrousel.finance.fitted.FittedForecaster` (re-exported here).
The calibration (a shrunk log-multiplier of the spread by default, or split-conformal offsets:
``[backtest] calibration``) is fitted on the ensemble's (averaged) held-out forecast, after the same
combination with the GARCH(1,1) baseline as its forecasts get (``[backtest] garch_weight``); each member also
keeps its own, so :meth:`FittedForecaster.predict_members` gives exactly the forecast a single network
trained with that member's seed would have given (the members' spread in the scoreboard).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from carrousel.core.args import check_args
from carrousel.core.device import Precision, pin_memory_for
from carrousel.core.train import FitResult, TrainConfig, Trainer, fit_refusing, lr_fix
from carrousel.finance.baselines import garch_quantiles
from carrousel.finance.config import FinanceConfig, TrainSettings
from carrousel.finance.conformal import conformal_offsets, scale_calibration
from carrousel.finance.features import SeriesData, target_scales
from carrousel.finance.fitted import (
    PREDICT_BATCH,
    FittedForecaster,
    combine_garch,
    ensemble_and_members,
    predict_windows,
)
from carrousel.finance.models import ForecasterEnsemble, build_ensemble, build_forecaster
from carrousel.finance.panel import PanelData, PanelWindows, panel_loader, panel_windows
from carrousel.finance.task import QuantileForecastTask

__all__ = [
    "PREDICT_BATCH",
    "FittedForecaster",
    "WindowSet",
    "calibrate",
    "combine_garch",
    "ensemble_and_members",
    "fit_at",
    "fit_forecaster",
    "predict_windows",
    "threads",
    "trainer_parts",
    "window_loader",
]

logger = logging.getLogger(__name__)


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


@check_args
def window_loader(
    x: np.ndarray, y: np.ndarray | None, batch_size: int, shuffle: bool, seed: int = 0
) -> DataLoader[dict[str, Tensor]]:
    """A loader of ``{"x": (B, L, F), "y": (B, H)}`` batches built by slicing, in the main process."""
    return panel_loader(WindowSet(x, y), batch_size, shuffle, seed)


Windows = tuple[np.ndarray, np.ndarray] | PanelWindows  # materialised (windows, targets) or a lazy panel


def _dataset(data: Windows) -> Dataset[dict[str, Tensor]]:
    """A panel's windows, gathered once when small (:meth:`PanelWindows.materialise`), or materialised ones."""
    if isinstance(data, PanelWindows):
        data.materialise()
        return data
    return WindowSet(*data)


def trainer_parts(
    train: Windows, val: Windows | None, quantiles: tuple[float, ...], settings: TrainSettings
) -> tuple[TrainConfig, QuantileForecastTask, DataLoader[Any], DataLoader[Any] | None]:
    """How a forecaster is fitted: the trainer's settings (AdamW, cosine, early stopping on the validation
    pinball loss; ``settings.precision``: fp32, or bf16/fp16 autocast around every forward and loss, the
    validation's too, with float32 weights), the quantile task and the training and validation loaders."""
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
        precision=cast(Precision, settings.precision),  # a name TrainSettings checked
    )
    pin = pin_memory_for(settings.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
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
    *,
    label: str = "",
) -> FitResult:
    """Trains ``model`` in place with early stopping on the validation pinball loss.

    Args:
        model: a forecaster mapping ``(B, L, F)`` to ``(B, H, Q)``.
        train: windows ``(n, L, F)`` and scaled targets ``(n, H)``, or a lazy :class:`PanelWindows`.
        val: the same for validation (early stopping and best-epoch restore), or None.
        quantiles: the ``Q`` levels.
        settings: epochs, batch size, learning rate, sampling across series, progress bar...
        label: which network this is, before the epoch in its progress bar (``member 2/3, epoch 1/5``).

    Returns:
        The trainer's :class:`~carrousel.core.train.FitResult` (per-epoch history).

    Raises:
        NonFiniteLossError: the fitted weights are not finite, an optimiser step overflowed them, or the
            held-out loss is more than 10x the untrained network's (a diverged training), naming ``[train] lr``
            (``train.lr`` to a Python caller).
    """
    cfg, task, train_loader, val_loader = trainer_parts(train, val, quantiles, settings)
    trainer = Trainer(model, task, cfg, progress_label=label)
    with threads(settings.threads):
        result = fit_refusing(
            trainer, train_loader, val_loader, lr_fix("train.lr", settings.lr, "[train] lr")
        )
    model.to("cpu")
    if result.history:
        last = result.history[-1]
        logger.info(
            "fitted %d epoch(s): train_loss %.4f, best %s %.4f (epoch %s)",
            len(result.history), last.get("train_loss", float("nan")), result.monitor,
            result.best_score if result.best_score is not None else float("nan"), result.best_epoch,
        )  # fmt: skip
    return result


@check_args
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


def fit_at(
    series_list: list[SeriesData],
    cuts: dict[str, int],
    cfg: FinanceConfig,
    panel: PanelData | None = None,
    init: ForecasterEnsemble | None = None,
) -> FittedForecaster:
    """Trains a seed ensemble on every ticker's data up to its cut-off row.

    Member ``i`` is seeded with ``cfg.train.seed + i`` (weights and batch order) and trained on the same
    windows, exactly as a single network with that seed would be.

    Args:
        series_list: the tickers' arrays.
        cuts: last observable row per ticker (tickers absent or with too little data are skipped).
        cfg: the run configuration.
        panel: the windows, when already indexed (:func:`~carrousel.finance.panel.panel_windows` of the
            same arguments); built here otherwise.
        init: an ensemble of the same configuration whose member ``i``'s weights member ``i`` starts from
            (a warm start: ``[backtest] warm_refit_epochs``; fresh optimiser, ``cfg.train.epochs`` epochs);
            None: freshly initialised weights.

    Raises:
        PriceDataError: when fewer than 100 training windows exist.
        ValueError: ``init`` has another number of members or another network configuration.
    """
    data = panel if panel is not None else panel_windows(series_list, cuts, cfg)
    qs = cfg.model.quantiles
    nets, histories = [], []
    for i in range(cfg.model.members):
        seed = cfg.train.seed + i
        torch.manual_seed(seed)
        net = build_forecaster(cfg.model, cfg.window)
        if init is not None:
            _warm_start(net, init, i, cfg.model.members)
        settings = replace(cfg.train, seed=seed)
        label = f"member {i + 1}/{cfg.model.members}" if cfg.model.members > 1 else ""
        result = fit_forecaster(net, data.train, data.val, qs, settings, label=label)
        nets.append(net.eval())
        histories.append(list(result.history))
    model = build_ensemble(nets, cfg.train.seed).eval()
    offsets, member_offsets, log_scale, member_log_scale = calibrate(
        model, data, cfg, series_list, cfg.train.precision
    )
    return FittedForecaster(
        model,
        data.scalers,
        offsets,
        cfg.window,
        tuple(histories),
        member_offsets,
        log_scale=log_scale,
        member_log_scale=member_log_scale,
        garch_weight=cfg.backtest.garch_weight,
        precision=cfg.train.precision,  # the forecasts' numbers: those of the fitting and calibration above
    )


def _warm_start(net: nn.Module, init: ForecasterEnsemble, i: int, members: int) -> None:
    """Copies member ``i`` of ``init`` into ``net`` (of the same configuration).

    Raises:
        ValueError: ``init`` has another number of members or another network configuration.
    """
    if len(init.members) != members or init.members[i].config != getattr(net, "config", None):
        raise ValueError(
            f"a warm start needs an ensemble of {members} member(s) of the same network; the previous fit "
            f"has {len(init.members)} of another configuration (do not change the model between refits)"
        )
    net.load_state_dict(init.members[i].state_dict())


def calibrate(
    model: ForecasterEnsemble,
    data: PanelData,
    cfg: FinanceConfig,
    series_list: list[SeriesData],
    precision: str = "fp32",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The ensemble's and each member's calibration on the held-out windows (``[backtest] calibration``),
    fitted on the forecasts as they will be made (averaged with GARCH's when ``garch_weight > 0``):
    ``(offsets (H, Q), member_offsets (N, H, Q), log_scale (H, Q) | None, member_log_scale (N, H, Q) |
    None)``; zero offsets and no multipliers when calibration is off. ``series_list``: the tickers the
    windows ``data`` were built from; the calibration sees the earliest ``[backtest] calibration_share`` of each
    series' validation windows (:meth:`~carrousel.finance.panel.PanelData.earliest`); ``precision``: the
    numbers of those held-out forecasts (the forecaster's own, as its forecasts will be made)."""
    data = data.earliest(cfg.backtest.calibration_share)
    qs = cfg.model.quantiles
    shape = (cfg.window.horizon, len(qs))
    offsets, member_offsets = np.zeros(shape), np.zeros((len(model.members), *shape))
    log_scale = member_log_scale = None
    if cfg.backtest.conformal:  # the held-out windows also chose the epoch: a mild, documented reuse
        ensemble, per_member = ensemble_and_members(model, data.val, precision)
        if cfg.backtest.garch_weight > 0:  # calibrate the average the forecasts will be
            g = _held_out_garch(series_list, data, cfg)
            ensemble = combine_garch(ensemble, g, cfg.backtest.garch_weight)
            per_member = combine_garch(per_member, g[None], cfg.backtest.garch_weight)
        if cfg.backtest.calibration == "scale":
            log_scale = scale_calibration(ensemble, data.y_val, qs)
            member_log_scale = np.stack([scale_calibration(p, data.y_val, qs) for p in per_member])
        else:
            offsets = conformal_offsets(ensemble, data.y_val, qs)
            member_offsets = np.stack([conformal_offsets(p, data.y_val, qs) for p in per_member])
    return offsets, member_offsets, log_scale, member_log_scale


def _held_out_garch(series_list: list[SeriesData], data: PanelData, cfg: FinanceConfig) -> np.ndarray:
    """``(m, H, Q)`` GARCH quantiles at the held-out origins (``data.y_val``'s rows, in target units), each
    series' GARCH fitted on its rows up to its first held-out origin."""
    by_name = {s.ticker: s for s in series_list}
    h, qs, how = cfg.window.horizon, cfg.model.quantiles, cfg.window.target_scale
    parts = []
    for name, val in zip(data.names, data.val_origins, strict=True):
        s = by_name[name]
        scale = target_scales(s, data.scalers[name], val, h, how)
        parts.append(garch_quantiles(s, int(val[0]), val, h, qs) / scale[:, :, None])
    return np.concatenate(parts)
