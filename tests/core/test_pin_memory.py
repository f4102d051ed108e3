"""core.device.pin_memory_for: the one rule for page-locked DataLoader batches (CUDA only), which every
domain's training loaders follow so that the trainer's ``non_blocking`` copy is asynchronous."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from carrousel.core import device as device_module
from carrousel.core.device import move_batch, move_to, pin_memory_for
from carrousel.core.errors import ConfigError
from tests.cuda_pins import fake_page_locking, rule_as_cuda


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


class _LoaderPinned(torch.Tensor):
    """A tensor a pinning DataLoader gave (page-locked: it needs a GPU, so only said here)."""

    def is_pinned(self, device: object = None) -> bool:
        return True


@dataclasses.dataclass
class _Pair:
    x: torch.Tensor
    y: torch.Tensor


def test_move_to_page_locks_cpu_batches_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pin`` (the trainer's and evaluation loop's, for CUDA) copies each CPU tensor not yet page-locked
    into a contiguous page-locked one before the copy, in every container move_to walks; a loader's pinned
    tensors and non-tensors are left alone. Page-locking is faked (it needs a GPU). Fails on main (no pin)."""
    locked = fake_page_locking(monkeypatch)
    stream = torch.arange(24).view(3, 8)
    window, floats = stream[:, 2:6], torch.randn(3, 4)
    pinned = torch.ones(3, dtype=torch.long).as_subclass(_LoaderPinned)
    batch = {"x": window, "pair": _Pair(floats, pinned), "rows": (window[0], 7), "name": "a"}
    plain = move_to(batch, torch.device("cpu"), dtype=torch.float64)
    assert locked == []
    moved = move_to(batch, torch.device("cpu"), dtype=torch.float64, pin=True)
    assert (
        len(locked) == 3 and locked[0] is window and locked[1] is floats and torch.equal(locked[2], window[0])
    )
    assert moved["pair"].y is pinned and moved["name"] == "a" and moved["rows"][1] == 7
    assert moved["x"].is_contiguous() and not window.is_contiguous()
    assert torch.equal(moved["x"], plain["x"]) and torch.equal(moved["pair"].x, plain["pair"].x)
    assert moved["pair"].x.dtype == torch.float64 and moved["x"].dtype == torch.int64


@pytest.mark.parametrize("cuda", [True, False])
def test_move_batch_page_locks_where_the_rule_says(monkeypatch: pytest.MonkeyPatch, cuda: bool) -> None:
    """``move_batch`` (what the trainer, the evaluation loop, ``predict`` and the learning-rate sweep call,
    each of which asked :func:`pin_memory_for` itself before) is ``move_to`` with the model's dtype, pinned
    by the rule for the batch's device; ``move_to``'s own default still pins nothing. Page-locking is faked
    and the rule answers as for CUDA (``cuda``). Fails on main (no move_batch)."""
    locked = fake_page_locking(monkeypatch)
    asked = rule_as_cuda(monkeypatch, device_module, cuda)
    batch = {"x": torch.arange(24.0).view(3, 8)[:, 2:6], "ids": torch.arange(3)}
    moved = move_batch(batch, torch.device("cpu"), torch.float64)
    assert [str(d) for d in asked] == ["cpu"]
    assert [t is batch["x"] or t is batch["ids"] for t in locked] == [True, True] * cuda
    assert moved["x"].dtype == torch.float64 and moved["ids"].dtype == torch.int64
    assert torch.equal(moved["x"], batch["x"].double()) and torch.equal(moved["ids"], batch["ids"])
    move_to(batch, torch.device("cpu"), dtype=torch.float64)
    assert len(locked) == 2 * cuda and len(asked) == 1  # move_to alone: no rule asked, nothing pinned


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_move_to_pins_a_window_of_a_stream_on_cuda() -> None:
    stream = torch.arange(24).view(3, 8)
    window = stream[:, 2:6]
    locked = device_module._page_locked(window)
    assert locked.is_pinned() and locked.is_contiguous() and torch.equal(locked, window)
    moved = move_to({"x": window}, torch.device("cuda"), pin=True)
    assert torch.equal(moved["x"].cpu(), window)
