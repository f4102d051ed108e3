"""carrousel.core.decode.sampling: temperature, top-k and nucleus sampling."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.decode import filter_logits, sample_next
from carrousel.core.errors import ConfigError, ShapeError


def test_sampling_filters() -> None:
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]])
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[False, False, True, True, True]]
    nucleus = filter_logits(logits, top_p=0.7)  # p = 0.64, 0.23, ...: the first two reach 0.7
    assert torch.isinf(nucleus).tolist() == [[False, False, True, True, True]]
    assert torch.isinf(filter_logits(logits, top_p=0.01)).tolist() == [[False, True, True, True, True]]
    assert sample_next(logits, temperature=0).tolist() == [0]
    assert sample_next(logits, temperature=0, banned=[0]).tolist() == [1]
    draws = [
        int(sample_next(logits, 1.0, top_k=3, generator=torch.Generator().manual_seed(s))) for s in range(200)
    ]
    assert set(draws) == {0, 1, 2}
    with pytest.raises(ConfigError, match="top_p"):
        sample_next(logits, top_p=0.0)
    with pytest.raises(ConfigError, match="temperature"):
        sample_next(logits, temperature=-1.0)


def test_sampling_is_reproducible_and_follows_the_distribution() -> None:
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1]]))
    gen = torch.Generator().manual_seed(0)
    draws = torch.stack([sample_next(logits, 1.0, generator=gen) for _ in range(3000)]).flatten()
    freq = torch.bincount(draws, minlength=3).float() / 3000
    torch.testing.assert_close(freq, torch.tensor([0.7, 0.2, 0.1]), atol=0.03, rtol=0)
    a = [int(sample_next(logits, 1.0, generator=torch.Generator().manual_seed(5))) for _ in range(3)]
    assert len(set(a)) == 1
    with pytest.raises(ShapeError, match="rows, labels"):
        sample_next(torch.zeros(3))
