"""The distilled variant of ``finance export --distill H``: one student network of ``H`` recurrent units
(:data:`MEMBERS`) trained on the full seed ensemble's quantile forecasts.

Steps: the training and held-out windows the forecaster was fitted on are read again
(:func:`~carrousel.finance.prune.training_windows`: its own prices, up to its last training date; never the
export report's evaluation days). Each student, built with the forecaster's settings but ``H`` units, is
trained through the Trainer from scratch with the forecaster's own training settings (epochs, learning rate,
early stopping on the held-out windows, seed + i) on core's :class:`~carrousel.core.train.DistillationTask`
(``kind="mse"``): ``ALPHA`` times the squared error to the teacher ensemble's (scaled, uncalibrated)
quantiles, run on the fly, plus ``1 - ALPHA`` times the pinball loss against the observed returns. The
interval calibration is then fitted again on the held-out windows, as for the pruned variant
(:func:`~carrousel.finance.prune.recalibrated`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.export.choices import InferencePrecision
from carrousel.core.train import DistillationTask, DistillConfig, Trainer, check_held_out, fit_refusing
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.config import ExportConfig
from carrousel.finance.data import PriceHistory
from carrousel.finance.models import build_ensemble, build_forecaster
from carrousel.finance.prune import recalibrated, retrain_fix, training_windows
from carrousel.finance.training import threads, trainer_parts

__all__ = ["ALPHA", "MEMBERS", "distilled_forecaster"]

logger = logging.getLogger(__name__)

ALPHA = 0.7  # weight of the teacher's quantiles against the observed returns' pinball loss
MEMBERS = 1  # student networks: 2 of 8 units measured no closer to the teacher than 1 (AAPL), and slower


def _teacher_forward(teacher: nn.Module, batch: Any) -> Tensor:
    out: Tensor = teacher(batch["x"])
    return out


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 6) for k, v in figures.items()}


def distilled_forecaster(
    saved: ForecasterBundle, cfg: ExportConfig, histories: list[PriceHistory] | None = None
) -> tuple[ForecasterBundle, dict[str, Any]]:
    """A student (:data:`MEMBERS` networks) of ``cfg.distill`` units trained on ``saved``'s forecasts over its
    training windows (of ``histories``, the prices already read, when given), calibrated again.

    Returns:
        The student bundle (the full one's config with the student's hidden size and members, its data
        provenance and scoreboard) and a JSON-ready summary.

    Raises:
        PriceDataError: the training prices cannot be read, or no longer reach the training dates.
    """
    config = saved.config
    series, windows = training_windows(saved, cfg, histories)
    fitted = saved.fitted
    teacher = fitted.model.eval()
    qs = fitted.quantiles
    small_cfg = replace(config.model, hidden_size=cfg.distill, members=MEMBERS)
    nets, students = [], []
    teacher_val: dict[str, float] = {}
    for i in range(MEMBERS):
        # trained in float32 (the export's ONNX model runs fp32/int8)
        settings = replace(
            config.train, seed=config.train.seed + i, progress=False, precision=InferencePrecision.FP32
        )
        tcfg, task, train_loader, val_loader = trainer_parts(windows.train, windows.val, qs, settings)
        if i == 0 and val_loader is not None:  # the full ensemble on the held-out windows (task metrics)
            with threads(settings.threads):
                teacher_val = _rounded(Trainer(teacher, task, tcfg).evaluate(val_loader))
        distill = DistillationTask(
            task, DistillConfig(alpha=ALPHA, kind="mse"), teacher=teacher, teacher_forward=_teacher_forward
        )
        with threads(settings.threads):
            torch.manual_seed(settings.seed)  # the student's initial weights, as training seeds a member
            student = build_forecaster(small_cfg, config.window)
            trainer = Trainer(student, distill, tcfg)
            fix = retrain_fix(settings.lr, cfg.model_dir)
            result = fit_refusing(trainer, train_loader, val_loader, fix)
            held_out = trainer.evaluate(val_loader) if val_loader is not None else {}
        # e.g. a teacher whose forecasts overflow the loss
        check_held_out(held_out.get("loss", 0.0), result, fix, "the student's held-out loss")
        nets.append(student.cpu().eval())
        students.append(
            {
                "epochs": len(result.history),
                "best_epoch": result.best_epoch,
                "val": _rounded(held_out),
            }
        )
        logger.info("student %d: %s", i, students[-1])
    teacher.cpu()  # the task moved it to the batch's device
    model = build_ensemble(nets, config.train.seed).eval()
    small = recalibrated(saved, model, windows, series)
    summary = {
        "hidden_size": {"before": teacher.config.member.encoder.hidden_size, "after": cfg.distill},
        "members": {"before": len(teacher.members), "after": MEMBERS},
        "alpha": ALPHA,
        "parameters": {
            "before": sum(p.numel() for p in teacher.parameters()),
            "after": sum(p.numel() for p in model.parameters()),
        },
        "windows": {"train": len(windows.train), "held_out": len(windows.val)},
        "teacher_val": teacher_val,
        "students": students,
    }
    return replace(saved, fitted=small, config=replace(config, model=small_cfg)), summary
