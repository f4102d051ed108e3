"""Greedy decoding reads the device once per step, not twice as on main (a ``tolist`` of the best labels
and one of their log-probabilities; translate's per-epoch validation BLEU/chrF decodes this way): both go
back in one wide-float tensor, which holds the labels and the log-probabilities exactly, so the hypotheses
are main's to the bit. Counted on the CPU with the step's log-probabilities marked as on the device
(tests/host_reads.py)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from carrousel.core.decode import greedy_search
from carrousel.core.decode import search as search_module
from tests.host_reads import host_reads, on_device

EOS, BOS = 0, 1


class _Step:
    """Random log-probabilities ``(N, V)`` from the labels fed and the steps taken (EOS likelier later)."""

    def __init__(self, vocab: int, dtype: torch.dtype, marked: bool) -> None:
        self.vocab, self.dtype, self.marked = vocab, dtype, marked
        self.table = torch.randn(
            vocab, vocab, generator=torch.Generator().manual_seed(vocab), dtype=torch.float64
        )
        self.calls = 0

    def __call__(self, labels: Tensor, state: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        self.calls += 1
        logits = self.table[labels] + state[:, None] * 0.37
        logits[:, EOS] += state * 0.6 - 3.0
        log_probs = torch.log_softmax(logits, dim=1).to(self.dtype)
        return (on_device(log_probs) if self.marked else log_probs), state + 1, logits[:, :3]


def _decode(vocab: int, dtype: torch.dtype, marked: bool, min_len: int) -> tuple[list[Any], int]:
    step = _Step(vocab, dtype, marked)
    state = torch.arange(6, dtype=torch.float64) * 0.5
    found = greedy_search(step, state, BOS, EOS, 12, min_len=min_len)
    return [(h.labels, h.log_prob, h.finished, h.extras) for h in found], step.calls


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_greedy_search_reads_the_device_once_per_step(dtype: torch.dtype) -> None:
    with host_reads() as reads:
        _, steps = _decode(9, dtype, True, 2)
    assert steps > 3
    assert reads == ["tolist"] * steps  # main: 2 per step


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("min_len", [0, 3])
@pytest.mark.parametrize("vocab", [5, 200])
def test_greedy_hypotheses_are_mains_to_the_bit(
    dtype: torch.dtype, min_len: int, vocab: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    found, _ = _decode(vocab, dtype, False, min_len)
    monkeypatch.setattr(search_module, "_read_best", lambda best, lp, v: (best.tolist(), lp.tolist()))  # main
    expected, _ = _decode(vocab, dtype, False, min_len)
    assert len({len(f[0]) for f in found}) > 1  # sequences end at various lengths
    for (labels, lp, fin, ex), (labels0, lp0, fin0, ex0) in zip(found, expected, strict=True):
        assert labels == labels0 and all(type(x) is int for x in labels)
        assert lp == lp0 and type(lp) is float and fin == fin0 and torch.equal(ex, ex0)


def test_labels_a_wide_float_cannot_hold_are_read_apart() -> None:
    best, lp = torch.tensor([2**53 + 1, 3]), torch.tensor([-0.5, -1.25], dtype=torch.float64)
    with host_reads() as reads:
        labels, lps = search_module._read_best(on_device(best), on_device(lp), 2**53 + 2)
    assert (labels, lps, reads) == ([2**53 + 1, 3], [-0.5, -1.25], ["tolist", "tolist"])
