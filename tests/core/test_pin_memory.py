"""core.device.pin_memory_for: the one rule for page-locked DataLoader batches (CUDA only), which every
domain's training loaders follow so that the trainer's ``non_blocking`` copy is asynchronous."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core.device import pin_memory_for
from carrousel.core.errors import ConfigError


@pytest.mark.parametrize(
    "device", ["cuda", "cuda:0", "cuda:3", torch.device("cuda"), torch.device("cuda", 1)]
)
def test_cuda_pins(device: str | torch.device) -> None:
    assert pin_memory_for(device) is True


@pytest.mark.parametrize("device", ["cpu", "mps", "meta", torch.device("cpu"), torch.device("mps"), "meta:0"])
def test_other_devices_do_not_pin(device: str | torch.device) -> None:
    assert pin_memory_for(device) is False


@pytest.mark.parametrize("available", [True, False])
def test_auto_pins_where_cuda_is_picked(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    assert pin_memory_for("auto") is available
    assert pin_memory_for(None) is available


def test_an_explicit_device_does_not_ask_for_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old finance rule (any device but "cpu" pins where CUDA exists) pinned for mps on a CUDA host."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pin_memory_for("mps") is False
    assert pin_memory_for("cpu") is False


def test_unknown_device_is_one_line() -> None:
    with pytest.raises(ConfigError, match="unknown device 'gpu0'"):
        pin_memory_for("gpu0")


@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
def test_loader_iterates_alike_pinned_or_not_on_cpu() -> None:
    """On a machine without CUDA a pinned loader still gives the same batches (torch warns, pins nothing)."""
    data = TensorDataset(torch.arange(10.0), torch.arange(10))
    plain = list(DataLoader(data, batch_size=4, pin_memory=pin_memory_for("cpu")))
    pinned = list(DataLoader(data, batch_size=4, pin_memory=True))
    assert len(plain) == len(pinned) == 3
    for a, b in zip(plain, pinned, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_loader_batches_are_page_locked() -> None:
    data = TensorDataset(torch.arange(10.0))
    (batch,) = next(iter(DataLoader(data, batch_size=4, pin_memory=pin_memory_for("cuda"))))
    assert batch.is_pinned()
