"""Decoding keeps off float64 where the device has none (Apple MPS: a float64 tensor there raises).

No MPS device runs here, so the CPU tests ask the search what it would do on one: ``wide_float`` (what
the code asks the device) is made to answer float32, as it does for MPS, and a torch-function mode fails
on any float64 tensor made meanwhile. Before, ``beam_search`` kept its scores in float64 whatever the
device, ``gnmt_coverage_penalty`` summed in float64 and ``sample_next``'s extreme-temperature fallback went
to float64: ``nlp translate --beam`` and ``nlp generate`` failed on ``--device mps``. The last test runs
the real thing where MPS exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from carrousel.core import device as core_device
from carrousel.core.decode import beam_search, gnmt_coverage_penalty, sample_next, sampling, search
from tests.no_float64 import NoFloat64

EOS, BOS, V = 0, 1, 7


class CellStep:
    """An LSTMCell decoder with random weights (as test_decode.py's): EOS likelier with each step taken;
    extras ``(N, S)``: softmax weights over ``S`` memory slots, like attention."""

    def __init__(self, seed: int = 0, device: str = "cpu") -> None:
        torch.manual_seed(seed)
        self.emb, self.cell, self.out = nn.Embedding(V, 8), nn.LSTMCell(8, 16), nn.Linear(16, V)
        self.keys = torch.randn(5, 16)
        self.emb, self.cell, self.out, self.keys = (
            m.to(device) for m in (self.emb, self.cell, self.out, self.keys)
        )

    def initial(self, batch: int) -> tuple[Tensor, Tensor, Tensor]:
        dev = self.keys.device
        steps = -1.5 * torch.arange(batch, dtype=torch.float32)
        return torch.randn(batch, 16).to(dev), torch.randn(batch, 16).to(dev), steps.to(dev)

    @torch.no_grad()
    def __call__(self, labels: Tensor, state: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Any, Tensor]:
        h, c = self.cell(self.emb(labels), state[:2])
        logits = self.out(h)
        logits[:, EOS] += 0.6 * state[2] - 2.5
        return logits.log_softmax(-1), (h, c, state[2] + 1), (h @ self.keys.T).softmax(-1)


@pytest.fixture
def as_on_mps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The decoders' ``wide_float`` answers as for an MPS device."""
    for module in (search, sampling):
        monkeypatch.setattr(module, "wide_float", lambda device: torch.float32)
    yield


def test_wide_float_is_float32_on_mps_only() -> None:
    assert core_device.wide_float(torch.device("mps")) is torch.float32
    for name in ("cpu", "cuda", "cuda:1"):
        assert core_device.wide_float(torch.device(name)) is torch.float64


def test_beam_search_and_coverage_make_no_float64_on_mps(as_on_mps: None) -> None:
    step = CellStep(seed=5)
    with NoFloat64():
        found = beam_search(
            step, step.initial(2), BOS, EOS, 8, beam_size=3, n_best=2,
            coverage_penalty=gnmt_coverage_penalty(0.2), length_penalty=1.0,
        )  # fmt: skip
    assert len(found) == 2 and all(len(hyps) == 2 for hyps in found)


def test_beam_search_scores_agree_in_float32(as_on_mps: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The float32 scores (MPS) pick the same hypotheses as the float64 ones, scores within 1e-5."""
    step = CellStep(seed=5)
    narrow = beam_search(step, step.initial(3), BOS, EOS, 10, beam_size=4, n_best=2)
    monkeypatch.setattr(search, "wide_float", core_device.wide_float)
    step = CellStep(seed=5)
    wide = beam_search(step, step.initial(3), BOS, EOS, 10, beam_size=4, n_best=2)
    for a, b in zip(narrow, wide, strict=True):
        assert [h.labels for h in a] == [h.labels for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5)


def test_extreme_temperature_sampling_makes_no_float64_on_mps(as_on_mps: None) -> None:
    logits = torch.tensor([[0.0, 1.0, 3.0, 2.0]])
    with NoFloat64():
        drawn = sample_next(logits, temperature=1e-40, generator=torch.Generator().manual_seed(0))
    assert drawn.tolist() == [2]


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_beam_search_and_sampling_run_on_mps() -> None:
    step = CellStep(seed=5, device="mps")
    found = beam_search(
        step, step.initial(2), BOS, EOS, 8, beam_size=3, coverage_penalty=gnmt_coverage_penalty(0.2)
    )
    assert len(found) == 2
    logits = torch.tensor([[0.0, 1.0, 3.0, 2.0]], device="mps")
    assert sample_next(logits, temperature=1e-40).tolist() == [2]
