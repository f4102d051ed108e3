"""Greedy and beam search against brute-force enumeration and teacher forcing; CTC decoding against
enumeration of every frame path and against torch's ctc_loss."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from carrousel.core.decode import (
    CTCResult,
    Hypothesis,
    beam_search,
    ctc_forced_align,
    ctc_greedy_decode,
    ctc_prefix_beam_search,
    ctc_prefix_beam_search_batch,
    gnmt_coverage_penalty,
    gnmt_length_penalty,
    greedy_search,
    map_state,
    select_state,
)
from carrousel.core.errors import ConfigError, DataError, ShapeError
from carrousel.core.nn import State

EOS, BOS, V = 0, 1, 7


class CellStep:
    """An LSTMCell decoder with random weights. State ``(h, c, steps)``: ``(N, H)``, ``(N, H)`` and ``(N,)``
    steps taken, which make EOS likelier over time (so sequences end at various lengths). Extras ``(N, S)``:
    softmax weights over ``S`` memory slots, like attention."""

    def __init__(
        self, seed: int = 0, hidden: int = 16, slots: int = 5, device: str | torch.device = "cpu"
    ) -> None:
        torch.manual_seed(seed)
        self.emb, self.cell, self.out = nn.Embedding(V, 8), nn.LSTMCell(8, hidden), nn.Linear(hidden, V)
        self.keys = torch.randn(slots, hidden)
        self.emb, self.cell, self.out, self.keys = (
            m.to(device) for m in (self.emb, self.cell, self.out, self.keys)
        )
        self.calls: list[Tensor] = []

    def initial(self, batch: int) -> tuple[Tensor, Tensor, Tensor]:
        h, dev = self.cell.hidden_size, self.keys.device
        steps = -1.5 * torch.arange(batch, dtype=torch.float32)
        return torch.randn(batch, h).to(dev), torch.randn(batch, h).to(dev), steps.to(dev)

    @torch.no_grad()
    def __call__(self, labels: Tensor, state: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Any, Tensor]:
        self.calls.append(labels.clone())
        h, c = self.cell(self.emb(labels), state[:2])
        logits = self.out(h)
        logits[:, EOS] += 0.6 * state[2] - 2.5
        return logits.log_softmax(-1), (h, c, state[2] + 1), (h @ self.keys.T).softmax(-1)


class LayersStep:
    """A two-layer nn.LSTM decoder. State ``(h, c, steps)``: ``(layers, N, H)`` twice and ``(1, N)``, batch
    on dim 1."""

    def __init__(self, seed: int = 1) -> None:
        torch.manual_seed(seed)
        self.emb, self.lstm, self.out = (
            nn.Embedding(V, 6),
            nn.LSTM(6, 12, 2, batch_first=True),
            nn.Linear(12, V),
        )

    @torch.no_grad()
    def __call__(self, labels: Tensor, state: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Any]:
        y, (h, c) = self.lstm(self.emb(labels).unsqueeze(1), state[:2])
        logits = self.out(y[:, 0])
        logits[:, EOS] += 0.6 * state[2][0] - 2.5
        return logits.log_softmax(-1), (h, c, state[2] + 1)


def teacher_force(
    step: CellStep, state: tuple[Tensor, Tensor, Tensor], hyp: Hypothesis
) -> tuple[float, Tensor]:
    """Log-prob and extras of ``hyp`` for one sequence, computed by feeding its labels."""
    inputs = [BOS, *hyp.labels]
    targets = [*hyp.labels, EOS] if hyp.finished else hyp.labels
    total, extras = 0.0, []
    for x, y in zip(inputs, targets, strict=False):
        lp, state, ex = step(torch.tensor([x]), state)
        total += float(lp[0, y].double())
        extras.append(ex[0])
    return total, torch.stack(extras[: len(hyp.labels)]) if hyp.labels else torch.empty(0)


def test_beam_of_one_equals_greedy_on_lstm_cell(device: torch.device) -> None:
    step = CellStep(device=device)
    state = step.initial(6)
    greedy = greedy_search(step, state, BOS, EOS, max_len=12)
    beams = beam_search(step, state, BOS, EOS, max_len=12, beam_size=1)
    assert len({len(g.labels) for g in greedy}) > 2  # they end at different lengths...
    assert any(g.finished for g in greedy) and not all(g.finished for g in greedy)  # ...or at max_len
    for g, (b,) in zip(greedy, beams, strict=True):
        assert b.labels == g.labels and b.finished == g.finished
        assert b.log_prob == pytest.approx(g.log_prob, abs=1e-6) and g.score == g.log_prob
        assert g.extras is not None and b.extras is not None
        torch.testing.assert_close(b.extras, g.extras)


def test_beam_of_one_equals_greedy_on_layered_lstm_state_batch_dim_1() -> None:
    step = LayersStep()
    state = (torch.randn(2, 5, 12), torch.randn(2, 5, 12), -1.5 * torch.arange(5.0).view(1, 5))
    greedy = greedy_search(step, state, BOS, EOS, max_len=10, state_batch_dim=1)
    beams = beam_search(step, state, BOS, EOS, max_len=10, beam_size=1, state_batch_dim=1)
    assert any(g.finished for g in greedy)
    for g, (b,) in zip(greedy, beams, strict=True):
        assert (b.labels, b.finished) == (g.labels, g.finished)
        assert b.log_prob == pytest.approx(g.log_prob, abs=1e-9)
    with pytest.raises(ShapeError, match="state_batch_dim=1"):
        greedy_search(step, state, BOS, EOS, max_len=3)  # dim 0 holds layers, not the batch


# A table of next-label log-probs given the previous label: labels 0 (EOS), 1, 2; input 3 is BOS.
TABLE = torch.log(
    torch.tensor(
        [
            [1.0, 1.0, 1.0],  # after EOS (never fed)
            [0.30, 0.35, 0.35],  # after 1: nothing good follows
            [0.90, 0.05, 0.05],  # after 2: ends at once, confidently
            [0.00, 0.60, 0.40],  # after BOS: 1 looks best locally
        ]
    )
)


def table_step(table: Tensor) -> Any:
    """A step function reading ``table[prev, next]``, or ``table[t, prev, next]`` at step ``t`` (then the state
    is the ``(N,)`` step count)."""

    def step(labels: Tensor, state: Tensor | None) -> tuple[Tensor, Tensor | None]:
        if state is None:
            return table[labels], None
        return table[state, labels], state + 1

    return step


def brute_force(table: Tensor, bos: int, max_len: int, alpha: float = 0.0) -> list[tuple[float, list[int]]]:
    """Every hypothesis beam search can return, with its score, best first."""
    V = table.shape[-1]

    def lp(t: int, prev: int, nxt: int) -> float:
        return float(table[prev, nxt] if table.dim() == 2 else table[t, prev, nxt])

    out = []
    for n in range(max_len + 1):
        for seq in itertools.product(range(1, V), repeat=n):
            total = sum(lp(t, p, s) for t, (p, s) in enumerate(zip((bos, *seq), seq, strict=False)))
            if n < max_len:  # finished: EOS follows
                out.append(
                    ((total + lp(n, (bos, *seq)[-1], EOS)) / gnmt_length_penalty(n + 1, alpha), list(seq))
                )
            else:
                out.append((total / gnmt_length_penalty(n, alpha), list(seq)))
    return sorted((s, q) for s, q in out if math.isfinite(s))[::-1]


def test_beam_finds_the_best_sequence_greedy_misses() -> None:
    step = table_step(TABLE)
    (greedy,) = greedy_search(step, None, 3, EOS, max_len=4, batch_size=1)
    ((best,),) = beam_search(step, None, 3, EOS, max_len=4, beam_size=2, batch_size=1)
    truth = brute_force(TABLE, 3, max_len=4)
    assert greedy.labels[0] == 1  # the locally best first label...
    assert best.labels == truth[0][1] == [2]  # ...is not the start of the best sequence
    assert best.log_prob == pytest.approx(truth[0][0]) and best.log_prob > greedy.log_prob + 0.5


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exhaustive_beam_returns_the_brute_force_n_best(alpha: float, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    max_len = 4
    table = (
        torch.randn(max_len, 4, 3, generator=g).mul(1.5).log_softmax(-1)
    )  # [step, input 0..2 or BOS 3, next]
    # K = 8 holds every live prefix of two non-EOS labels up to length 3: the search is exact.
    hyps = beam_search(
        table_step(table),
        torch.zeros(1, dtype=torch.long),
        3,
        EOS,
        max_len,
        8,
        n_best=8,
        length_penalty=alpha,
    )
    truth = brute_force(table, 3, max_len, alpha)[:8]
    assert [h.labels for h in hyps[0]] == [q for _, q in truth]
    np.testing.assert_allclose([h.score for h in hyps[0]], [s for s, _ in truth], rtol=1e-6)


def test_length_penalty_changes_the_choice() -> None:
    # After BOS: EOS 0.55 or 1 (0.45); after 1: EOS 0.9. Raw log-prob prefers the empty sequence,
    # alpha = 5 divides the longer one's log-prob by (7/6)^5 = 2.16 and prefers [1].
    table = torch.log(torch.tensor([[1.0, 1.0], [0.9, 0.1], [0.55, 0.45]]))
    step = table_step(table)
    ((plain,),) = beam_search(step, None, 2, EOS, max_len=5, beam_size=2, batch_size=1)
    ((long,),) = beam_search(step, None, 2, EOS, max_len=5, beam_size=2, batch_size=1, length_penalty=5.0)
    assert plain.labels == [] and long.labels == [1]
    assert long.score == pytest.approx(math.log(0.45 * 0.9) / (7 / 6) ** 5)
    assert brute_force(table, 2, 5, 5.0)[0][1] == [1] and brute_force(table, 2, 5)[0][1] == []


def test_batched_beam_equals_one_item_at_a_time_and_matches_teacher_forcing() -> None:
    step = CellStep(seed=3)
    h, c, steps = step.initial(5)
    kwargs: dict[str, Any] = {"max_len": 9, "beam_size": 4, "n_best": 3, "length_penalty": 0.6}
    batched = beam_search(step, (h, c, steps), BOS, EOS, **kwargs)
    assert max(len(call) for call in step.calls) == 5 * 4  # all beams of all items in one call
    assert min(len(call) for call in step.calls) < 5 * 4  # items that are done leave the batch
    for b in range(5):
        (alone,) = beam_search(step, (h[b : b + 1], c[b : b + 1], steps[b : b + 1]), BOS, EOS, **kwargs)
        assert [x.labels for x in alone] == [x.labels for x in batched[b]]
        np.testing.assert_allclose([x.log_prob for x in alone], [x.log_prob for x in batched[b]], atol=1e-5)
        scores = [x.score for x in batched[b]]
        assert scores == sorted(scores, reverse=True) and len({tuple(x.labels) for x in batched[b]}) == 3
        for hyp in batched[b]:
            lp, extras = teacher_force(step, (h[b : b + 1], c[b : b + 1], steps[b : b + 1]), hyp)
            assert hyp.log_prob == pytest.approx(lp, abs=1e-5)
            assert hyp.score == pytest.approx(
                lp / gnmt_length_penalty(len(hyp.labels) + hyp.finished, 0.6), abs=1e-5
            )
            assert hyp.extras is not None and hyp.extras.shape == (len(hyp.labels), 5)
            torch.testing.assert_close(hyp.extras, extras.reshape(hyp.extras.shape), atol=1e-5, rtol=1e-5)


def test_beam_hypotheses_own_their_extras() -> None:
    """A hypothesis's extras are its own tensor, not a view of the beams' (n, K, t, ...) history: held for
    thousands of texts (nlp translate run --file, 3,000 lines), the views kept every batch's whole history
    alive, 370 times the extras' size (peak RSS 3.99 GB; 1.48 GB with copies)."""
    step = CellStep(seed=3)
    for hyps in beam_search(step, step.initial(5), BOS, EOS, max_len=9, beam_size=4, n_best=3):
        for h in hyps:
            assert h.extras is not None and h.extras.numel() > 0
            assert h.extras.untyped_storage().nbytes() == h.extras.numel() * h.extras.element_size()


