"""Finance's training loaders pin by core's one rule (:func:`carrousel.core.device.pin_memory_for`): for a
CUDA device only. Finance's own rule pinned for any device but "cpu" where CUDA exists (mps too) and never
for a "cuda" device on a machine that reports no CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carrousel.finance.config import TrainSettings
from carrousel.finance.training import trainer_parts


def _loaders(device: str) -> list[bool]:
    x, y = np.zeros((40, 4, 2), np.float32), np.zeros((40, 3), np.float32)
    _, _, train, val = trainer_parts(
        (x[:30], y[:30]), (x[30:], y[30:]), (0.1, 0.5, 0.9), TrainSettings(device=device)
    )
    assert val is not None
    return [train.pin_memory, val.pin_memory]


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_a_cuda_device_pins(device: str) -> None:
    assert _loaders(device) == [True, True]


@pytest.mark.parametrize("device", ["cpu", "mps"])
def test_other_devices_do_not_pin_even_where_cuda_exists(
    monkeypatch: pytest.MonkeyPatch, device: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _loaders(device) == [False, False]


@pytest.mark.parametrize("available", [True, False])
def test_auto_pins_where_it_picks_cuda(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert _loaders("auto") == [available, available]
