"""The forecasting task for :class:`carrousel.core.train.Trainer`: pinball loss over horizons and quantiles.

Batches are dicts ``{"x": (B, L, F) windows, "y": (B, H) scaled cumulative log returns}``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from carrousel.core.metrics import MeanAbsoluteError, Metric, PinballLoss
from carrousel.core.nn.heads import pinball_loss
from carrousel.core.train.task import Task

__all__ = ["QuantileForecastTask"]


class QuantileForecastTask(Task):
    """Direct multi-horizon quantile regression.

    Args:
        quantiles: the ``Q`` levels the model predicts, sorted, containing 0.5.
    """

    def __init__(self, quantiles: tuple[float, ...]) -> None:
        self.quantiles = tuple(quantiles)
        self.mid = self.quantiles.index(0.5)

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Tensor:
        """Returns ``(B, H, Q)`` scaled quantiles for the batch's windows."""
        return model(batch["x"])

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        """Mean pinball loss over the batch, horizons and quantiles."""
        return pinball_loss(outputs, batch["y"], self.quantiles)

    def metrics(self) -> dict[str, Metric]:
        """Validation metrics: pinball loss and the median's MAE (both in scaled units)."""
        return {"pinball": PinballLoss(self.quantiles), "median_mae": MeanAbsoluteError()}

    def update_metrics(self, metrics: dict[str, Metric], outputs: Tensor, batch: Any) -> None:
        """Feeds one batch to the metrics."""
        metrics["pinball"].update(outputs, batch["y"])
        metrics["median_mae"].update(outputs[..., self.mid], batch["y"])
