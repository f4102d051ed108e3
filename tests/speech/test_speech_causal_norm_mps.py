"""Causal normalisation keeps off float64 where the device has none (Apple MPS).

``speech transcribe --device mps`` with a causal model (the shipped stream model, or one trained with
``--normalize causal``) computes its features on the device, and ``causal_normalize`` summed them in
float64 there: a float64 tensor on MPS raises. No MPS device runs here, so the CPU test makes core's
``wide_float`` answer as for MPS (float32) and fails on any float64 tensor made by the call; the result
stays within 1e-4 of the float64 one. The last test runs the real thing where MPS exists.
"""

from __future__ import annotations

import pytest
import torch

from carrousel.speech import features
from carrousel.speech.features import CausalNormState, causal_normalize
from tests.no_float64 import NoFloat64


def _frames(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mean, std = torch.randn(13, generator=g) * 10, torch.rand(13, generator=g) * 5 + 1
    return torch.randn(300, 13, generator=g) * std + mean, mean, std


def test_causal_normalize_makes_no_float64_on_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    feats, mean, std = _frames(0)
    wide_state = CausalNormState(mean, std)
    expected = [causal_normalize(part, wide_state) for part in feats.split(120)]  # float64 sums (CPU)
    monkeypatch.setattr(features, "wide_float", lambda device: torch.float32)
    state = CausalNormState(mean, std)  # built from the CPU statistics, as the recogniser's extractor does
    with NoFloat64():
        got = [causal_normalize(part, state) for part in feats.split(120)]  # chunk to chunk, as streaming
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b, atol=1e-4, rtol=0)


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_causal_normalize_runs_on_mps() -> None:
    feats, mean, std = _frames(1)
    expected = causal_normalize(feats, CausalNormState(mean, std))
    got = causal_normalize(feats.to("mps"), CausalNormState(mean, std))
    assert got.device.type == "mps"
    torch.testing.assert_close(got.cpu(), expected, atol=1e-4, rtol=0)
