"""Bio's training loaders (bio train's fit_model, the pruned and distilled variants of bio export) pin their
batches where the trainer runs on CUDA, by core's rule (:func:`carrousel.core.device.pin_memory_for`), so
that the trainer's ``non_blocking`` copy is asynchronous; on the CPU nothing changes. The CUDA cases run
on the CPU with the rule answering as for CUDA (each fails on main, where no bio loader pinned)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.bio import distill, prune, training
from carrousel.bio.bundle import load_model
from carrousel.bio.config import ExportConfig
from carrousel.bio.models import DanQConfig
from carrousel.bio.motifs import Motif
from carrousel.bio.training import windows_loader
from carrousel.core.train import TrainConfig
from tests.cuda_pins import rule_as_cuda, spy_loaders

pytestmark = pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")


class _StopError(Exception):
    """Ends a variant's build once its loaders exist."""


def _as_cuda(monkeypatch: pytest.MonkeyPatch, module: Any, cuda: bool) -> tuple[list[Any], list[bool]]:
    """The rule in ``module`` answering as for CUDA (``cuda``) or as it does, and a spy on the loaders it
    builds: (the devices the rule was asked about, each loader's ``pin_memory``)."""
    asked = rule_as_cuda(monkeypatch, module, cuda)
    return asked, spy_loaders(monkeypatch, module, "windows_loader", windows_loader)


def test_windows_loader_pins_when_asked() -> None:
    x, y = np.zeros((10, 12), np.uint8), np.zeros((10, 1), np.float32)
    assert windows_loader(x, y, 4, True, 0).pin_memory is False
    pinned = windows_loader(x, y, 4, False, 0, pin_memory=True)
    assert pinned.pin_memory is True
    plain = list(windows_loader(x, y, 4, False, 0))
    for a, b in zip(plain, pinned, strict=True):  # the same batches on the CPU
        assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize("cuda", [True, False])
def test_fit_model_pins_for_a_cuda_trainer(monkeypatch: pytest.MonkeyPatch, cuda: bool) -> None:
    asked, pins = _as_cuda(monkeypatch, training, cuda)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(80, 40)).astype(np.uint8)
    y = np.zeros((80, 1), dtype=np.float32)
    y[:40] = 1
    motif = Motif("site", "site", np.eye(4)[[3, 3, 2, 0, 1, 2, 1, 0]] * 20)
    training.fit_model(
        x,
        y,
        [motif],
        DanQConfig(n_outputs=1, filters=4, kernel=9, hidden=4, window=40),
        TrainConfig(epochs=1, lr=1e-2, device="cpu", progress=False, seed=0),
        batch_size=32,
    )
    assert asked == [torch.device("cpu")]  # the trainer's device
    assert pins == [cuda, cuda]  # validation and training


@pytest.mark.parametrize(("module", "variant"), [(prune, "prune"), (distill, "distill")])
def test_export_variants_pin_for_a_cuda_trainer(
    monkeypatch: pytest.MonkeyPatch, toy: dict[str, Path], module: Any, variant: str
) -> None:
    full = load_model(toy["model"])
    for cuda in (True, False):
        asked, pins = _as_cuda(monkeypatch, module, cuda)

        def stop(*args: Any, **kwargs: Any) -> Any:
            raise _StopError

        monkeypatch.setattr(module, "prune_and_finetune" if variant == "prune" else "Trainer", stop)
        extra: dict[str, Any] = {"prune": 0.5} if variant == "prune" else {"distill": 4}
        cfg = ExportConfig(model=str(toy["model"]), precision="fp32", finetune_epochs=1, **extra)
        build = prune.pruned_model if variant == "prune" else distill.distilled_model
        with pytest.raises(_StopError):
            build(full, cfg)
        assert set(asked) == {"auto"}  # the variant's TrainConfig device
        assert pins == [cuda, cuda]