def test_eos_ends_a_hypothesis_and_min_len_holds_it_back() -> None:
    step = CellStep(seed=4)
    state = step.initial(4)
    for search in (
        lambda: [hs[0] for hs in beam_search(step, state, BOS, EOS, 10, beam_size=3, min_len=2)],
        lambda: greedy_search(step, state, BOS, EOS, 10, min_len=2),
    ):
        step.calls.clear()
        hyps = search()
        assert not any(
            bool((call == EOS).any()) for call in step.calls
        )  # an ended hypothesis is not extended
        assert any(h.finished for h in hyps)
        for h in hyps:
            assert EOS not in h.labels and len(h.labels) >= 2
            assert h.finished or len(h.labels) == 10


def test_coverage_penalty_is_added_to_the_score() -> None:
    attention = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.0]])
    penalty = gnmt_coverage_penalty(0.2)
    assert penalty(attention) == pytest.approx(0.2 * (2 * math.log(0.75) + math.log(1e-10)))
    step = CellStep(seed=5)
    for hyp in beam_search(
        step, step.initial(2), BOS, EOS, 8, beam_size=3, coverage_penalty=penalty, length_penalty=1.0
    ):
        (h,) = hyp
        assert h.extras is not None
        expected = h.log_prob / gnmt_length_penalty(len(h.labels) + h.finished, 1.0) + penalty(h.extras)
        assert h.score == pytest.approx(expected)


