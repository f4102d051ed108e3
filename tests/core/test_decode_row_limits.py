"""Greedy and beam search take a ``(B,)`` tensor of per-sequence ``max_len``: each sequence is cut at its own
limit, so its result is the one it gets decoded alone. Before, ``max_len`` was one int for the whole batch
and a caller had to pass the largest limit of the batch (nlp's translation: 2 x the longest source + 10), so
a sequence's output depended on what it was batched with; a tensor was refused (``max_len=tensor(...) is a
Tensor, not an integer``)."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.decode import beam_search, greedy_search, select_state
from carrousel.core.decode.rows import row_limits
from carrousel.core.errors import ConfigError
from tests.core.test_decode import BOS, EOS, CellStep

LIMITS = [3, 0, 12, 1, 6]


def _alone(state: tuple, b: int) -> tuple:
    return select_state(state, torch.tensor([b]))


def test_greedy_cuts_each_sequence_at_its_own_limit_as_if_alone() -> None:
    step = CellStep(seed=3)
    state = step.initial(len(LIMITS))
    batched = greedy_search(step, state, BOS, EOS, torch.tensor(LIMITS))
    assert len(batched) == len(LIMITS)
    for b, limit in enumerate(LIMITS):
        (alone,) = greedy_search(step, _alone(state, b), BOS, EOS, limit)
        got = batched[b]
        assert (got.labels, got.finished) == (alone.labels, alone.finished)
        assert got.log_prob == pytest.approx(alone.log_prob, abs=1e-5)
        assert len(got.labels) + got.finished <= limit
    assert batched[1].labels == [] and not batched[1].finished  # limit 0: never stepped
    assert not batched[3].finished or batched[3].labels == []
    assert any(not h.finished and len(h.labels) == n for h, n in zip(batched, LIMITS, strict=True) if n)


def test_beam_cuts_each_item_at_its_own_limit_as_if_alone() -> None:
    step = CellStep(seed=4)
    state = step.initial(len(LIMITS))
    batched = beam_search(
        step, state, BOS, EOS, torch.tensor(LIMITS), beam_size=3, n_best=2, length_penalty=0.6
    )
    for b, limit in enumerate(LIMITS):
        (alone,) = beam_search(
            step, _alone(state, b), BOS, EOS, limit, beam_size=3, n_best=2, length_penalty=0.6
        )
        assert [(h.labels, h.finished) for h in batched[b]] == [(h.labels, h.finished) for h in alone]
        assert [h.score for h in batched[b]] == pytest.approx([h.score for h in alone], abs=1e-5)
        assert all(len(h.labels) + h.finished <= limit for h in batched[b])
    assert [(h.labels, h.finished) for h in batched[1]] == [([], False)]


def test_a_scalar_limit_is_the_same_limit_for_every_sequence() -> None:
    step = CellStep(seed=5)
    state = step.initial(4)
    as_int = beam_search(step, state, BOS, EOS, 7, beam_size=2)
    as_tensor = beam_search(step, state, BOS, EOS, torch.full((4,), 7), beam_size=2)
    assert [[h.labels for h in hs] for hs in as_int] == [[h.labels for h in hs] for hs in as_tensor]
    assert [h.labels for h in greedy_search(step, state, BOS, EOS, 7)] == [
        h.labels
        for h in greedy_search(step, state, BOS, EOS, [7, 7, 7, 7])  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize(
    ("max_len", "words"),
    [
        (torch.tensor([3, 4]), "shape (3,)"),
        (torch.tensor([3.0, 4.0, 5.0]), "one integer per sequence"),
        (torch.tensor([3, -1, 5]), "max_len must be >= 0, got -1"),
        (5.0, "max_len=5.0 is a float, not an integer; give max_len=5"),
    ],
)
def test_bad_limits_are_refused_in_one_line(max_len: object, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        row_limits(max_len, 3)  # type: ignore[arg-type]
    step = CellStep(seed=1)
    with pytest.raises(ConfigError):
        greedy_search(step, step.initial(3), BOS, EOS, max_len)  # type: ignore[arg-type]


@pytest.mark.parametrize("limits", [0, [0, 4]])
def test_a_zero_limit_is_one_empty_hypothesis_with_or_without_coverage(limits: int | list[int]) -> None:
    """``max_len=0`` (an item's limit 0): never stepped, one empty unfinished hypothesis (score 0, no extras),
    the same with a coverage penalty as without (it has no attention to measure; an EOS-only hypothesis would
    take a step past the limit, which counts ``eos``). Chosen over refusing 0, which a per-item tensor may
    hold; another item of the batch is searched as usual, its coverage penalty applied."""
    from carrousel.core.decode import gnmt_coverage_penalty

    step = CellStep(seed=6)
    state = step.initial(1 if isinstance(limits, int) else len(limits))
    max_len = limits if isinstance(limits, int) else torch.tensor(limits)
    plain = beam_search(step, state, BOS, EOS, max_len, beam_size=3, n_best=2)
    covered = beam_search(
        step, state, BOS, EOS, max_len, beam_size=3, n_best=2, coverage_penalty=gnmt_coverage_penalty(0.2)
    )
    for hyps in (plain[0], covered[0]):
        assert [(h.labels, h.score, h.log_prob, h.finished, h.extras) for h in hyps] == [
            ([], 0.0, 0.0, False, None)
        ]
    if not isinstance(limits, int):
        assert [h.labels for h in covered[1]] and all(h.extras is not None for h in covered[1])
        assert covered[1][0].score < plain[1][0].score or covered[1][0].labels != plain[1][0].labels
