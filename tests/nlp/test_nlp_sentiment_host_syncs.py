"""nlp sentiment validation (accuracy and F1 over a GPU's logits and labels) reads the device once per
metric and batch, not five times per batch as on main (accuracy 2, F1 3: its NaN, negative-label and
top-label checks); counted on the CPU with tensors marked as on the device (tests/host_reads.py). The counts
are main's to the bit (tests/core/test_metrics_host_reads.py)."""

from __future__ import annotations

import pytest
import torch

from carrousel.nlp.task import SentimentTask
from tests.host_reads import host_reads, on_device


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_sentiment_validation_reads_the_device_once_per_metric_and_batch(classes: int) -> None:
    task = SentimentTask(num_classes=classes)
    metrics = task.metrics()
    gen = torch.Generator().manual_seed(classes)
    reads = []
    for _ in range(4):
        logits = torch.randn(16, classes, generator=gen)
        labels = torch.randint(0, classes, (16,), generator=gen)
        batch = (None, None, on_device(labels))
        with host_reads() as r:
            task.update_metrics(metrics, on_device(logits), batch)
        reads.append(len(r))
    # main: 8, then 11 (5 reads, accuracy 2 and F1 3, plus .to(device) calls the fake counts, no-ops on a GPU)
    assert reads == [len(metrics)] * 4
