"""The repetition guard (``NgramBlockedStep``, OpenNMT-py's ``block_ngram_repeat``): a toy decoder that loves
to loop is stopped exactly where the guard says; on a random decoder no guarded output repeats an n-gram,
beam 1 still equals greedy, scores stay the model's own, and a guard too long to bite changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from carrousel.core.decode import (
    NgramBlockedStep,
    beam_search,
    blocked_labels,
    greedy_search,
)
from carrousel.core.errors import ConfigError, ShapeError
from tests.core.test_decode import BOS, EOS, CellStep, LayersStep, teacher_force

# A decoder whose next label depends on the last one alone (labels 0 EOS, 1 BOS, 2..5), from most to least
# likely: BOS -> 2; 2 -> 3, then 5, then EOS; 3 -> 4, then EOS; 4 -> 2, then EOS; 5 -> EOS. Unguarded it
# loops 2 3 4 2 3 4 ... until max_len.
_PREFS = {BOS: [2], 2: [3, 5, EOS], 3: [4, EOS], 4: [2, EOS], 5: [EOS]}


def _table() -> Tensor:
    table = torch.full((6, 6), 1e-3)
    for last, order in _PREFS.items():
        for rank, label in enumerate(order):
            table[last, label] = 1.0 / (rank + 1)
    return (table / table.sum(1, keepdim=True)).log()


class LoopStep:
    """The looping decoder; its state is a ``(N,)`` call counter (so the searches have a batch to read)."""

    def __init__(self) -> None:
        self.table = _table()

    def __call__(self, labels: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        return self.table[labels], state + 1


def _no_repeat(labels: list[int], n: int) -> bool:
    grams = [tuple(labels[i : i + n]) for i in range(len(labels) - n + 1)]
    return len(grams) == len(set(grams))


def test_blocked_labels_are_the_completions_of_seen_ngrams() -> None:
    rows, labels = blocked_labels(torch.tensor([[7, 8, 9, 7, 8], [1, 2, 3, 4, 5]]), 3)
    assert (rows.tolist(), labels.tolist()) == ([0], [9])  # (7, 8) was followed by 9; row 1 repeats nothing
    rows, labels = blocked_labels(torch.tensor([[4, 4, 6, 4]]), 2)
    assert sorted(labels.tolist()) == [4, 6] and rows.tolist() == [0, 0]  # (4,4) and (4,6) were seen
    rows, labels = blocked_labels(torch.tensor([[3, 5]]), 1)
    assert labels.tolist() == [3, 5]  # n = 1: no label twice
    assert blocked_labels(torch.tensor([[3, 5]]), 3)[0].numel() == 0  # no complete 3-gram yet
    with pytest.raises(ConfigError, match=">= 1"):
        blocked_labels(torch.tensor([[3]]), 0)
    with pytest.raises(ConfigError, match="block_ngram_repeat must be >= 1"):
        NgramBlockedStep(LoopStep(), 0)


@pytest.mark.parametrize("beam", [0, 1])
def test_a_decoder_that_loves_to_loop_is_stopped_exactly(beam: int) -> None:
    step, state = LoopStep(), torch.zeros(2)

    def search(fn: Any, start: Any) -> list[list[int]]:  # beam 0: greedy search
        if beam == 0:
            return [h.labels for h in greedy_search(fn, start, BOS, EOS, max_len=20)]
        return [hs[0].labels for hs in beam_search(fn, start, BOS, EOS, max_len=20, beam_size=beam)]

    free = search(step, state)
    assert free == [[2, 3, 4] * 6 + [2, 3]] * 2  # unguarded, the loop runs to max_len
    # n = 3: after 2 3 4 2 3 the label 4 would repeat (2, 3, 4): the next best, EOS, ends it
    blocked = NgramBlockedStep(step, 3)
    assert search(blocked, blocked.start(state)) == [[2, 3, 4, 2, 3]] * 2
    # n = 2: after 2 3 4 2 the label 3 would repeat (2, 3): the next best, 5, then EOS
    blocked = NgramBlockedStep(step, 2)
    assert search(blocked, blocked.start(state)) == [[2, 3, 4, 2, 5]] * 2
    blocked = NgramBlockedStep(step, 1)  # no label twice: 2 3 4, then 2 is taken: EOS
    assert search(blocked, blocked.start(state)) == [[2, 3, 4]] * 2


def test_guarded_beam_of_one_equals_guarded_greedy_and_scores_stay_the_models() -> None:
    step = CellStep(seed=3)
    state = step.initial(6)
    free = greedy_search(step, state, BOS, EOS, max_len=14)
    assert not all(_no_repeat(h.labels, 2) for h in free)  # the guard has something to block
    blocked = NgramBlockedStep(step, 2)
    greedy = greedy_search(blocked, blocked.start(state), BOS, EOS, max_len=14)
    beams = beam_search(blocked, blocked.start(state), BOS, EOS, max_len=14, beam_size=1)
    assert [g.labels for g in greedy] != [f.labels for f in free]
    for i, (g, (b,)) in enumerate(zip(greedy, beams, strict=True)):
        assert (b.labels, b.finished) == (g.labels, g.finished) and _no_repeat(g.labels, 2)
        assert b.log_prob == pytest.approx(g.log_prob, abs=1e-6)
        assert g.extras is not None and b.extras is not None
        torch.testing.assert_close(b.extras, g.extras)
        one = tuple(t[i : i + 1] for t in state)  # teacher forcing the unguarded model: same log-prob
        assert teacher_force(step, one, g)[0] == pytest.approx(g.log_prob, abs=1e-5)  # type: ignore[arg-type]
    for hyps in beam_search(blocked, blocked.start(state), BOS, EOS, max_len=14, beam_size=4, n_best=4):
        assert all(_no_repeat(h.labels, 2) for h in hyps)


def test_a_guard_longer_than_any_output_changes_nothing_and_batch_dim_1_works() -> None:
    step = CellStep(seed=3)
    state = step.initial(5)
    blocked = NgramBlockedStep(step, 15)  # max_len 14: no 15-gram can repeat
    for free, guarded in zip(
        beam_search(step, state, BOS, EOS, max_len=14, beam_size=3, n_best=3),
        beam_search(blocked, blocked.start(state), BOS, EOS, max_len=14, beam_size=3, n_best=3),
        strict=True,
    ):
        assert [h.labels for h in free] == [h.labels for h in guarded]
        assert [h.score for h in free] == pytest.approx([h.score for h in guarded], abs=1e-9)
    layers = LayersStep()
    lstate = (torch.randn(2, 4, 12), torch.randn(2, 4, 12), -1.5 * torch.arange(4.0).view(1, 4))
    guard = NgramBlockedStep(layers, 1, batch_dim=1)
    greedy = greedy_search(guard, guard.start(lstate), BOS, EOS, max_len=10, state_batch_dim=1)
    beams = beam_search(guard, guard.start(lstate), BOS, EOS, 10, 1, state_batch_dim=1)
    for g, (b,) in zip(greedy, beams, strict=True):
        assert b.labels == g.labels and len(set(g.labels)) == len(g.labels)
    with pytest.raises(ConfigError, match="batch_dim"):
        NgramBlockedStep(layers, 2, batch_dim=2)


def test_a_guarded_step_is_checked_as_a_lone_step() -> None:
    """The guard calls its step through the searches' own check: a step that returns its log-probs alone
    gets the error an unguarded one gets (before, the guard took the tensor's first row for the log-probs)."""
    table = _table()
    guard = NgramBlockedStep(lambda labels, state: table[labels], 2)
    with pytest.raises(ShapeError, match=r"must return \(log_probs, state\)"):
        greedy_search(guard, guard.start(torch.zeros(2)), BOS, EOS, max_len=5)
