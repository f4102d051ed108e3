"""One global network over many series (hundreds of tickers) in one run, and its held-out scores.

:func:`train_global` reads a long frame (``unique_id, ds, y`` [+ ``open, high, low, volume``], see
:mod:`carrousel.finance.frames`), scales every series with statistics of its own training rows (so series of
any price level and volatility share one network, and a series never seen in training is scaled with its
own history), indexes the training windows lazily (:mod:`carrousel.finance.panel`: memory grows with the
rows, not with rows x lookback), draws them across series (``TrainSettings.sampling``) and trains one seed
ensemble. With ``holdout_days`` the last days of every series are kept out of training and the network is
scored there against the random walk, drift, zero-return/EWMA, GARCH and ARIMA baselines of each series
(fitted on the same training rows), so the global model's accuracy is measured, not assumed. Under
``torchrun`` the baselines' fits are shared out across the ranks (:func:`~carrousel.finance.ranks.share_out`:
rank ``r`` of ``R`` fits series ``r, r + R, ...``), and rank zero scores.

With ``[backtest] aci_gamma > 0`` each series' adaptive conformal state (:mod:`carrousel.finance.aci`) is run
over its validation windows (not trained on) and, with held-out days, continued through them (the
``network_aci`` row is scored so, as a deployed model would run it); the bundle carries the state after the
series' last origin with a full target, and a forecast continues it (``Forecaster.predict``'s ``*_aci``
columns, ``finance predict``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.core.curves import finite_history, member_rows, write_history
from carrousel.core.option_names import option
from carrousel.core.text import counted
from carrousel.core.train.distributed import leave_to_rank_zero
from carrousel.finance.aci import aci_run, aci_states
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.config import FinanceConfig, checked_config, for_series
from carrousel.finance.conformal import AciState
from carrousel.finance.errors import PriceDataError
from carrousel.finance.evaluate import ALPHA, pinball_rows
from carrousel.finance.features import SeriesData, cumulative_targets, valid_origins
from carrousel.finance.fitted import FittedForecaster, check_forecast_precision, check_training_precision
from carrousel.finance.frame_check import read_frame
from carrousel.finance.frames import frame_history, frame_series, known_scalers, quiet_missing
from carrousel.finance.panel import check_holdout_days, panel_windows, rows_needed
from carrousel.finance.ranks import share_out
from carrousel.finance.scoring import diebold_mariano
from carrousel.finance.training import fit_at

__all__ = [
    "HOLDOUT_BASELINES",
    "GlobalResult",
    "SeriesScore",
    "history_report",
    "holdout_baselines",
    "holdout_origins",
    "holdout_scores",
    "train_global",
]

logger = logging.getLogger(__name__)

HOLDOUT_BASELINES = ("random_walk", "drift", "zero_return", "ewma", "garch", "arima")  # scored beside it


@dataclass(frozen=True)
class SeriesScore:
    """One model's held-out figures on one series (pinball in percent log return, over all steps).

    Attributes:
        pinball: mean pinball loss of the quantiles.
        coverage: share of outcomes inside the outermost quantile interval.
        mae: mean absolute error of the median price.
        rel_mae: ``mae`` over the random walk's on the same windows.
        better_p: one-sided Diebold-Mariano p (HLN) that the network's pinball loss per origin is lower
            than this model's on this series (None: the network itself).
        worse_p: the same that it is higher.
    """

    pinball: float
    coverage: float
    mae: float
    rel_mae: float
    better_p: float | None = None
    worse_p: float | None = None


@dataclass(frozen=True, eq=False)
class GlobalResult:
    """A global training run.

    Attributes:
        bundle: the trained model (``save`` it; it forecasts any of its series, and new ones).
        series: series trained on; windows: training windows; val_windows: early-stopping windows.
        store_bytes: bytes of the lazy window store; materialised_bytes: what materialised windows would take.
        histories: each member's per-epoch logs (``train_loss``, ``val_loss``...), in member order;
            :attr:`history` is them one after another.
        seconds: wall-clock seconds of indexing and training.
        holdout: per series, per model: :class:`SeriesScore` (empty without ``holdout_days``).
        holdout_days: held-out days per series (0: none).
        skipped: series left out (too short for the window spec).
    """

    bundle: ForecasterBundle
    series: int
    windows: int
    val_windows: int
    store_bytes: int
    materialised_bytes: int
    histories: tuple[list[dict[str, float]], ...]
    seconds: float
    holdout: dict[str, dict[str, SeriesScore]] = field(default_factory=dict)
    holdout_days: int = 0
    skipped: tuple[str, ...] = ()

    @property
    def history(self) -> list[dict[str, float]]:
        """Every member's per-epoch logs, one after another (each member's from epoch 1)."""
        return [row for rows in self.histories for row in rows]

    def summary(self) -> dict[str, dict[str, float | int]]:
        """Per model: mean pinball, coverage and rel. MAE over the held-out series, series won on pinball, and
        series where the network's pinball loss is significantly lower / higher than this model's (one-sided
        DM p below :data:`~carrousel.finance.evaluate.ALPHA` on that series, unadjusted); the counts are integers."""
        if not self.holdout:
            return {}
        models = list(next(iter(self.holdout.values())))
        best = [min(scores, key=lambda m: scores[m].pinball) for scores in self.holdout.values()]
        return {
            m: {
                "pinball": float(np.mean([s[m].pinball for s in self.holdout.values()])),
                "coverage": float(np.mean([s[m].coverage for s in self.holdout.values()])),
                "rel_mae": float(np.mean([s[m].rel_mae for s in self.holdout.values()])),
                "lowest_pinball_series": int(sum(b == m for b in best)),
                "network_better_series": int(sum(_below(s[m].better_p) for s in self.holdout.values())),
                "network_worse_series": int(sum(_below(s[m].worse_p) for s in self.holdout.values())),
            }
            for m in models
        }

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON-ready data (finite numbers only)."""
        losses = [h["train_loss"] for h in self.history if "train_loss" in h]
        members = self.bundle.config.model.members  # history holds every member's epochs, one after another
        epochs = max(
            (int(h["epoch"]) for h in self.history if "epoch" in h), default=len(self.history) // members
        )
        return {
            "series": self.series,
            "skipped": list(self.skipped),
            "windows": self.windows,
            "val_windows": self.val_windows,
            "store_mb": self.store_bytes / 2**20,
            "materialised_mb": self.materialised_bytes / 2**20,
            "seconds": self.seconds,
            "epochs": epochs,  # the most one member trained (early stopping may end a member sooner)
            "members": members,
            "first_train_loss": losses[0] if losses else None,
            "last_train_loss": losses[-1] if losses else None,
            "history": finite_history(self.history),  # an epoch of skipped steps: None, never NaN
            "sampling": self.bundle.config.train.sampling,
            "precision": self.bundle.config.train.precision,  # of the fitting and every forecast
            "holdout_days": self.holdout_days,
            "holdout": {t: {m: vars(s) for m, s in sc.items()} for t, sc in self.holdout.items()},
            "holdout_summary": self.summary(),
            "aci_series": len(self.bundle.aci),
        }