def test_state_helpers_and_argument_errors() -> None:
    state = {
        "rnn": State(torch.arange(6.0).view(1, 3, 2), None),
        "memory": [torch.arange(3).view(1, 3)],
        "step": 4,
    }
    picked = select_state(state, torch.tensor([2, 2, 0]), batch_dim=1)
    assert picked["rnn"].h[0, :, 0].tolist() == [4.0, 4.0, 0.0] and picked["rnn"].c is None
    assert isinstance(picked["rnn"], State) and picked["step"] == 4
    assert map_state(lambda t: t + 1, [torch.zeros(1)])[0].tolist() == [1.0]
    step = table_step(TABLE)
    with pytest.raises(ConfigError, match="pass batch_size"):
        greedy_search(step, None, 3, EOS, 4)
    with pytest.raises(ConfigError, match="n_best <= beam_size"):
        beam_search(step, None, 3, EOS, 4, beam_size=2, n_best=3, batch_size=1)
    with pytest.raises(ShapeError, match=r"expected \(N, V\) with N = 6"):
        beam_search(lambda x, s: (TABLE[:1], s), None, 3, EOS, 4, beam_size=3, batch_size=2)
    with pytest.raises(ShapeError, match="coverage_penalty needs extras"):
        beam_search(
            step, None, 3, EOS, 4, beam_size=2, batch_size=1, coverage_penalty=gnmt_coverage_penalty(0.2)
        )


