"""EnsembleStep: several step functions decoded as one (probabilities averaged at every step)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from carrousel.core.decode import EnsembleStep, beam_search, greedy_search
from carrousel.core.errors import ConfigError, ShapeError

V, H, BOS, EOS = 7, 8, 0, 1


class TinyRNN:
    """A fixed random recurrent model: the next label depends on the whole prefix through ``h``."""

    def __init__(self, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.emb = torch.randn(V, H, generator=g)
        self.rec = torch.randn(H, H, generator=g) / math.sqrt(H)
        self.out = torch.randn(H, V, generator=g) * 2
        self.h0 = torch.randn(H, generator=g)

    def start(self, n: int) -> Tensor:
        return self.h0.expand(n, H).clone()

    def step(self, labels: Tensor, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = torch.tanh(self.emb[labels] + h @ self.rec)
        return torch.log_softmax(h @ self.out, dim=-1), h, h[:, :3].softmax(-1)

    def score(self, labels: list[int]) -> list[Tensor]:
        """Teacher-forced (T+1, V) log-probs of one sequence (``labels`` then eos)."""
        h, prev, out = self.start(1), BOS, []
        for y in [*labels, EOS]:
            lp, h, _ = self.step(torch.tensor([prev]), h)
            out.append(lp[0])
            prev = y
        return out


def ensemble_log_prob(models: list[TinyRNN], labels: list[int], finished: bool = True) -> float:
    """log p(labels[, eos]) under the average of the models' distributions, step by step."""
    per_model = [m.score(labels) for m in models]
    total = 0.0
    for t, y in enumerate([*labels, EOS] if finished else labels):
        p = sum(lp[t].exp() for lp in per_model) / len(models)
        total += math.log(float(p[y]))
    return total


def test_one_member_and_twins_decode_as_the_member() -> None:
    a = TinyRNN(0)
    alone = beam_search(a.step, a.start(3), BOS, EOS, 12, 4, n_best=2)
    for members in ([a.step], [a.step, a.step]):
        ens = EnsembleStep(members)
        got = beam_search(ens, tuple(a.start(3) for _ in members), BOS, EOS, 12, 4, n_best=2)
        for xs, ys in zip(alone, got, strict=True):
            assert [x.labels for x in xs] == [y.labels for y in ys]
            assert [x.log_prob for x in xs] == pytest.approx([y.log_prob for y in ys], abs=1e-5)


def test_greedy_and_beam_follow_the_averaged_distribution() -> None:
    models = [TinyRNN(1), TinyRNN(2), TinyRNN(3)]
    ens = EnsembleStep([m.step for m in models])
    start = tuple(m.start(2) for m in models)
    greedy = greedy_search(ens, start, BOS, EOS, 10)
    beams = beam_search(ens, start, BOS, EOS, 10, 3, n_best=3)
    found = greedy + [x for hs in beams for x in hs]
    assert any(h.finished for h in found) and not all(h.finished for h in found)
    for h in found:  # every hypothesis's log-prob is the ensemble's, rescored token by token
        assert h.log_prob == pytest.approx(ensemble_log_prob(models, h.labels, h.finished), abs=1e-4)
    # greedy picks the argmax of the averaged distribution at every step
    g = greedy[0]
    per_model = [m.score(g.labels) for m in models]
    for t, y in enumerate(g.labels):
        mean = sum(lp[t].exp() for lp in per_model) / len(models)
        assert int(mean.argmax()) == y
    # the mixture is never less likely than the members' mean log-probability (Jensen)
    members_mean = sum(sum(float(lp[t][y]) for t, y in enumerate([*g.labels, EOS])) for lp in per_model) / 3
    assert ensemble_log_prob(models, g.labels) >= members_mean
    assert g.extras is not None and g.extras.shape == (len(g.labels), 3)  # mean attention-like extras


def test_weights_and_shape_checks() -> None:
    a, b = TinyRNN(4), TinyRNN(5)
    labels = torch.tensor([BOS, 3])
    lp, _, _ = EnsembleStep([a.step, b.step], weights=[3.0, 1.0])(labels, (a.start(2), b.start(2)))
    pa, pb = a.step(labels, a.start(2))[0].exp(), b.step(labels, b.start(2))[0].exp()
    torch.testing.assert_close(lp.exp(), 0.75 * pa + 0.25 * pb)
    with pytest.raises(ConfigError, match="at least one"):
        EnsembleStep([])
    with pytest.raises(ConfigError, match="above 0"):
        EnsembleStep([a.step, b.step], weights=[1.0, 0.0])

    def wide(labels: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros(len(labels), V + 1), h

    with pytest.raises(ShapeError, match="same labels"):
        EnsembleStep([a.step, wide])(labels, (a.start(2), a.start(2)))
    with pytest.raises(ShapeError, match="tuple of 2"):
        EnsembleStep([a.step, b.step])(labels, a.start(2))
