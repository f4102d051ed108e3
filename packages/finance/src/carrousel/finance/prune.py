"""The pruned variant of ``finance export --prune F``: every member of the seed ensemble with fewer recurrent
units, fine-tuned on the history it was trained on, and the calibration fitted again.

Steps: the prices the forecaster was trained on are read again (its data settings, up to the last training
date it records per ticker) and windowed as training windowed them (same scalers' rows, same validation
share, :func:`~carrousel.finance.panel.panel_windows`). Each member then goes through core's
:func:`~carrousel.core.prune.prune_and_finetune` (shared with ``nlp sentiment export`` and ``bio export``):
the share ``F`` of its units is removed (the quantile head's inputs sliced) and the smaller network is
fine-tuned with the training task (the pinball loss on the scaled targets) through the Trainer, with early
stopping on the held-out windows, seeded as the member was. The interval calibration (``scale``
multipliers or offsets) is then fitted again on those held-out windows, as training fits it, since the
pruned members' spread is not the full ones'.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.export.choices import InferencePrecision
from carrousel.core.option_names import option
from carrousel.core.prune import prune_and_finetune
from carrousel.core.train import lr_fix
from carrousel.finance.bundle import ForecasterBundle, find_bundle
from carrousel.finance.config import ExportConfig
from carrousel.finance.data import PriceHistory, load_histories
from carrousel.finance.errors import PriceDataError
from carrousel.finance.features import SeriesData, build_series
from carrousel.finance.global_file import run_prices
from carrousel.finance.models import ForecasterEnsemble, build_ensemble
from carrousel.finance.panel import PanelData, panel_windows
from carrousel.finance.training import FittedForecaster, calibrate, threads, trainer_parts

__all__ = ["pruned_forecaster", "recalibrated", "retrain_fix", "training_windows"]

logger = logging.getLogger(__name__)


@check_args
def retrain_fix(lr: float, model_dir: str) -> str:
    """The fix of a diverged pruned or distilled variant: its training reuses the forecaster's own
    ``[train] lr`` (``train.lr`` to a Python caller), which only training the forecaster again changes (core's
    line reads "lower <fix>")."""
    return f"{lr_fix('train.lr', lr, '[train] lr')} and train the forecaster in {model_dir} again"


def training_windows(
    saved: ForecasterBundle, cfg: ExportConfig, histories: list[PriceHistory] | None = None
) -> tuple[list[SeriesData], PanelData]:
    """The series and the training / held-out windows ``saved`` was fitted on, from ``histories`` (the
    export's prices, already read) or read again (its data settings), up to the last training date it
    records per ticker (same scalers' rows and validation share).

    Raises:
        PriceDataError: the training prices cannot be read, or no longer reach the training dates.
    """
    config = saved.config
    # a global model's own prices: the train-global --data table it records
    found = find_bundle(cfg.model_dir)
    own = run_prices(found, saved, cfg.source) if found is not None else None
    data_cfg = own or replace(config.data, source=cfg.source or config.data.source)
    series, cuts = [], {}
    for history in histories if histories is not None else load_histories(data_cfg):
        s = build_series(history.ticker, history.frame, config.window.indicators)
        last = str(saved.data.get(history.ticker, {}).get("last", ""))
        rows = np.flatnonzero(np.array([str(d.date()) <= last for d in s.dates], dtype=bool))
        if rows.size == 0:
            raise PriceDataError(
                f"{history.ticker}: the prices read ({data_cfg.source}) do not reach the model's training "
                f"data (up to {last}); give the {option('source')} it was trained on"
            )
        series.append(s)
        cuts[history.ticker] = int(rows[-1])
    return series, panel_windows(series, cuts, config)


def recalibrated(
    saved: ForecasterBundle, model: ForecasterEnsemble, windows: PanelData, series: list[SeriesData]
) -> FittedForecaster:
    """``saved``'s forecaster with ``model`` (a smaller ensemble) and its calibration fitted again on the
    held-out windows, as training fits it (the smaller members' spread is not the full ones')."""
    fitted = saved.fitted
    offsets, member_offsets, log_scale, member_log_scale = calibrate(model, windows, saved.config, series)
    return FittedForecaster(
        model,
        windows.scalers,
        offsets,
        fitted.window,
        fitted.histories,
        member_offsets,
        log_scale=log_scale,
        member_log_scale=member_log_scale,
        garch_weight=fitted.garch_weight,
    )


def pruned_forecaster(
    saved: ForecasterBundle, cfg: ExportConfig, histories: list[PriceHistory] | None = None
) -> tuple[ForecasterBundle, dict[str, Any]]:
    """``saved`` with every member pruned by ``cfg.prune`` and fine-tuned on its training windows (of
    ``histories`` when given, :func:`training_windows`), its calibration fitted again.

    Returns:
        The pruned bundle (the full one's config with the smaller hidden size, its data provenance and
        scoreboard) and a JSON-ready summary.

    Raises:
        PriceDataError: the training prices cannot be read, or no longer reach the training dates.
    """
    config = saved.config
    series, windows = training_windows(saved, cfg, histories)
    fitted = saved.fitted
    qs = fitted.quantiles
    nets, members = [], []
    for i, member in enumerate(fitted.model.members):
        settings = replace(  # fine-tuned in float32 (the export's ONNX model runs fp32/int8)
            config.train,
            seed=config.train.seed + i,
            epochs=cfg.finetune_epochs,
            progress=False,
            precision=InferencePrecision.FP32,
        )
        tcfg, task, train_loader, val_loader = trainer_parts(windows.train, windows.val, qs, settings)
        with threads(settings.threads):
            pruned = prune_and_finetune(
                member,
                cfg.prune,
                task,
                train_loader,
                val_loader,
                tcfg,
                fix=retrain_fix(settings.lr, cfg.model_dir),
            )
        nets.append(pruned.model)
        members.append(
            {k: pruned.summary[k] for k in ("epochs", "best_epoch", "val_pruned", "val_finetuned")}
        )
        logger.info("member %d: %s", i, members[-1])
    model = build_ensemble(nets, fitted.model.config.seed).eval()  # type: ignore[arg-type]
    small = recalibrated(saved, model, windows, series)
    before = sum(p.numel() for p in fitted.model.parameters())
    summary = {
        "amount": cfg.prune,
        "hidden_size": {
            "before": fitted.model.config.member.encoder.hidden_size,
            "after": model.config.member.encoder.hidden_size,
        },
        "parameters": {"before": before, "after": sum(p.numel() for p in model.parameters())},
        "windows": {"train": len(windows.train), "held_out": len(windows.val)},
        "members": members,
    }
    smaller = replace(config.model, hidden_size=model.config.member.encoder.hidden_size)
    return replace(saved, fitted=small, config=replace(config, model=smaller)), summary
