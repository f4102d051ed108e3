"""Walk-forward backtest: refit every N origins on data before them, forecast each block in one pass.

The test origins are the last ``test_days`` trading dates (of all tickers together) whose ``H``-day outcome
is known. They are cut into blocks of ``refit_every`` dates; for each block the network (on an expanding
or rolling window) and the baselines (on their own windows, :mod:`carrousel.finance.baselines`) are refitted on
what was observable at the block's first date, then the whole block is forecast in batched passes. Every model is scored on exactly the same windows.

The network's refits come first, all of them (:func:`backtest_refits`: under ``torchrun`` every rank takes
part in each refit's collective steps), then the baselines (:func:`fit_baselines`: under ``torchrun`` each
rank fits those of its share of the (block, ticker) jobs, ``r, r + R, ...`` in block then ticker order, and
every rank gets them all), and only then is every block forecast and scored (:func:`run_backtest`, rank
zero's alone in a command line): with hundreds of tickers the baselines take minutes per block, now shared
out instead of fitted by rank zero while the other ranks wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from carrousel.core.option_names import naming_flags, option
from carrousel.core.text import name_some
from carrousel.finance.backtest_baselines import BaselineFit, block_origins, fit_baselines, fit_one
from carrousel.finance.backtest_checks import warn_partial_coverage, warn_scored_gaps
from carrousel.finance.config import MIN_LOOKBACK, FinanceConfig, WindowConfig, for_series
from carrousel.finance.conformal import AciState, adaptive_conformal_state
from carrousel.finance.errors import PriceDataError
from carrousel.finance.features import SeriesData, cumulative_targets, valid_origins
from carrousel.finance.panel import MIN_SERIES_ORIGINS, rows_needed
from carrousel.finance.scoring import naive_scale
from carrousel.finance.training import FittedForecaster, fit_at

__all__ = [
    "ENSEMBLE_MEMBERS",
    "BacktestResult",
    "Refit",
    "aci_name",
    "backtest_refits",
    "block_starts",
    "forecast_table",
    "run_backtest",
    "short_history_fix",
]

logger = logging.getLogger(__name__)

ENSEMBLE_MEMBERS = ("arima", "drift")  # statistical models averaged with the network in "ensemble"
_MIN_TRAIN_ORIGINS = 150  # origins kept for the first training window when the history is short
_MIN_TEST = 20  # fewest test origins worth scoring


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Forecasts of every model on the same test windows (cumulative log returns).

    Attributes:
        model_name: name of the network (lstm, gru, bilstm).
        quantiles: the ``Q`` levels.
        horizon: ``H``.
        tickers: ``(n,)`` ticker of each window.
        dates: ``(n,)`` origin dates.
        base_price: ``(n,)`` close at the origin (the history's price: adjusted close or close).
        actual: ``(n, H)`` realised ``log(C[t+h] / C[t])``.
        forecasts: model name -> ``(n, H, Q)`` quantiles.
        refits: number of refits of the network.
        window: expanding or rolling.
        scales: ticker -> MASE scale: in-sample MAE of the one-step naive price forecast over the
            ticker's history before its first test origin (a series listed during the test period: before
            its own first origin, so that every scored ticker has one).
        target_dates: ``(n, H)`` dates of the forecast targets (None when unknown).
        members: ``(N, n, H, Q)`` each seed-ensemble member's own calibrated forecast (None: one network).
        member_seeds: the seed of each member.
        baseline_fits: per refit and ticker, what AutoETS, Theta and AutoARIMA picked: ``ticker``,
            ``fitted_to`` (last training date), ``auto_ets`` (e.g. ``MAN``), ``theta`` (its alpha) and
            ``auto_arima`` (e.g. ``ARIMA(1,1,0)``); empty without the automatic baselines.
        aci_states: ticker -> the adaptive conformal state after its last test origin (empty when
            ``aci_gamma`` is 0): a saved forecaster continues from it.
        left_out: the tickers given that got no backtest forecast (no refit had enough of their history to
            train on), named in one warning.
    """

    model_name: str
    quantiles: tuple[float, ...]
    horizon: int
    tickers: np.ndarray
    dates: pd.DatetimeIndex
    base_price: np.ndarray
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]
    refits: int
    window: str
    scales: dict[str, float] = field(default_factory=dict)
    target_dates: np.ndarray | None = None
    members: np.ndarray | None = None
    member_seeds: tuple[int, ...] = ()
    baseline_fits: tuple[dict[str, str], ...] = ()
    aci_states: dict[str, AciState] = field(default_factory=dict)
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Refit:
    """The network of one backtest block, refitted on what was observable at the block's first date.

    Attributes:
        start: the block's first origin date.
        end: the next block's first date (``Timestamp.max`` for the last block).
        cuts: each ticker's last observable row (tickers without one are absent).
        fitted: the network refitted on every ticker's rows up to its cut.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    cuts: dict[str, int]
    fitted: FittedForecaster


def _run_rows(cfg: FinanceConfig) -> int:
    """The rows one series needs for ``cfg``'s fit (and backtest, when on) at its window spec."""
    window = cfg.window
    fit = rows_needed(None, cfg)
    if not cfg.backtest.enabled:
        return fit
    return max(fit, _MIN_TRAIN_ORIGINS + _MIN_TEST + window.lookback + window.horizon)