def _below(p: float | None) -> bool:
    return p is not None and p < ALPHA


@check_args
def holdout_origins(series: SeriesData, cut: int, lookback: int, horizon: int) -> np.ndarray:
    """The ``(n,)`` held-out origin rows of a series: every origin after ``cut`` with a full target."""
    origins = valid_origins(series, lookback, horizon)
    return origins[origins >= cut]  # the first target lies after the cut


@check_args
def holdout_baselines(
    series: SeriesData,
    cut: int,
    lookback: int,
    horizon: int,
    quantiles: tuple[float, ...],
    auto: bool = False,
) -> dict[str, np.ndarray]:
    """The baselines scored beside the network on a series' held-out days (fitted on rows ``<= cut``).

    Returns:
        Per model (:data:`HOLDOUT_BASELINES`, and with ``auto`` AutoETS, Theta and AutoARIMA): ``(n, H, Q)``
        quantiles at :func:`holdout_origins`.
    """
    origins = holdout_origins(series, cut, lookback, horizon)
    base = baseline_forecasts(series, cut, origins, horizon, quantiles, auto=auto)
    return {k: v for k, v in base.items() if k in HOLDOUT_BASELINES or auto}


@check_args
def holdout_scores(
    fitted: FittedForecaster,
    series: SeriesData,
    cut: int,
    quantiles: tuple[float, ...],
    auto: bool = False,
    aci_gamma: float = 0.0,
    aci_state: AciState | None = None,
    aci_after: dict[str, AciState] | None = None,
    baselines: dict[str, np.ndarray] | None = None,
) -> dict[str, SeriesScore]:
    """The network and the baselines at every origin after ``cut`` with a full target (one fit, no refit).

    Args:
        fitted: the trained network (scalers from rows ``<= cut``).
        series: the series' arrays.
        cut: last training row (baselines are fitted on rows ``<= cut`` too).
        quantiles: the network's levels.
        auto: also AutoETS, Theta and AutoARIMA (one fit each on the training rows).
        aci_gamma: above 0, also ``network_aci``: the network with adaptive conformal intervals
            (:func:`~carrousel.finance.conformal.adaptive_conformal`, updated as each outcome is known).
        aci_state: the adaptive conformal state at the origin before the first scored one (the global
            model's: :func:`~carrousel.finance.aci.aci_states` over its validation windows); None: from the start.
        aci_after: when given, receives the series' state after the last scored origin (by ticker).
        baselines: :func:`holdout_baselines` of the same series, cut, window and quantiles, when already
            fitted (under ``torchrun``, on another rank); None: fitted here.

    Returns:
        Per model (``network``, ``network_aci``, :data:`HOLDOUT_BASELINES` and the automatic ones):
        :class:`SeriesScore`.
    """
    h = fitted.horizon
    origins = holdout_origins(series, cut, fitted.window.lookback, h)
    y = cumulative_targets(series, origins, h)
    models = {"network": fitted.predict(series, origins)}
    if aci_gamma > 0:
        _, _, models["network_aci"], after = aci_run(fitted, series, origins, aci_gamma, aci_state)
        if aci_after is not None and after is not None:
            aci_after[series.ticker] = after
    if baselines is None:
        baselines = holdout_baselines(series, cut, fitted.window.lookback, h, quantiles, auto)
    models |= baselines
    mid, price0 = quantiles.index(0.5), series.close[origins][:, None]
    truth = price0 * np.exp(y)
    maes = {m: float(np.mean(np.abs(price0 * np.exp(f[..., mid]) - truth))) for m, f in models.items()}
    inside = {m: float(np.mean((y >= f[..., 0]) & (y <= f[..., -1]))) for m, f in models.items()}
    rows = {m: pinball_rows(f, y, quantiles) for m, f in models.items()}  # (n,) per origin, percent

    def sides(m: str) -> tuple[float | None, float | None]:
        if m == "network":
            return None, None
        _, better = diebold_mariano(rows["network"], rows[m], h)
        _, worse = diebold_mariano(rows[m], rows["network"], h)  # not 1 - better: a tie gives 1 on both sides
        return better, worse

    return {
        m: SeriesScore(float(rows[m].mean()), inside[m], maes[m], maes[m] / maes["random_walk"], *sides(m))
        for m in models
    }