# ---------------------------------------------------------------------------------------------- CTC


def log_posteriors(probs: list[list[float]]) -> np.ndarray:
    return np.log(np.asarray(probs, dtype=np.float64))


def test_ctc_greedy_collapses_repeats_drops_blanks_and_reports_frames(device: torch.device) -> None:
    # argmax path: 1 1 0 1 2 2 0 0  ->  labels 1 1 2
    probs = [
        [0.1, 0.8, 0.1],
        [0.2, 0.6, 0.2],
        [0.7, 0.2, 0.1],
        [0.1, 0.9, 0.0001],
        [0.1, 0.2, 0.7],
        [0.3, 0.1, 0.6],
        [0.5, 0.3, 0.2],
        [0.9, 0.05, 0.05],
    ]
    lp = log_posteriors(probs)
    (r,) = ctc_greedy_decode(lp)
    assert r.labels == [1, 1, 2] and r.start_frames == [0, 3, 4] and r.end_frames == [1, 3, 5]
    np.testing.assert_allclose(r.confidences, [0.7, 0.9, 0.65])
    assert r.log_prob == pytest.approx(float(lp.max(axis=1).sum()))
    batch = torch.from_numpy(np.stack([lp, lp[::-1].copy()])).float().to(device)
    first, second = ctc_greedy_decode(batch, lengths=torch.tensor([8, 3], device=device))
    assert first.labels == r.labels and first.end_frames == r.end_frames
    assert (second.labels, second.start_frames, second.end_frames) == ([2], [2], [2])  # path 0 0 2
    assert ctc_greedy_decode(lp[:0])[0] == CTCResult([], 0.0, 0.0, [], [], [])
    (blank2,) = ctc_greedy_decode(lp, blank=2)  # 2 is the blank now: path 1 1 0 1 _ _ 0 0
    assert blank2.labels == [1, 0, 1, 0]


