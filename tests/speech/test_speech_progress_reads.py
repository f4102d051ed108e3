"""speech's training progress (``pipeline.training._Progress``) advances a bar once a batch and reads no batch figure:
with ``nonfinite="stop"`` the trainer then reads the losses every ``log_every`` steps, not every step (on a
GPU each read makes the host wait for the device). On main its ``on_batch_end`` made the trainer read every
batch's loss and gradient norm (13 reads for 13 batches)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.train import Task, TrainConfig, Trainer
from carrousel.speech.pipeline.training import _Progress
from tests.host_reads import host_reads, on_device


class _MarkedRegression(Task):
    """Mean squared error, the loss marked as lying on the device."""

    def forward(self, model: nn.Module, batch: Any) -> Tensor:
        return model(batch[0])

    def loss(self, outputs: Tensor, batch: Any) -> Tensor:
        return on_device(nn.functional.mse_loss(outputs, batch[1]))


def _reads(callbacks: list[_Progress]) -> int:
    """Host reads of one epoch of 13 batches (``log_every=5``, ``"stop"``)."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(208, 4, generator=g), torch.randn(208, 1, generator=g)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 208, 16)]
    torch.manual_seed(0)
    cfg = TrainConfig(epochs=1, lr=1e-2, progress=False, device="cpu", log_every=5, nonfinite="stop")
    with host_reads() as reads:
        Trainer(nn.Linear(4, 1), _MarkedRegression(), cfg, list(callbacks)).fit(batches)
    return len(reads)


def test_the_speech_progress_makes_no_read_of_its_own() -> None:
    advanced: list[float] = []
    with_bar = _reads([_Progress(advanced.append)])
    without = _reads([])
    assert len(advanced) == 13  # the bar still moves once a batch
    assert with_bar == without < 13  # main: 13 (every batch's figures read for the callback)
