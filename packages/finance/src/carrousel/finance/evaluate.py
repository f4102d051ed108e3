"""Scoring a backtest: errors, direction, intervals, Diebold-Mariano tests and a one-line verdict.

Point forecasts are the median quantile, turned into prices as ``C[t] * exp(q50)``.

* ``rel_mae``: a model's price MAE divided by the random walk's MAE on exactly the same windows, per ticker,
  averaged over tickers (each counts once; pooled price errors let the highest price rule; the random walk
  scores 1.0, below 1 is better than "tomorrow = today"). ``mae`` / the random walk's ``mae``: pooled.
* ``mase``: Hyndman's MASE, the price errors scaled by the in-sample MAE of the one-step naive forecast
  over the history before each ticker's own first test origin.
* direction: next-day up/down calls, tested (one-sided binomial) against always calling the direction
  that was more frequent in the test windows (the series' base rate of up moves, ``up_rate``), and
  against drift's calls on the same origins (one-sided exact McNemar test, ``direction_vs_drift_p``).
* intervals: coverage of the outermost interval, pinball loss, Winkler score and CRPS (approximated from
  the quantiles), in percent log return; every figure also per horizon step.
* verdict: Diebold-Mariano tests (HLN-corrected, loss = absolute log-return error of the median averaged
  over the horizon, per origin date) of the network against every baseline, Holm-adjusted over the distinct
  ones (identical losses, as zero return's and the random walk's or EWMA's and drift's, count once). Best
  baseline: lowest mean loss; beaten when the adjusted p < 0.05 (the random walk: and rel. MAE < 1).
* intervals: the same tests with the pinball loss (mean over the horizon steps and quantile levels, per
  origin date) as the loss, Holm-adjusted over their own family, and a second line: whether the network's
  quantiles beat those of the baseline with the lowest mean pinball loss (``interval_verdict``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from carrousel.core.metrics import mae, mape, pinball_loss, pinball_terms, rmse
from carrousel.core.option_names import option
from carrousel.finance.backtest import BacktestResult, aci_name
from carrousel.finance.errors import PriceDataError
from carrousel.finance.scoring import (
    binomial_p,
    crps_from_quantiles,
    diebold_mariano,
    direction_p,
    holm_distinct,
    mcnemar_p,
    per_series_ratio,
    winkler,
)

if TYPE_CHECKING:
    from carrousel.finance.members import MemberScore

__all__ = [
    "Comparison",
    "ModelScore",
    "Scoreboard",
    "StepScore",
    "binomial_p",
    "board_interval_verdict",
    "board_verdict",
    "diebold_mariano",
    "interval_answer",
    "interval_verdict_text",
    "pinball_rows",
    "score_backtest",
    "verdict_answers",
    "verdict_text",
]

REFERENCE = "random_walk"
DIRECTION_REFERENCE = "drift"  # directions are also tested against this model's calls on the same origins
ALPHA = 0.05  # significance level of the verdict (after the Holm adjustment)
NOT_BASELINES = ("ensemble",)  # scored, not baselines the network is tested against (they contain it; also
# the network with adaptive conformal intervals, "<arch>_aci")


@dataclass(frozen=True)
class StepScore:
    """Figures of one model at one horizon step."""

    step: int  # days ahead (1..H)
    mae: float  # mean absolute price error
    pinball: float  # mean pinball loss, in percent log return
    coverage: float  # share of outcomes inside the outermost interval
    mase: float | None = None  # MAE at this step scaled by the in-sample one-step naive MAE (None: no scale)
    winkler: float | None = None  # mean Winkler score of the outermost interval (None: an older run)
    crps: float | None = None  # mean CRPS from the quantiles, percent log return (None: an older run)
    directional_accuracy: float | None = None  # share of right up/down calls of the move to this step
    # (the sign of the cumulative log return; None: the model never calls one, or an older run)


@dataclass(frozen=True)
class ModelScore:
    """Backtest figures of one model (all horizons pooled unless stated)."""

    model: str  # model name
    mae: float  # mean absolute price error
    rmse: float  # root mean squared price error
    mape: float  # mean absolute percentage price error, in percent
    rel_mae: float  # MAE / random walk's MAE on the same windows, per ticker, mean over tickers (1.0 = RW)
    mase: float | None  # MAE scaled by the in-sample one-step naive MAE (Hyndman); None: no scale known
    directional_accuracy: float | None  # share of correct next-day up/down calls (None: no direction)
    direction_p: float | None  # one-sided binomial p of that share against the majority-direction rate
    coverage: float  # share of outcomes inside the outermost quantile interval
    nominal_coverage: float  # what that interval should cover
    pinball: float  # mean pinball loss of the log-return quantiles, in percent
    winkler: float  # mean Winkler (interval) score of the outermost interval, in percent log return
    crps: float  # mean CRPS approximated from the quantiles, in percent log return
    dm_stat: float | None  # Diebold-Mariano statistic vs the random walk (negative: model better)
    dm_p: float | None  # one-sided p-value that the model's absolute errors are smaller (unadjusted)
    per_step: tuple[StepScore, ...] = ()  # the figures per horizon step
    direction_vs_drift_p: float | None = None  # one-sided exact McNemar p that its next-day up/down calls
    # are right more often than drift's on the same origins (None: drift itself, no drift or no direction)


@dataclass(frozen=True)
class Comparison:
    """One Diebold-Mariano test of the network against a baseline."""

    baseline: str  # the baseline's name
    loss: float  # its mean loss (the verdict's: absolute log-return error of the median; the intervals':
    # pinball loss; percent, per origin date)
    dm_stat: float  # DM statistic, network minus baseline (negative: network better)
    p: float  # one-sided p-value that the network's loss is smaller
    p_holm: float  # the same, Holm-adjusted over every comparison of the run


@dataclass(frozen=True)
class Scoreboard:
    """Scores of every model on the same windows plus the verdict on the network."""

    scores: tuple[ModelScore, ...]  # one per model, the network first
    windows: int  # forecast origins scored
    horizon: int  # days ahead per origin
    first_date: str  # first origin date
    last_date: str  # last origin date
    verdict: str  # "<net> beats random walk: yes/no (...); best baseline <b>: ..."
    up_rate: float = 0.5  # share of next-day up moves in the test windows (direction's base rate)
    network_loss: float = 0.0  # the network's mean loss in the comparisons (percent)
    best_baseline: str = REFERENCE  # the baseline with the lowest mean loss
    comparisons: tuple[Comparison, ...] = ()  # the network against every baseline
    members: tuple[
        MemberScore, ...
    ] = ()  # each seed-ensemble member's headline figures (carrousel.finance.members)
    member_spread: dict[str, dict[str, float]] = field(
        default_factory=dict
    )  # figure -> min/max/std over members
    baseline_fits: tuple[dict[str, str], ...] = ()  # AutoETS/Theta/AutoARIMA picks per refit and ticker
    interval_verdict: str = ""  # "<net> intervals beat best baseline <b>: yes/no (...)" ("": none scored)
    interval_network_loss: float = 0.0  # the network's mean pinball loss per origin date (percent)
    best_interval_baseline: str = ""  # the baseline with the lowest mean pinball loss
    interval_comparisons: tuple[Comparison, ...] = ()  # pinball-loss DM tests against every baseline

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        lists: dict[str, object] = json.loads(json.dumps(asdict(self)))  # tuples as lists, as read back
        return lists

    def get(self, model: str) -> ModelScore:
        """The score of ``model`` (KeyError when absent)."""
        for s in self.scores:
            if s.model == model:
                return s
        raise KeyError(model)


def _per_date(values: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Averages values sharing an origin date (tickers pooled), in date order."""
    order, inverse = np.unique(dates, return_inverse=True)
    sums = np.zeros(len(order))
    np.add.at(sums, inverse, values)
    counts = np.bincount(inverse, minlength=len(order))
    return sums / counts


