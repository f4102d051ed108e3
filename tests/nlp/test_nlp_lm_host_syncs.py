"""The held-out negative log-likelihood of a language model (``nlp generate train``'s perplexity,
``nlp generate evaluate``'s figures) reads the device a constant number of times over the stream, not twice
per 1024-token chunk as on main (a ``float`` of the chunk's sum and a ``.cpu()`` of its per-token figures):
counted on the CPU with the model's outputs marked as on the device (tests/host_reads.py). The figures are
main's to the bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from carrousel.nlp.config import LMNetConfig
from carrousel.nlp.models import build_language_model
from carrousel.nlp.pipeline.generate import _token_nll, sequence_nll
from tests.host_reads import host_reads, on_device


class _OnDevice(nn.Module):
    """A language model whose logits stand for ones on a GPU."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        logits, state = self.model(x, state)
        return on_device(logits), state


def _main_token_nll(model: nn.Module, ids: np.ndarray, chunk: int) -> tuple[float, np.ndarray]:
    """Main's loop: the chunk's sum and per-token figures read back at each chunk."""
    total, state, each = 0.0, None, []
    seq = torch.as_tensor(ids, dtype=torch.long)
    with torch.no_grad():
        for s in range(0, len(seq) - 1, chunk):
            y = seq[s + 1 : s + chunk + 1]
            x = seq[s : s + chunk][: len(y)]
            logits, state = model(x.unsqueeze(0), state)
            log_p = F.log_softmax(logits[0].float(), dim=-1)
            total += float(F.nll_loss(log_p, y, reduction="sum"))
            each.append(-log_p.gather(1, y.unsqueeze(1)).squeeze(1).cpu().double().numpy())
    return total, np.concatenate(each) if each else np.zeros(0)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return build_language_model(LMNetConfig(embed_dim=8, hidden_size=16, dropout=0.0), 30).eval()


def test_the_held_out_figures_equal_mains() -> None:
    model, ids = _model(), np.random.default_rng(0).integers(0, 30, 2500)
    for chunk in (64, 1024, 5000):
        total, each = _token_nll(model, ids, chunk)
        want_total, want_each = _main_token_nll(model, ids, chunk)
        assert total == want_total and np.array_equal(each, want_each) and each.dtype == np.float64
    assert sequence_nll(model, ids[:1]) == (0.0, 0)  # no next token: nothing read
    assert _token_nll(model, ids[:1])[1].shape == (0,)


def test_the_stream_reads_the_device_a_constant_number_of_times() -> None:
    """Main read twice per chunk: 8 reads for 4 chunks, 80 for 40."""
    model, ids = _OnDevice(_model()), np.random.default_rng(1).integers(0, 30, 2001)
    counts = []
    for chunk in (500, 50):
        with host_reads() as reads:
            _token_nll(model, ids, chunk)
        counts.append(len(reads))
    assert counts[0] == counts[1] <= 2, counts