def brute_force_ctc(lp: np.ndarray, blank: int) -> dict[tuple[int, ...], float]:
    """Log-prob of every label sequence: the sum over every frame path that collapses to it."""
    T, C = lp.shape
    probs: dict[tuple[int, ...], list[float]] = defaultdict(list)
    for path in itertools.product(range(C), repeat=T):
        labels = tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or path[i - 1] != c))
        probs[labels].append(float(lp[np.arange(T), path].sum()))
    return {k: float(np.logaddexp.reduce(v)) for k, v in probs.items()}


def ctc_loss_log_prob(lp: np.ndarray, labels: list[int], blank: int) -> float:
    """Independent oracle: torch's CTC forward algorithm."""
    loss = nn.functional.ctc_loss(
        torch.from_numpy(lp)[:, None],
        torch.tensor([labels], dtype=torch.long),
        torch.tensor([lp.shape[0]]),
        torch.tensor([len(labels)]),
        blank=blank,
        reduction="sum",
        zero_infinity=False,
    )
    return -float(loss)


@pytest.mark.parametrize("seed", range(8))
def test_ctc_prefix_beam_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T, C = int(rng.integers(1, 7)), int(rng.integers(2, 5))
    blank = int(rng.integers(0, C))
    lp = torch.from_numpy(rng.normal(size=(T, C)) * 2).log_softmax(-1).numpy()
    truth = sorted(brute_force_ctc(lp, blank).items(), key=lambda kv: -kv[1])
    every_prefix = sum((C - 1) ** n for n in range(T + 1))
    results = ctc_prefix_beam_search(lp, beam_size=every_prefix, blank=blank, n_best=5)
    assert [r.labels for r in results] == [list(k) for k, _ in truth[:5]]
    np.testing.assert_allclose([r.log_prob for r in results], [v for _, v in truth[:5]], rtol=1e-9)
    assert all(r.score == r.log_prob for r in results)
    for r in results:
        if r.labels:
            assert r.log_prob == pytest.approx(ctc_loss_log_prob(lp, r.labels, blank), abs=1e-6)
        aligned = ctc_forced_align(lp, r.labels, blank)
        assert (r.start_frames, r.end_frames) == (aligned.start_frames, aligned.end_frames)


def test_ctc_forced_align_is_the_best_path_of_the_labels() -> None:
    rng = np.random.default_rng(7)
    lp = torch.from_numpy(rng.normal(size=(6, 3))).log_softmax(-1).numpy()
    for labels in ([1, 1], [2, 1, 2], [], [1]):
        best, best_path = -math.inf, None
        for path in itertools.product(range(3), repeat=6):
            collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]
            score = float(lp[np.arange(6), path].sum())
            if collapsed == labels and score > best:
                best, best_path = score, path
        r = ctc_forced_align(lp, labels)
        assert r.labels == labels and r.log_prob == pytest.approx(best)
        assert best_path is not None
        runs = ctc_greedy_decode(lp[np.arange(6), :] + np.where(np.eye(3)[list(best_path)] > 0, 0, -50))[0]
        assert (r.start_frames, r.end_frames) == (runs.start_frames, runs.end_frames)
    with pytest.raises(ShapeError, match="cannot be aligned to 2 frames"):
        ctc_forced_align(lp[:2], [1, 1])  # a repeat needs a blank between: 3 frames


def test_ctc_prefix_beam_agrees_with_greedy_on_peaked_input_and_batches() -> None:
    rng = np.random.default_rng(0)
    path = rng.integers(0, 6, size=40)
    logits = rng.normal(size=(40, 6)) + 6 * np.eye(6)[path]
    lp = torch.from_numpy(logits).log_softmax(-1)
    (greedy,) = ctc_greedy_decode(lp)
    (best,) = ctc_prefix_beam_search(lp, beam_size=4, top_k=3, min_log_prob=-12.0)
    assert best.labels == greedy.labels
    assert (best.start_frames, best.end_frames) == (greedy.start_frames, greedy.end_frames)
    assert best.log_prob >= greedy.log_prob  # all paths of the labels, not one
    # A small beam loses the paths that ran through prefixes it dropped: a slight underestimate.
    exact = ctc_loss_log_prob(lp.numpy(), best.labels, 0)
    assert exact - 0.1 < best.log_prob <= exact + 1e-9
    batch = torch.stack([lp, lp.flip(0)]).float()
    first, second = ctc_prefix_beam_search_batch(batch, lengths=[40, 25], beam_size=4, n_best=2)
    assert first[0].labels == best.labels and len(first) == 2
    assert second[0].labels == ctc_prefix_beam_search(lp.flip(0)[:25], beam_size=4)[0].labels