def short_history_fix(cfg: FinanceConfig) -> Callable[[int], str]:
    """What to do about a series of ``n`` rows, fewer than ``cfg.data.min_history``: a lower
    ``data.min_history`` only where the network's window (and backtest) accepts ``n`` rows, else the
    history or the settings it needs (:func:`~carrousel.finance.validation.clean_prices`'s ``fix``)."""
    need = _run_rows(cfg)
    smallest = WindowConfig(lookback=MIN_LOOKBACK, horizon=1)
    least = rows_needed(None, replace(cfg, window=smallest))  # a fit at the smallest window, no backtest
    where = " in a --config TOML file" if naming_flags() else ""
    wider = f"an earlier {option('start')}" + (f" or a later {option('end')}" if cfg.data.end else "")
    settings = f"{option('lookback', cfg.window.lookback)} and {option('horizon', cfg.window.horizon)}" + (
        " with the backtest" if cfg.backtest.enabled else ""
    )
    shorter = f"a shorter {option('lookback')} or {option('horizon')}" + (
        f" or {option('backtest.enabled', False, '--no-backtest')}" if cfg.backtest.enabled else ""
    )

    def fix(n: int) -> str:
        if n >= need:
            return f"use {wider}, a longer history, or a data.min_history of {n} or less{where}"
        if n >= least:
            return (
                f"the network needs {need} rows at {settings}; use {wider}, a longer "
                f"history, or {shorter} with a data.min_history of {n} or less{where}"
            )
        return (
            f"a network needs at least {least} rows ({need} at {settings}), so a lower data.min_history "
            f"does not help; use {wider} or a longer history"
        )

    return fix


def aci_name(arch: str) -> str:
    """Row name of the network with adaptive conformal intervals (``lstm_aci``)."""
    return f"{arch}_aci"


def block_starts(series_list: list[SeriesData], cfg: FinanceConfig) -> tuple[pd.DatetimeIndex, pd.Timestamp]:
    """Returns the refit dates and the first test date.

    Raises:
        PriceDataError: when the history is too short for the requested backtest.
    """
    horizon, lookback = cfg.window.horizon, cfg.window.lookback
    dates = sorted(
        set().union(*(set(s.dates[valid_origins(s, lookback, horizon)]) for s in series_list))  # type: ignore[arg-type]
    )
    asked = cfg.backtest.origins
    test_days = min(asked, len(dates) - _MIN_TRAIN_ORIGINS)
    if test_days < _MIN_TEST:
        raise PriceDataError(
            f"{len(dates)} usable forecast origins, a backtest needs at least "
            f"{_MIN_TRAIN_ORIGINS + _MIN_TEST}; use a longer history (earlier {option('start')}), a shorter "
            f"{option('lookback')} or {option('backtest.enabled', False, '--no-backtest')}"
        )
    if cfg.backtest.test_days is not None and test_days < asked:
        raise PriceDataError(
            f"{option('test_days', asked)} asks for more origins than the data holds ({max(test_days, 0)} usable "
            f"after the first {_MIN_TRAIN_ORIGINS} for training); give {option('test_days', test_days)} "
            "or fewer, "
            "or a longer history"
        )
    if test_days < asked:
        logger.warning(
            "history too short for %d test days: backtesting the last %d origins", asked, test_days
        )
    test = pd.DatetimeIndex(dates[-test_days:])
    return pd.DatetimeIndex(test[:: cfg.backtest.refit_every]), pd.Timestamp(test[0])


