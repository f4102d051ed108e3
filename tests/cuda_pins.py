"""Spies for the tests of the domains' pinned loaders (core's rule :func:`carrousel.core.device.pin_memory_for`,
CUDA only): the rule answering as for CUDA on the CPU, each loader's ``pin_memory``, and core's page-locking
of a batch's tensors faked (it needs a GPU)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from carrousel.core import device as core_device
from carrousel.core.device import pin_memory_for

__all__ = ["fake_page_locking", "rule_as_cuda", "spy_loaders"]


def rule_as_cuda(monkeypatch: pytest.MonkeyPatch, module: Any, cuda: bool) -> list[Any]:
    """The rule in ``module`` answering as for CUDA (``cuda``) or as it does; the devices it was asked about."""
    asked: list[Any] = []

    def rule(device: Any) -> bool:
        asked.append(device)
        return pin_memory_for("cuda" if cuda else device)

    monkeypatch.setattr(module, "pin_memory_for", rule)
    return asked


def spy_loaders(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, real: Any) -> list[bool]:
    """Each loader ``module.name`` (the function ``real``) builds: its ``pin_memory``."""
    pins: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        loader = real(*args, **kwargs)
        pins.append(loader.pin_memory)
        return loader

    monkeypatch.setattr(module, name, spy)
    return pins


def fake_page_locking(monkeypatch: pytest.MonkeyPatch) -> list[torch.Tensor]:
    """Core's page-locking (``move_to(..., pin=True)``) faked by a contiguous copy, as the real one gives;
    the tensors it was given, in order."""
    locked: list[torch.Tensor] = []

    def page_locked(tensor: torch.Tensor) -> torch.Tensor:
        locked.append(tensor)
        return torch.empty(tensor.shape, dtype=tensor.dtype).copy_(tensor)

    monkeypatch.setattr(core_device, "_page_locked", page_locked)
    return locked