def _interval_scores(
    f: np.ndarray, y: np.ndarray, qs: tuple[float, ...]
) -> tuple[float, float, float, float]:
    """Coverage, pinball, Winkler and CRPS of ``(m, Q)`` quantiles against ``(m,)`` outcomes (percent)."""
    fp, yp = f * 100, y * 100
    inside = float(np.mean((y >= f[:, 0]) & (y <= f[:, -1])))
    pin = pinball_loss(torch.from_numpy(fp), torch.from_numpy(yp), qs)
    wink = winkler(fp[:, 0], fp[:, -1], yp, qs[-1] - qs[0])
    return inside, pin, wink, crps_from_quantiles(fp, yp, qs)


def pinball_rows(f: np.ndarray, y: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """``(n,)`` pinball loss of each window: ``(n, H, Q)`` quantiles against ``(n, H)`` outcomes, averaged
    over the steps and levels, in percent (their mean is :class:`ModelScore`'s ``pinball``)."""
    fp = torch.as_tensor(np.asarray(f, np.float64) * 100.0)
    yp = torch.as_tensor(np.asarray(y, np.float64) * 100.0)
    rows: np.ndarray = pinball_terms(fp, yp, torch.tensor(qs, dtype=torch.float64)).mean(dim=(1, 2)).numpy()
    return rows


def _compare(
    net: str, baselines: list[str], loss: dict[str, np.ndarray], horizon: int
) -> tuple[Comparison, ...]:
    """DM tests of ``net``'s per-date ``loss`` against every baseline's, Holm-adjusted over the distinct ones."""
    tests = [diebold_mariano(loss[net], loss[b], horizon) for b in baselines]
    adjusted = holm_distinct([p for _, p in tests], [loss[b] for b in baselines])
    return tuple(
        Comparison(b, float(loss[b].mean()), stat, p, pa)
        for b, (stat, p), pa in zip(baselines, tests, adjusted, strict=True)
    )


def interval_verdict_text(
    net: str, net_loss: float, best: Comparison | None, support: tuple[int, int] | None = None
) -> str:
    """The intervals' line: the network's quantiles beat those of the baseline with the lowest mean pinball
    loss when the Holm-adjusted DM p is below :data:`ALPHA` ("" without a baseline); with a seed ensemble's
    ``support`` ``(members whose own intervals beat their best baseline, members)`` a "yes" stands only when
    most members reach it alone too, as in :func:`verdict_text`."""
    if best is None:
        return ""
    answer = "yes" if best.p_holm < ALPHA else "no"
    if answer == "yes" and support is not None and 2 * support[0] <= support[1]:
        answer = f"no (ensemble alone: {support[0]}/{support[1]} members)"
    return (
        f"{net} intervals beat best baseline {best.baseline}: {answer} "
        f"(pinball {net_loss:.4f} vs {best.loss:.4f}, p={best.p_holm:.3g} Holm-adjusted)"
    )


def _best_interval(board: Scoreboard) -> Comparison | None:
    return {c.baseline: c for c in board.interval_comparisons}.get(board.best_interval_baseline)


def interval_answer(board: Scoreboard) -> bool:
    """Whether a scoreboard's intervals beat its best baseline under :func:`interval_verdict_text`'s rule."""
    best = _best_interval(board)
    return best is not None and best.p_holm < ALPHA


def board_interval_verdict(board: Scoreboard, support: tuple[int, int] | None = None) -> str:
    """:func:`interval_verdict_text` of a scoreboard (with a seed ensemble's ``support``)."""
    return interval_verdict_text(
        board.scores[0].model, board.interval_network_loss, _best_interval(board), support
    )


def _direction_hits(bt: BacktestResult, name: str) -> np.ndarray | None:
    """``(n,)`` whether the model's next-day median called the direction right (None: it never calls one)."""
    step1 = np.sign(bt.forecasts[name][:, 0, bt.quantiles.index(0.5)])
    return None if np.all(step1 == 0) else step1 == np.sign(bt.actual[:, 0])


def _step_score(
    bt: BacktestResult, name: str, h: int, point: np.ndarray, truth: np.ndarray, mase: float | None
) -> StepScore:
    """The figures of ``name`` at horizon step ``h + 1`` (``point``/``truth``: ``(n, H)`` prices)."""
    qs, f, y = bt.quantiles, bt.forecasts[name][:, h], bt.actual[:, h]
    cov, pin, wink, crps = _interval_scores(f, y, qs)
    calls = np.sign(f[:, qs.index(0.5)])
    return StepScore(
        step=h + 1,
        mae=float(np.mean(np.abs(point[:, h] - truth[:, h]))),
        pinball=pin,
        coverage=cov,
        mase=mase if mase is not None and np.isfinite(mase) else None,
        winkler=wink,
        crps=crps,
        directional_accuracy=None if np.all(calls == 0) else float(np.mean(calls == np.sign(y))),
    )


def _score(
    bt: BacktestResult, name: str, up_rate: float, rw_err: np.ndarray, dm: tuple[float, float] | None
) -> ModelScore:
    qs, mid, y, f = bt.quantiles, bt.quantiles.index(0.5), bt.actual, bt.forecasts[name]
    price0 = bt.base_price[:, None]
    truth_np = price0 * np.exp(y)
    point_np = price0 * np.exp(f[..., mid])
    truth, point = torch.from_numpy(truth_np).reshape(-1), torch.from_numpy(point_np).reshape(-1)
    called = _direction_hits(bt, name)
    da = dp = dd = None
    if called is not None:
        hits = int(np.sum(called))
        da, dp = hits / len(called), direction_p(hits, len(called), up_rate, float(np.mean(y[:, 0] < 0)))
        ref = _direction_hits(bt, DIRECTION_REFERENCE) if DIRECTION_REFERENCE in bt.forecasts else None
        if name != DIRECTION_REFERENCE:
            dd = mcnemar_p(called, ref if ref is not None else np.zeros(len(called), bool))
    abs_err = np.abs(point_np - truth_np)  # (n, H) price errors
    scaled = abs_err / np.array([bt.scales.get(str(t), np.nan) for t in bt.tickers])[:, None]
    mase = float(np.mean(scaled)) if bt.scales else None
    cov, pin, wink, crps = _interval_scores(f.reshape(-1, len(qs)), y.reshape(-1), qs)
    step_mase = [float(np.mean(scaled[:, h])) if bt.scales else None for h in range(bt.horizon)]
    steps = tuple(_step_score(bt, name, h, point_np, truth_np, m) for h, m in enumerate(step_mase))
    err = mae(point, truth)
    return ModelScore(
        model=name, mae=err, rmse=rmse(point, truth), mape=100.0 * mape(point, truth),
        rel_mae=per_series_ratio(abs_err, rw_err, np.asarray(bt.tickers)), mase=mase if mase is not None and np.isfinite(mase) else None,
        directional_accuracy=da, direction_p=dp, coverage=cov, nominal_coverage=float(qs[-1] - qs[0]),
        pinball=pin, winkler=wink, crps=crps, dm_stat=None if dm is None else dm[0],
        dm_p=None if dm is None else dm[1], per_step=steps,
        direction_vs_drift_p=dd if DIRECTION_REFERENCE in bt.forecasts else None,
    )  # fmt: skip


def score_backtest(bt: BacktestResult) -> Scoreboard:
    """Scores every model of a backtest against the realised prices; see :class:`ModelScore`."""
    mid = bt.quantiles.index(0.5)
    y = bt.actual
    price0 = bt.base_price[:, None]
    rw_err = np.abs(price0 * np.exp(bt.forecasts[REFERENCE][..., mid]) - price0 * np.exp(y))  # (n, H) prices
    if not rw_err.mean() > 0:
        raise PriceDataError("prices never moved over the backtest windows, so errors cannot be scaled by the random walk's (relative "
                             f"MAE undefined); use a history whose prices change, or {option('backtest.enabled', False, '--no-backtest')}")  # fmt: skip
    dates = bt.dates.to_numpy()
    loss = {  # per origin date: absolute log-return error of the median, mean over the horizon, percent
        name: _per_date(100 * np.abs(y - f[..., mid]).mean(axis=1), dates) for name, f in bt.forecasts.items()
    }
    up_rate = float(np.mean(y[:, 0] > 0))
    net = bt.model_name
    order = [net, *(k for k in bt.forecasts if k != net)]
    scores = [
        _score(
            bt,
            k,
            up_rate,
            rw_err,
            None if k == REFERENCE else diebold_mariano(loss[k], loss[REFERENCE], bt.horizon),
        )
        for k in order
    ]
    baselines = [k for k in order[1:] if k not in NOT_BASELINES and k != aci_name(net)]
    comps = _compare(net, baselines, loss, bt.horizon)
    best = min(comps, key=lambda c: c.loss) if comps else None
    pin = {k: _per_date(pinball_rows(bt.forecasts[k], y, bt.quantiles), dates) for k in (net, *baselines)}
    interval_comps = _compare(net, baselines, pin, bt.horizon)
    best_int = min(interval_comps, key=lambda c: c.loss) if interval_comps else None
    net_pin = float(pin[net].mean())
    rw = next((c for c in comps if c.baseline == REFERENCE), None)
    verdict = verdict_text(net, rw.p_holm if rw is not None else 1.0, scores[0].rel_mae, best)
    return Scoreboard(
        scores=tuple(scores),
        windows=len(y),
        horizon=bt.horizon,
        first_date=str(bt.dates.min().date()),
        last_date=str(bt.dates.max().date()),
        verdict=verdict,
        up_rate=up_rate,
        network_loss=float(loss[net].mean()),
        best_baseline=best.baseline if best is not None else REFERENCE,
        comparisons=comps,
        baseline_fits=bt.baseline_fits,
        interval_verdict=interval_verdict_text(net, net_pin, best_int),
        interval_network_loss=net_pin,
        best_interval_baseline=best_int.baseline if best_int is not None else "",
        interval_comparisons=interval_comps,
    )


def verdict_text(
    net: str,
    p_rw: float,
    rel_mae: float,
    best: Comparison | None,
    support: tuple[int, int, int] | None = None,
) -> str:
    """The one-line verdict: beats the random walk (Holm p < :data:`ALPHA` and rel. MAE < 1), beats the best
    baseline (Holm p < :data:`ALPHA`).

    Args:
        net: the network's name.
        p_rw: Holm-adjusted p-value against the random walk (1 without that comparison).
        rel_mae: the network's MAE relative to the random walk's.
        best: the comparison with the best baseline (None: no baseline, no clause).
        support: a seed ensemble's ``(members beating the random walk, members beating the best baseline,
            members)``: a "yes" stands only when most members reach it alone too, else it reads
            ``no (ensemble alone: k/N members)``, so the answer does not flip with the base seed.
    """

    def answer(flag: bool, which: int) -> str:
        if flag and support is not None and 2 * support[which] <= support[2]:
            return f"no (ensemble alone: {support[which]}/{support[2]} members)"
        return "yes" if flag else "no"

    text = f"{net} beats random walk: {answer(p_rw < ALPHA and rel_mae < 1.0, 0)} (p={p_rw:.3g} Holm-adjusted, rel. MAE {rel_mae:.3f})"
    if best is not None:
        text += f"; beats best baseline {best.baseline}: {answer(best.p_holm < ALPHA, 1)} (p={best.p_holm:.3g} Holm-adjusted)"
    return text


def _verdict_tests(board: Scoreboard) -> tuple[float, Comparison | None]:
    """The Holm p-value against the random walk (1 without it) and the best baseline's comparison."""
    comps = {c.baseline: c for c in board.comparisons}
    rw = comps.get(REFERENCE)
    return (rw.p_holm if rw is not None else 1.0), comps.get(board.best_baseline)


def verdict_answers(board: Scoreboard) -> tuple[bool, bool]:
    """``(beats random walk, beats best baseline)`` of a scoreboard under :func:`verdict_text`'s rule."""
    p_rw, best = _verdict_tests(board)
    return p_rw < ALPHA and board.scores[0].rel_mae < 1.0, best is not None and best.p_holm < ALPHA


def board_verdict(board: Scoreboard, support: tuple[int, int, int] | None = None) -> str:
    """:func:`verdict_text` of a scoreboard (with a seed ensemble's ``support``)."""
    p_rw, best = _verdict_tests(board)
    return verdict_text(board.scores[0].model, p_rw, board.scores[0].rel_mae, best, support)
