"""Trainer tasks of carrousel.nlp: what core's :class:`~carrousel.core.train.Trainer` runs per batch.

* :class:`SentimentTask`: batches ``(ids (B, T), lengths (B,), labels (B,))`` from
  :class:`~carrousel.core.data.SequenceCollator`; cross-entropy, validation accuracy and macro F1.
* :class:`LanguageModelTask`: stateful; batches ``{"x": (B, S), "y": (B, S)}`` cut by the trainer into
  truncated-BPTT chunks, the recurrent state carried from chunk to chunk and batch to batch.
* :class:`TranslationTask`: batches ``(src (B, S), src_lengths (B,), y (B, T), y_lengths (B,))`` from
  :class:`~carrousel.core.data.SequenceCollator` with sequence targets (``y`` = target ids then
  ``[EOS]``, padded with -100); teacher forcing from ``[BOS] + y``, label-smoothed cross-entropy over
  the valid target tokens.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.metrics import F1, Accuracy, Metric
from carrousel.core.train import Task

__all__ = ["LanguageModelTask", "SentimentTask", "TranslationTask", "teacher_inputs"]


class SentimentTask(Task):
    """Classification of padded token sequences.

    Args:
        num_classes: classes of the model (F1 is binary for 2, macro otherwise).
        label_smoothing: cross-entropy label smoothing.
    """

    @check_args
    def __init__(self, num_classes: int, label_smoothing: float = 0.0) -> None:
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Tensor:
        ids, lengths = batch[0], batch[1]
        out: Tensor = model(ids, lengths)
        return out

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return F.cross_entropy(outputs, batch[2], label_smoothing=self.label_smoothing)

    def metrics(self) -> dict[str, Metric]:
        average = "binary" if self.num_classes == 2 else "macro"
        return {"accuracy": Accuracy(), "f1": F1(average, num_classes=self.num_classes)}  # type: ignore[arg-type]

    def update_metrics(self, metrics: dict[str, Metric], outputs: Tensor, batch: Any) -> None:
        for metric in metrics.values():
            metric.update(outputs, batch[2])


class LanguageModelTask(Task):
    """Next-token prediction with the state carried across truncated-BPTT chunks."""

    stateful = True

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> tuple[Tensor, Any]:
        logits, new_state = model(batch["x"], state[0] if state else None)
        return logits, new_state

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return F.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), batch["y"].reshape(-1))

    def batch_size(self, batch: Any) -> int:
        """Tokens in the chunk, so that averaged losses are per token."""
        return int(batch["y"].numel())


@check_args
def teacher_inputs(y: Tensor, bos: int) -> Tensor:
    """Decoder inputs ``[BOS] + y[:-1]`` of ``(B, T)`` targets padded with negatives (padding becomes 0)."""
    start = torch.full_like(y[:, :1], bos)
    return torch.cat([start, y[:, :-1]], dim=1).clamp(min=0)


class TranslationTask(Task):
    """Teacher-forced sequence-to-sequence training.

    Args:
        bos: the id fed before the first target token.
        label_smoothing: cross-entropy label smoothing.
    """

    @check_args
    def __init__(self, bos: int, label_smoothing: float = 0.0) -> None:
        self.bos = bos
        self.label_smoothing = label_smoothing

    def forward(self, model: nn.Module, batch: Any, *state: Any) -> Tensor:
        src, lengths, y = batch[0], batch[1], batch[2]
        out: Tensor = model(src, lengths, teacher_inputs(y, self.bos))
        return out

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        y = batch[2]
        return F.cross_entropy(
            outputs.reshape(-1, outputs.shape[-1]).float(),
            y.reshape(-1),
            ignore_index=-100,
            label_smoothing=self.label_smoothing,
        )
