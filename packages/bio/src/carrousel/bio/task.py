"""The training task of the DanQ models: multi-task binary cross-entropy with reverse-complement
augmentation, and ROC-AUC / PR-AUC (macro over motifs) as validation metrics."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from carrousel.bio.models import rc_one_hot
from carrousel.core.args import check_args
from carrousel.core.metrics import PRAUC, ROCAUC, Metric
from carrousel.core.train import Task

__all__ = ["MotifTask"]


class MotifTask(Task):
    """Batches are ``(x (B, 4, T) one-hot float, y (B, K) 0/1 float)``.

    Args:
        rc_augment: in training mode, reverse-complement a random half of each batch.
    """

    @check_args
    def __init__(self, rc_augment: bool = True) -> None:
        self.rc_augment = rc_augment

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Tensor:
        x = batch[0]
        if model.training and self.rc_augment:
            flip = torch.rand(x.shape[0], device=x.device) < 0.5
            x = torch.where(flip[:, None, None], rc_one_hot(x), x)
        return model(x)

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(outputs.float(), batch[1].float())

    def metrics(self) -> dict[str, Metric]:
        return {"auroc": ROCAUC(), "auprc": PRAUC()}

    def update_metrics(self, metrics: dict[str, Metric], outputs: Any, batch: Any) -> None:
        y = batch[1]
        scores = outputs.detach().float()
        if y.shape[1] == 1:
            scores, y = scores[:, 0], y[:, 0]
        for m in metrics.values():
            m.update(scores, y.long())
