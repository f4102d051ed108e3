"""Fitting a forecaster with :class:`carrousel.core.train.Trainer` on arrays of windows."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from carrousel.core.train import FitResult, TrainConfig, Trainer
from carrousel.finance.config import TrainSettings
from carrousel.finance.task import QuantileForecastTask

__all__ = ["WindowSet", "fit_forecaster", "predict_quantiles", "window_loader"]

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


def window_loader(
    x: np.ndarray, y: np.ndarray | None, batch_size: int, shuffle: bool, seed: int = 0
) -> DataLoader[dict[str, Tensor]]:
    """A loader of ``{"x": (B, L, F), "y": (B, H)}`` batches built by slicing, in the main process."""
    data = WindowSet(x, y)
    gen = torch.Generator().manual_seed(seed)
    base: Any = RandomSampler(data, generator=gen) if shuffle else SequentialSampler(data)
    sampler = BatchSampler(base, batch_size=batch_size, drop_last=False)
    return DataLoader(data, sampler=sampler, batch_size=None)


def fit_forecaster(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None,
    quantiles: tuple[float, ...],
    settings: TrainSettings,
) -> FitResult:
    """Trains ``model`` in place with early stopping on the validation pinball loss.

    Args:
        model: a forecaster mapping ``(B, L, F)`` to ``(B, H, Q)``.
        train: windows ``(n, L, F)`` and scaled targets ``(n, H)``.
        val: the same for validation (early stopping and best-epoch restore), or None.
        quantiles: the ``Q`` levels.
        settings: epochs, batch size, learning rate...

    Returns:
        The trainer's :class:`~carrousel.core.train.FitResult` (per-epoch history).
    """
    has_val = val is not None and len(val[0]) > 0
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
        progress=False,
    )
    trainer = Trainer(model, QuantileForecastTask(quantiles), cfg)
    train_loader = window_loader(*train, settings.batch_size, shuffle=True, seed=settings.seed)
    val_loader = window_loader(*val, 1024, shuffle=False) if has_val and val is not None else None
    with _threads(settings.threads):
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
def _threads(n: int) -> Iterator[None]:
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


@torch.no_grad()
def predict_quantiles(model: nn.Module, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """Runs ``model`` on windows ``(n, L, F)`` in a few batched passes; returns ``(n, H, Q)`` (float64)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = []
    for i in range(0, len(x), batch_size):
        xb = torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size], dtype=np.float32)).to(device)
        outs.append(model(xb).float().cpu().numpy())
    model.train(was_training)
    if not outs:
        raise ValueError("no windows to predict")
    return np.concatenate(outs).astype(np.float64)