@check_args
def history_report(result: GlobalResult, plot: bool) -> Callable[[Path], None]:
    """What writes ``history.csv`` (every member's epochs) and ``training.png`` (member 1's; its kept epoch,
    the lowest validation loss) into the model folder with the bundle: the ``also`` of its ``save``."""
    members = result.histories
    first = members[0] if members else []
    key = "val_loss" if any("val_loss" in r for r in first) else "train_loss"
    scores = [(float(r[key]), i) for i, r in enumerate(first, 1) if key in r and np.isfinite(r[key])]
    cfg = result.bundle.config
    title = (
        f"finance train-global: {cfg.model.arch.upper()} ({cfg.model.hidden_size} units, {cfg.window.lookback}-day "
        f"lookback, {cfg.window.horizon}-day horizon) over {result.series} series, {result.windows:,} training "
        "windows" + (f"; member 1 of {len(members)}, every member in history.csv" if len(members) > 1 else "")
    )
    best = min(scores)[1] if scores else None  # the first lowest: the epoch whose weights were kept
    return partial(
        write_history, history=first, title=title, plot=plot, monitor=key, best_epoch=best,
        table=member_rows(members or ([],)),
    )  # fmt: skip


@check_args
def train_global(
    df: pd.DataFrame | str | Path,
    cfg: FinanceConfig | None = None,
    holdout_days: int = 0,
    on_series: Callable[[int], None] | None = None,
) -> GlobalResult:
    """Trains one global network over every series of a long frame.

    Args:
        df: ``unique_id, ds, y`` (+ optional ``open, high, low, volume``), any number of series, or the path
            of such a table (CSV or Parquet, read as ``finance train-global --data`` reads it). The bundle
            records it with ``holdout_days`` as its ``run`` asset (a frame as ``data: null``) and its config
            as the command does, so ``result.bundle.save(folder)`` writes the command's model folder.
        cfg: window, network and training settings (``cfg.data`` is not read; with several series the
            window's ``global_target_scale`` and ``global_vol_inputs`` apply, and the calibration is fitted on the
            earliest ``[backtest] global_calibration_share`` of each series' validation windows (the ACI
            states still run over all of them); ``cfg.train.sampling`` and
            ``cfg.train.progress`` apply; ``cfg.backtest.auto_baselines`` and ``aci_gamma`` choose the
            held-out rows beside the network; ``cfg.train.precision`` is the networks' arithmetic end to
            end: the fitting (autocast, float32 weights), the calibration and the forecasts made after it,
            on the held-out days and over the validation windows' ACI states, as in ``finance forecast``).
        holdout_days: last days of every series kept out of training and scored (0: train on everything).
        on_series: called with 1 per series indexed, then per series scored (a progress bar).

    Raises:
        FrameError: a malformed frame, or ``holdout_days`` negative, past :data:`MAX_HOLDOUT_DAYS` or from 1
            to ``horizon - 1`` (no forecast to score).
        PriceDataError: too little data for the window spec.
        ConfigError: before any work, a ``[train] precision`` the CPU (fp16) or the training device cannot
            run.
    """
    cfg = checked_config(cfg)
    check_forecast_precision(cfg.train.precision)  # the forecasts run on the CPU
    check_training_precision(cfg.train)  # and the fitting on cfg.train.device
    check_holdout_days(holdout_days, cfg.window.horizon)  # before the table is read
    table = str(df) if isinstance(df, str | Path) else None  # a file: recorded as given (--data)
    t0 = time.perf_counter()
    histories, series = frame_series(df if table is None else read_frame(df), cfg)
    cfg = for_series(cfg, len(series))  # several series: the global model's target scale and inputs
    cuts = {s.ticker: len(s.close) - 1 - holdout_days for s in series}
    short = [t for t, c in cuts.items() if c <= cfg.window.lookback + cfg.window.horizon]
    if holdout_days and len(short) == len(series):
        longest = max(series, key=lambda s: len(s.close))
        need = rows_needed(longest, cfg)
        raise PriceDataError(
            f"holding out {counted(holdout_days, 'day')} leaves no series long enough to train on: one series needs "
            f"{need + holdout_days} rows ({need} before the held-out days at "
            f"{option('lookback', cfg.window.lookback)} and {option('horizon', cfg.window.horizon)}); the longest "
            f"series, {longest.ticker}, has "
            f"{len(longest.close)}; "
            + (
                f"use {option('holdout_days', len(longest.close) - need)} or fewer"
                if len(longest.close) >= need
                else f"use a longer history or a shorter {option('lookback')}"
            )
        )
    with quiet_missing():
        panel = panel_windows(series, cuts, cfg, on_series, cut_by="holdout_days")
    logger.info(
        "global model: %d series, %d training windows, window store %.1f MB (materialised: %.1f MB)",
        len(panel.names), len(panel.train), panel.train.nbytes / 2**20, panel.train.materialised_nbytes() / 2**20,
    )  # fmt: skip
    with quiet_missing():
        fitted = fit_at(series, cuts, cfg, panel)
    seconds = time.perf_counter() - t0
    scored = [s for s in series if s.ticker in panel.scalers] if holdout_days else []
    w, qs, auto = cfg.window, cfg.model.quantiles, cfg.backtest.auto_baselines
    baselines = share_out(  # under torchrun: each rank fits its share of the series, then gathered
        scored,
        lambda s: holdout_baselines(s, cuts[s.ticker], w.lookback, w.horizon, qs, auto),
        "held-out baseline fits",
        lambda s: f"the held-out baselines of series {s.ticker}",
    )
    leave_to_rank_zero()  # the ACI states and held-out scores below: rank zero's alone under torchrun
    fitted.scalers = known_scalers(fitted.scalers)
    gamma = cfg.backtest.aci_gamma  # each series' ACI state over its validation windows, up to its cut-off
    states = aci_states(fitted, series, panel.first_val_origins(), cuts, gamma)
    holdout: dict[str, dict[str, SeriesScore]] = {}
    if holdout_days:
        logger.info("scoring the last %d days of %d series against the baselines", holdout_days, len(series))
        fits = dict(zip((s.ticker for s in scored), baselines, strict=True))
        for s in series:
            if s.ticker in fits:  # the ACI state continued through the held-out days
                holdout[s.ticker] = holdout_scores(
                    fitted, s, cuts[s.ticker], qs, auto, gamma, states.get(s.ticker), states, fits[s.ticker]
                )
            if on_series is not None:
                on_series(1)
    trained = [  # the bundle records the rows each series was trained on (up to its cut)
        frame_history(h.ticker, h.frame.iloc[: cuts[h.ticker] + 1], h.price) if holdout_days else h
        for h in histories
        if h.ticker in panel.scalers
    ]
    return GlobalResult(
        bundle=ForecasterBundle.trained(
            fitted, cfg, trained, None, states, {"data": table, "holdout_days": holdout_days}
        ),
        series=len(panel.names),
        windows=len(panel.train),
        val_windows=len(panel.val),
        store_bytes=panel.train.nbytes,
        materialised_bytes=panel.train.materialised_nbytes() + panel.val.materialised_nbytes(),
        histories=fitted.histories,
        seconds=seconds,
        holdout=holdout,
        holdout_days=holdout_days,
        skipped=tuple(s.ticker for s in series if s.ticker not in panel.scalers),
    )