def run_backtest(
    series_list: list[SeriesData],
    cfg: FinanceConfig,
    refits: tuple[Refit, ...] | None = None,
    baselines: dict[tuple[int, str], BaselineFit] | None = None,
) -> BacktestResult:
    """Runs the walk-forward backtest of the network and every baseline.

    Args:
        series_list: the tickers' arrays (one global network is trained on all of them).
        cfg: the run configuration (with several tickers, the window's global settings apply: ``for_series``).
        refits: the network's refits, :func:`backtest_refits` of the same arguments (made here when None,
            all of them before any baseline, and then the baselines by :func:`fit_baselines`).
        baselines: the baselines of every block and ticker, :func:`fit_baselines` of the same arguments
            (fitted here, in this process alone, when None and ``refits`` is given: then nothing here is a
            collective step).

    Returns:
        A :class:`BacktestResult` with ``network``-named, baseline and (optionally) ensemble forecasts.
    """
    cfg = for_series(cfg, len(series_list))
    horizon, lookback, qs = cfg.window.horizon, cfg.window.lookback, cfg.model.quantiles
    if refits is None:
        refits = backtest_refits(series_list, cfg)
        baselines = fit_baselines(series_list, cfg, refits)
    out: dict[str, list[np.ndarray]] = {}
    meta: dict[str, list[np.ndarray]] = {"ticker": [], "date": [], "price": [], "actual": [], "ds": []}
    by_member: list[np.ndarray] = []  # (N, n_block, H, Q) per block and ticker, for the members' spread
    fits: list[dict[str, str]] = []  # what the automatic baselines picked, per block and ticker
    scales: dict[str, float] = {}  # MASE scale of each ticker: its history before its own first test origin
    for b, refit in enumerate(refits):
        cuts, fitted = refit.cuts, refit.fitted
        for s in series_list:
            origins = block_origins(s, refit, lookback, horizon)
            if len(origins) == 0:
                continue
            done = baselines[b, s.ticker] if baselines is not None else fit_one(s, refit, origins, cfg)
            if s.ticker not in scales:  # its first block: the history before its own first origin
                scales[s.ticker] = naive_scale(s.close[: int(origins[0])])
            base, chosen = done.forecasts, done.chosen
            if fitted.members > 1:  # the ensemble and its members from one pass of each member
                net, each = fitted.predict_both(s, origins, garch=base["garch"])
                by_member.append(each)
            else:
                net = fitted.predict(s, origins, garch=base["garch"])
            preds = {cfg.model.arch: net, **base}
            if chosen:
                fits.append({"ticker": s.ticker, "fitted_to": str(s.dates[cuts[s.ticker]].date())} | chosen)
            if cfg.backtest.ensemble:
                members = [preds[cfg.model.arch], *(preds[m] for m in ENSEMBLE_MEMBERS)]
                preds["ensemble"] = np.sort(np.mean(members, axis=0), axis=-1)
            for name, p in preds.items():
                out.setdefault(name, []).append(p)
            meta["ticker"].append(np.full(len(origins), s.ticker, dtype=object))
            meta["date"].append(s.dates[origins].to_numpy())
            meta["price"].append(s.close[origins])
            meta["actual"].append(cumulative_targets(s, origins, horizon))
            meta["ds"].append(s.dates.to_numpy()[origins[:, None] + np.arange(1, horizon + 1)[None, :]])
    left_out = _left_out(series_list, refits, {str(t[0]) for t in meta["ticker"]})
    forecasts = {k: np.concatenate(v) for k, v in out.items()}
    tickers, dates = np.concatenate(meta["ticker"]), pd.DatetimeIndex(np.concatenate(meta["date"]))
    actual = np.concatenate(meta["actual"])
    states: dict[str, AciState] = {}
    if cfg.backtest.aci_gamma > 0:
        net = forecasts[cfg.model.arch]
        aci = np.empty_like(net)
        for t in np.unique(tickers):  # each ticker's origins in date order, one trading day apart
            rows = np.flatnonzero(tickers == t)
            rows = rows[np.argsort(dates[rows], kind="stable")]
            aci[rows], state = adaptive_conformal_state(net[rows], actual[rows], qs, cfg.backtest.aci_gamma)
            states[str(t)] = replace(state, last_origin=str(dates[rows[-1]].date()))
        forecasts[aci_name(cfg.model.arch)] = aci
    target_dates = np.concatenate(meta["ds"])
    warn_scored_gaps(series_list, tickers, dates, target_dates, cfg.data.calendar)
    warn_partial_coverage(tickers, dates)
    return BacktestResult(
        model_name=cfg.model.arch,
        quantiles=qs,
        horizon=horizon,
        tickers=tickers,
        dates=dates,
        base_price=np.concatenate(meta["price"]),
        actual=actual,
        forecasts=forecasts,
        refits=len(refits),
        window=cfg.backtest.window,
        scales=scales,
        target_dates=target_dates,
        members=np.concatenate(by_member, axis=1) if by_member else None,
        member_seeds=tuple(cfg.train.seed + i for i in range(cfg.model.members)) if by_member else (),
        baseline_fits=tuple(fits),
        aci_states=states,
        left_out=left_out,
    )


