"""``nlp generate evaluate`` on Apple MPS: the per-token negative log-likelihoods were turned to float64
on the device before the copy to the CPU, and a float64 tensor on MPS raises; they are copied first now.
Needs an MPS device: skips without one (none runs this suite here); on the CPU nothing changed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carrousel.nlp.config import LMNetConfig
from carrousel.nlp.models import LanguageModel, LanguageModelConfig
from carrousel.nlp.pipeline.generate import sequence_nll


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_sequence_nll_on_mps_matches_the_cpu() -> None:
    torch.manual_seed(0)
    net = LanguageModel(LanguageModelConfig(LMNetConfig(embed_dim=16, hidden_size=16, dropout=0.0), 40))
    ids = np.random.default_rng(0).integers(1, 40, 300)
    total, n = sequence_nll(net, ids, chunk=64)
    total_mps, n_mps = sequence_nll(net.to("mps"), ids, chunk=64)
    assert n_mps == n and total_mps == pytest.approx(total, rel=1e-4)
