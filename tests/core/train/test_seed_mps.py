"""A resumed run restores the Apple MPS generator too: dropout and zoneout masks drawn on an MPS device
come from its own generator, which ``get_rng_state`` left out (CUDA's was kept), so a run resumed from a
checkpoint on MPS drew other masks than the uninterrupted one. No MPS device runs here: the CPU test fakes
its presence (``torch.backends.mps.is_available`` and the generator's get/set); the last test runs the
real round trip where MPS exists.
"""

from __future__ import annotations

import pytest
import torch

from carrousel.core.train import seed as seed_module
from carrousel.core.train.seed import get_rng_state, set_rng_state


def test_the_mps_generator_is_captured_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    mps_state = torch.arange(16, dtype=torch.uint8)
    restored: list[torch.Tensor] = []
    monkeypatch.setattr(seed_module.torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(seed_module.torch.mps, "get_rng_state", lambda: mps_state.clone())
    monkeypatch.setattr(seed_module.torch.mps, "set_rng_state", restored.append)
    state = get_rng_state()
    assert torch.equal(state["mps"], mps_state)
    set_rng_state(state)
    assert len(restored) == 1 and torch.equal(restored[0], mps_state)


def test_a_state_without_mps_restores_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint written where there was no MPS (or by an older carrousel) resumes on an MPS machine."""
    state = get_rng_state()
    state.pop("mps", None)
    monkeypatch.setattr(seed_module.torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(seed_module.torch.mps, "set_rng_state", lambda s: pytest.fail("no MPS state"))
    set_rng_state(state)


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_mps_draws_repeat_after_a_restore() -> None:
    state = get_rng_state()
    first = torch.rand(8, device="mps").cpu()
    set_rng_state(state)
    assert torch.equal(torch.rand(8, device="mps").cpu(), first)