def _left_out(series_list: list[SeriesData], refits: tuple[Refit, ...], scored: set[str]) -> tuple[str, ...]:
    """The tickers without a backtest forecast, named in one warning (an error when that is every ticker).

    A ticker is forecast in a block only when the block's refit trained on it (enough of its rows before
    the block's first date): a recent listing beside older stocks may get none.

    Raises:
        PriceDataError: when no ticker has a backtest forecast.
    """
    left = [s for s in series_list if s.ticker not in scored]
    if not left:
        return ()
    span = f"{refits[0].start.date()}" + (f" to {refits[-1].start.date()}" if len(refits) > 1 else "")
    names = name_some(f"{s.ticker} ({len(s.dates)} rows from {s.dates[0].date()})" for s in left)
    rule = (
        f"the {MIN_SERIES_ORIGINS} training windows a series needs before a refit ({span}) and a test origin "
        "after it"
    )
    if len(left) == len(series_list):
        raise PriceDataError(
            f"no series has a backtest forecast: at no refit did any have {rule}: {names}; "
            f"give a longer history, fewer {option('test_days')} or a smaller {option('refit_every')}"
        )
    logger.warning(
        "%d of %d series left out of the backtest (not scored), never with %s: %s; give %s a longer history "
        "or use a smaller %s",
        len(left),
        len(series_list),
        rule,
        names,
        "them" if len(left) > 1 else "it",
        option("refit_every"),
    )
    return tuple(s.ticker for s in left)


def backtest_refits(series_list: list[SeriesData], cfg: FinanceConfig) -> tuple[Refit, ...]:
    """Refits the network for every block of :func:`run_backtest`, one after the other, and nothing else:
    every collective step of a multi-process training, in the same order on every rank. With ``[backtest]
    warm_refit_epochs`` > 0 every refit after the first starts from the one before's weights and trains that
    many epochs (the first is trained as without it). Under
    ``torchrun`` every rank calls it; the baselines, forecasts and scores come after, from its result
    (:func:`run_backtest`), on rank zero alone in a command line.

    Raises:
        PriceDataError: when the history is too short for the requested backtest.
    """
    cfg = for_series(cfg, len(series_list))
    starts, _ = block_starts(series_list, cfg)
    ends = [*starts[1:], pd.Timestamp.max]
    warm = cfg.backtest.warm_refit_epochs
    warm_cfg = replace(cfg, train=replace(cfg.train, epochs=warm)) if warm > 0 else cfg
    refits: list[Refit] = []
    for b, (d0, d1) in enumerate(zip(starts, ends, strict=True)):
        cuts = {s.ticker: int(np.searchsorted(s.dates, d0, side="right")) - 1 for s in series_list}
        cuts = {t: c for t, c in cuts.items() if c >= 0}
        warm_start = warm > 0 and bool(refits)  # from the previous refit's weights, fewer epochs
        how = f" warm ({warm} epoch(s))" if warm_start else ""
        logger.info("backtest block %d/%d from %s: refitting%s", b + 1, len(starts), d0.date(), how)
        init = refits[-1].fitted.model if warm_start else None
        fitted = fit_at(series_list, cuts, warm_cfg if warm_start else cfg, init=init)
        refits.append(Refit(d0, d1, cuts, fitted))
    return tuple(refits)


def forecast_table(bt: BacktestResult) -> pd.DataFrame:
    """Every backtest forecast as a long table, one row per ticker, origin, model and step (in prices).

    Columns: ``unique_id`` (ticker), ``cutoff`` (origin date), ``ds`` (target date), ``model``, ``step``
    (days ahead), one column per quantile (``p10``, ``p50``, ``p90``: ``C[t] * exp(q)``) and ``y`` (the
    realised close, as the history gives it), the layout of Darts/statsforecast cross-validation outputs.
    """
    n, horizon = bt.actual.shape
    steps = np.tile(np.arange(1, horizon + 1), n)
    origin = np.repeat(np.arange(n), horizon)
    price0 = bt.base_price[origin]
    ds = (
        bt.target_dates.reshape(-1)
        if bt.target_dates is not None
        else np.full(n * horizon, np.datetime64("NaT"))
    )
    frames = []
    for name, f in bt.forecasts.items():
        cols: dict[str, object] = {
            "unique_id": bt.tickers[origin],
            "cutoff": bt.dates.to_numpy()[origin],
            "ds": ds,
            "model": name,
            "step": steps,
        }
        for j, q in enumerate(bt.quantiles):
            cols[f"p{100 * q:g}"] = price0 * np.exp(f[..., j].reshape(-1))
        cols["y"] = price0 * np.exp(bt.actual.reshape(-1))
        frames.append(pd.DataFrame(cols))
    table = pd.concat(frames, ignore_index=True)
    for col in ("cutoff", "ds"):
        table[col] = pd.to_datetime(table[col]).dt.strftime("%Y-%m-%d")
    return table