def test_ctc_scorer_hook_flips_the_result() -> None:
    # Frame 3 slightly prefers label 2 over 3: without help the result is [1, 2].
    lp = log_posteriors([[0.1, 0.8, 0.05, 0.05], [0.8, 0.1, 0.05, 0.05], [0.1, 0.1, 0.45, 0.35]])
    (plain,) = ctc_prefix_beam_search(lp, beam_size=4)
    assert plain.labels == [1, 2]
    calls: list[tuple[tuple[int, ...], int]] = []

    def hotword(prefix: tuple[int, ...], label: int) -> float:
        calls.append((prefix, label))
        return 1.0 if prefix[-1:] == (1,) and label == 3 else 0.0  # boost "1 3"

    hot = ctc_prefix_beam_search(lp, beam_size=4, scorer=hotword, scorer_weight=0.5, n_best=2)
    truth = brute_force_ctc(lp, 0)
    assert hot[0].labels == [1, 3] and hot[1].labels == [1, 2]
    assert hot[0].log_prob == pytest.approx(truth[(1, 3)]) and hot[0].score == pytest.approx(
        truth[(1, 3)] + 0.5
    )
    assert len(calls) == len(set(calls))  # each (prefix, label) pair scored once
    assert ctc_prefix_beam_search(lp, beam_size=4, scorer=hotword, scorer_weight=0.0)[0].labels == [1, 2]


def test_ctc_refuses_probabilities_and_logits() -> None:
    """Scores above 0 are not log-probabilities: softmax outputs passed to the prefix beam search gave
    another transcript ([3, 1, 2] where the log-probs give [3, 1, 1, 2], a repeat lost), and greedy
    decoding reported log-probs above 0 and confidences above 1. Each function now refuses them in one
    line naming the fix; log-softmax outputs pass, in bfloat16 too, and padded frames are not read."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 7, 4, generator=g) * 3
    lp = logits.log_softmax(-1)
    for bad in (lp.exp(), logits):
        for call, arg in (
            (ctc_greedy_decode, bad),
            (ctc_prefix_beam_search, bad[0]),
            (ctc_prefix_beam_search_batch, bad),
            (lambda scores: ctc_forced_align(scores, [1]), bad[0]),
        ):
            with pytest.raises(
                DataError, match=r"not log-probabilities .*log_softmax\(-1\), or probs.log\(\)"
            ):
                call(arg)
    assert ctc_greedy_decode(lp.bfloat16())[0].labels == ctc_greedy_decode(lp)[0].labels
    padded = torch.cat([lp, torch.full((2, 3, 4), 5.0)], dim=1)  # junk past each length is not read
    got = ctc_prefix_beam_search_batch(padded, lengths=[7, 7], beam_size=4)
    assert got == ctc_prefix_beam_search_batch(lp, beam_size=4)
    assert ctc_greedy_decode(padded, lengths=[7, 7]) == ctc_greedy_decode(lp)


@pytest.mark.parametrize("decode", [ctc_greedy_decode, ctc_prefix_beam_search_batch])
def test_ctc_lengths_take_the_encoders_check(decode: Any) -> None:
    """CTC ``lengths`` of 6.7 were read as 6 without a word, where the encoder refuses fractional lengths.
    Both batch decoders now run the encoder's check (``check_lengths``, 0 allowed: an empty sequence):
    whole floats such as 6.0 pass, fractions and negative counts are one ShapeError naming the fix."""
    lp = torch.randn(2, 8, 4, generator=torch.Generator().manual_seed(0)).log_softmax(-1)
    for lengths in ([6.7, 3], torch.tensor([6.7, 3.0]), np.array([6.7, 3.0])):
        with pytest.raises(ShapeError, match=r"^lengths must be whole step counts, .*give integers$"):
            decode(lp, lengths)
    assert decode(lp, [6.0, 0]) == decode(lp, torch.tensor([6, 0])) == decode(lp, np.array([6, 0]))
    with pytest.raises(ShapeError, match=r"lengths must lie in \[0, 8\], got min -1 .*a length is negative"):
        decode(lp, [-1, 3])
    with pytest.raises(ShapeError, match=r"pad the input to max\(lengths\) = 9"):
        decode(lp, [9, 3])
