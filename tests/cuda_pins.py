"""Spies for the tests of the domains' pinned loaders (core's rule :func:`carrousel.core.device.pin_memory_for`,
CUDA only): the rule answering as for CUDA on the CPU, and each loader's ``pin_memory``."""

from __future__ import annotations

from typing import Any

import pytest

from carrousel.core.device import pin_memory_for

__all__ = ["rule_as_cuda", "spy_loaders"]


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
