"""What the pipelines share: core's TrainConfig from a FitConfig, the tokenizer's file name in bundles."""

from __future__ import annotations

from typing import Any

import torch

from carrousel.core.train import TrainConfig

__all__ = ["TOKENIZER_FILE", "train_config"]

TOKENIZER_FILE = "tokenizer.json"  # the tokenizer inside every nlp bundle (assets/)


def train_config(fit: Any, monitor: str = "val_loss", **extra: Any) -> TrainConfig:
    """Core's TrainConfig from a :class:`~carrousel.nlp.config.FitConfig`."""
    if fit.threads:
        torch.set_num_threads(fit.threads)
    if fit.lr_decay > 0:  # ReduceLROnPlateau after one epoch without improvement (core: step_size // 5)
        extra = {"scheduler": "plateau", "gamma": fit.lr_decay, "step_size": 5, **extra}
    return TrainConfig(
        epochs=fit.epochs,
        lr=fit.lr,
        weight_decay=fit.weight_decay,
        patience=fit.patience,
        monitor=monitor,
        seed=fit.seed,
        device=fit.device,
        progress=fit.progress,
        **extra,
    )
