"""The learning-rate sweep (:func:`find_lr`) and ``predict``'s array slices are page-locked before their
copy to CUDA, as the Trainer's batches are (:func:`carrousel.core.device.pin_memory_for`): from pageable
memory the copy is synchronous. Run on the CPU with the rule answering as for CUDA and page-locking faked
(as in tests/core/test_pin_memory.py); on the CPU nothing is pinned, and the results are the same either
way. Each CUDA case fails on main, where neither pinned."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset
from train_helpers import RegressionTask, linear_data, mlp

from carrousel.core import device as core_device
from carrousel.core.train import TrainConfig, find_lr, predict
from tests.cuda_pins import fake_page_locking, rule_as_cuda


def _sweep(monkeypatch: pytest.MonkeyPatch, cuda: bool) -> tuple[list[torch.Tensor], list[Any], Any]:
    locked = fake_page_locking(monkeypatch)
    asked = rule_as_cuda(monkeypatch, core_device, cuda)
    x, y = linear_data(96)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32)]  # prebuilt, not a loader
    cfg = TrainConfig(optimizer="sgd", momentum=0.0, grad_clip_norm=None, device="cpu")
    result = find_lr(mlp(dropout=0.0), RegressionTask(), batches, cfg, start_lr=1e-4, end_lr=1.0, num_steps=6)
    return locked, [t for b in batches for t in b], (asked, result)


def test_the_learning_rate_sweep_page_locks_its_batches_for_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    locked, made, (asked, pinned) = _sweep(monkeypatch, cuda=True)
    assert [str(d) for d in asked] == ["cpu"] * 6  # about the sweep's device, by core's move_batch, per step
    assert len(locked) == 12 and all(any(t is u for u in made) for t in locked)  # 6 steps of (x, y)
    locked, _, (_, plain) = _sweep(monkeypatch, cuda=False)
    assert locked == []
    assert (plain.lrs, plain.losses, plain.raw_losses) == (pinned.lrs, pinned.losses, pinned.raw_losses)


def test_a_loader_s_pinned_batches_are_not_copied_again(monkeypatch: pytest.MonkeyPatch) -> None:
    locked = fake_page_locking(monkeypatch)
    rule_as_cuda(monkeypatch, core_device, True)
    monkeypatch.setattr(torch.Tensor, "is_pinned", lambda self, device=None: True)  # as a pinning loader's
    x, y = linear_data(64)
    find_lr(mlp(dropout=0.0), RegressionTask(), DataLoader(TensorDataset(x, y), batch_size=32), num_steps=3)
    assert locked == []


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
def test_predict_page_locks_each_slice_for_cuda(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    x, _ = linear_data(50)
    inputs: Any = x.numpy() if kind == "numpy" else x
    model = mlp(dropout=0.0)
    outputs, rows = {}, {}
    for cuda in (True, False):
        locked = fake_page_locking(monkeypatch)
        asked = rule_as_cuda(monkeypatch, core_device, cuda)
        outputs[cuda] = predict(model, inputs, batch_size=16)
        assert [str(d) for d in asked] == ["cpu"] * 4  # by core's move_batch, once per slice
        rows[cuda] = [t.shape[0] for t in locked]
    assert rows == {True: [16, 16, 16, 2], False: []}
    assert np.array_equal(outputs[True], outputs[False])
    assert outputs[True].dtype == np.float64 and outputs[True].shape == (50, 1)
