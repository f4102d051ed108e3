"""What :meth:`carrousel.core.train.Trainer.fit` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns.

    Attributes:
        history: one dict per epoch (``epoch`` counts from 1, ``train_loss``, ``val_*``, ``lr``, ...); the
            last holds ``"partial": 1.0`` when ``max_steps`` or a callback stopped the fit inside that epoch.
        best_epoch: the epoch (from 1) with the best monitored value, or None.
        best_score: that value, or None.
        monitor: the key that was monitored.
        steps: optimiser steps taken (including skipped ones).
        skipped_steps: steps skipped because the loss or gradient was not finite.
        stopped_early: True when a callback (e.g. early stopping) ended training.
        last_checkpoint: path of the last checkpoint written, or None.
        best_checkpoint: path of ``best.pt``, or None.
    """

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    monitor: str = "val_loss"
    steps: int = 0
    skipped_steps: int = 0
    stopped_early: bool = False
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None
