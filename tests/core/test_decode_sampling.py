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


def test_the_nucleus_is_taken_after_the_temperature() -> None:
    """Temperature, then top-k, then top-p (the module's stated order, as transformers' warpers): the nucleus
    is that of the distribution drawn from. At temperature 0.5 the probabilities (0.5, 0.3, 0.2) become
    (0.658, 0.237, 0.105), whose nucleus of 0.6 is the first label alone; before, the nucleus was taken at
    temperature 1 (0.5 < 0.6: two labels) and label 1 was drawn about a quarter of the time."""
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    draws = {
        int(sample_next(logits, 0.5, top_p=0.6, generator=torch.Generator().manual_seed(s)))
        for s in range(200)
    }
    assert draws == {0}
    # flattened, the nucleus grows: at temperature 2, (0.415, 0.322, 0.263) needs two labels for 0.45
    draws = {
        int(sample_next(logits, 2.0, top_p=0.45, generator=torch.Generator().manual_seed(s)))
        for s in range(200)
    }
    assert draws == {0, 1}


def test_temperature_then_filters_keeps_banned_and_plain_draws() -> None:
    logits = torch.randn(3, 20, generator=torch.Generator().manual_seed(3))
    want = torch.multinomial(torch.softmax(logits / 0.7, -1), 1, generator=torch.Generator().manual_seed(4))
    assert torch.equal(sample_next(logits, 0.7, generator=torch.Generator().manual_seed(4)), want.squeeze(-1))
    scaled = filter_logits(logits / 0.7, top_k=5, top_p=0.8)
    want = torch.multinomial(torch.softmax(scaled, -1), 1, generator=torch.Generator().manual_seed(4))
    got = sample_next(logits, 0.7, top_k=5, top_p=0.8, generator=torch.Generator().manual_seed(4))
    assert torch.equal(got, want.squeeze(-1))
    top = int(logits[0].argmax())
    for s in range(50):
        assert (
            int(sample_next(logits[:1], 1e-3, banned=[top], generator=torch.Generator().manual_seed(s)))
            != top
        )


def test_banned_labels_on_logits_not_2d_are_a_shape_error() -> None:
    # the bans were set by hand before the logits' shape was checked: an IndexError ("too many indices")
    for temperature in (0.0, 1.0):
        with pytest.raises(ShapeError, match="rows, labels"):
            sample_next(torch.zeros(5), temperature=temperature, banned=[0])
