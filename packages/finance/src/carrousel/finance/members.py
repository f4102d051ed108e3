"""The seed ensemble's members scored one by one: the spread a single seed would have hidden.

Each member's own calibrated forecast (:attr:`BacktestResult.members`, exactly what a single network with
that seed would have forecast) is scored like the network, against the same baselines on the same windows
(its own Diebold-Mariano tests, Holm-adjusted over the same comparisons). Reported per member: relative
MAE, MASE, pinball loss, coverage and the two verdict answers (beats the random walk, beats the best
baseline); over the members: min, max and standard deviation (``ddof=1``) of each figure. A "yes" of the
verdict stands only when most members reach it alone too (the ``support`` of
:func:`~carrousel.finance.evaluate.verdict_text`: else the base seed could flip it), and the line gains one clause saying how many members reach the ensemble's answers
(``members agree: 5/5``). The intervals' line follows the same rule: its "yes" stands only when most
members' own intervals beat their best baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from carrousel.finance.backtest import BacktestResult, aci_name
from carrousel.finance.evaluate import (
    NOT_BASELINES,
    Scoreboard,
    board_interval_verdict,
    board_verdict,
    interval_answer,
    score_backtest,
    verdict_answers,
)

__all__ = ["SPREAD_FIGURES", "MemberScore", "score_run", "with_members"]

SPREAD_FIGURES = ("rel_mae", "mase", "pinball", "coverage")  # member figures summarised by min/max/std


@dataclass(frozen=True)
class MemberScore:
    """Headline figures of one member of the seed ensemble (its own calibrated forecast)."""

    seed: int  # the member's training seed
    rel_mae: float  # MAE / random walk's MAE on the same windows, per ticker, mean over tickers (1.0 = RW)
    mase: float | None  # Hyndman's MASE (None: no scale known)
    pinball: float  # mean pinball loss, percent log return
    coverage: float  # share of outcomes inside the outermost interval
    beats_random_walk: bool  # the verdict's first answer for this member alone
    beats_best_baseline: bool  # the verdict's second answer for this member alone
    agrees: bool  # both answers equal the ensemble's


def with_members(bt: BacktestResult, board: Scoreboard) -> Scoreboard:
    """``board`` with the members' scores, their spread and the agreement clause in the verdict.

    Unchanged when the network is a single one (``bt.members`` is None).
    """
    if bt.members is None or len(bt.members) < 2:
        return board
    net = bt.model_name
    baselines = {k: v for k, v in bt.forecasts.items() if k not in NOT_BASELINES and k != aci_name(net)}
    ours = verdict_answers(board)
    scores = []
    intervals = 0  # members whose own intervals beat their best baseline
    for seed, forecast in zip(bt.member_seeds, bt.members, strict=True):
        alone = score_backtest(replace(bt, forecasts={**baselines, net: forecast}, members=None))
        answers = verdict_answers(alone)
        intervals += interval_answer(alone)
        s = alone.scores[0]
        scores.append(
            MemberScore(seed, s.rel_mae, s.mase, s.pinball, s.coverage, *answers, agrees=answers == ours)
        )
    spread: dict[str, dict[str, float]] = {}
    for name in SPREAD_FIGURES:
        values = np.array([getattr(m, name) for m in scores], dtype=object)
        if any(v is None for v in values):
            continue
        arr = values.astype(np.float64)
        spread[name] = {"min": float(arr.min()), "max": float(arr.max()), "std": float(arr.std(ddof=1))}
    agree = sum(m.agrees for m in scores)
    support = (
        sum(m.beats_random_walk for m in scores),
        sum(m.beats_best_baseline for m in scores),
        len(scores),
    )
    verdict = f"{board_verdict(board, support)}; members agree: {agree}/{len(scores)}"
    interval_verdict = board_interval_verdict(board, (intervals, len(scores)))
    return replace(
        board, verdict=verdict, members=tuple(scores), member_spread=spread, interval_verdict=interval_verdict
    )


def score_run(bt: BacktestResult) -> Scoreboard:
    """:func:`~carrousel.finance.evaluate.score_backtest` plus the seed ensemble's members (:func:`with_members`)."""
    return with_members(bt, score_backtest(bt))
