"""carrousel-finance global model over many series: time and peak memory against the number of series, and
held-out accuracy of one global network against one network per series on real daily series.

* ``scaling``: for each ``N`` a fresh process generates ``N`` SYNTHETIC daily OHLCV series (``--rows`` days
  each: log returns with GARCH(1,1)-like volatility clustering, a random price level and volatility per
  series) and trains one global network (``--epochs``, one member, one thread) with the lazy window store;
  (without the GARCH combination's held-out fits, ``garch_weight = 0``): it reports wall and CPU seconds of
  indexing + training (CPU time is steadier on a shared machine), the process's peak RSS (``ru_maxrss``) and its growth
  over the RSS after data generation, the window store's size and what materialised windows would take.
  ``--eager`` also runs the old path (every window materialised) at each ``N`` for the memory comparison.
  A least-squares line through ``(N, seconds)`` and ``(N, MB)`` gives the per-series slope and R^2.
* ``accuracy``: the REAL series the packages ship: AAPL, IBM, MSFT, GOOG (bokeh sample, 2000-2013;
  ``carrousel-data fetch finance``), S&P 500 and NASDAQ Composite (``arch`` 1999-2018, OHLCV), WTI crude
  oil (``arch``, 1986-2019, close only) and the VIX (``arch``, 2014-2019, close only). The last
  ``--holdout`` days of each series are held out; one global network is trained on all eight and one
  network per series on that series alone (same settings, seed ``--seed``), and both are scored on the
  held-out days against the random walk, drift, zero-return, EWMA, GARCH and ARIMA baselines (pinball in
  percent log return, p10-p90 coverage, relative MAE vs the random walk), every series reported. The
  ``*_aci`` rows continue each series' ACI state from its validation windows into the held-out days (what
  the bundle carries); ``*_aci_restarted`` start ACI afresh at the cut-off. ``combined`` is the forecast
  combination of the two networks: the mean of their calibrated quantiles (p10, p50, p90 each) series by
  series; ``combined_aci_restarted`` runs ACI on it from the cut-off. ``--validation`` drops the last
  500 days of every series first (the held-out days are then the ``--holdout`` before them); ``--aci-gamma``
  sets the ACI step (default: the config's).

* ``calibration``: the default walk-forward backtest (refits, as ``finance backtest``) of the same real
  series, each alone and each aligned group (bokeh's four, arch's four) with one global network: pinball and
  p10-p90 coverage of the network, its adaptive-conformal row (``lstm_aci``) and the volatility baselines,
  and each run's verdict and the seed-ensemble members' spread; per series, the intervals' line (Diebold-
  Mariano tests of the pinball loss against every baseline on that series' windows, Holm-adjusted:
  ``intervals`` in the JSON). ``--validation`` drops the last 500 days of
  every series, so the backtest scores the 500 days BEFORE the test period (where defaults are chosen);
  ``--target-scale static|ewma`` and ``--[no-]vol-inputs`` pick the network's variant (for the runs alone and
  the global runs alike; without them each uses its own default: ``[window] target_scale``/``vol_inputs`` alone,
  ``global_target_scale``/``global_vol_inputs`` global), ``--no-auto`` skips AutoETS, Theta and AutoARIMA
  (faster; the other rows are unchanged), ``--no-alone`` runs only the global networks, ``--calibration
  scale|offsets|none`` picks the network's calibration on held-out windows (default: the config's, ``scale``),
  ``--garch-weight W`` the weight of the GARCH(1,1) quantiles averaged with the network's before that
  calibration (default: the config's, 0.4; 0: the network alone, the default before),
  ``--warm-refit-epochs N`` warm-started refits (``[backtest] warm_refit_epochs``: every refit after the first
  starts from the previous one's weights and trains N epochs; default: the config's, 0 = from scratch). The
  network's relative MAE (``rel_mae`` of the ``lstm`` row) and each run's CPU seconds of this process
  (``cpu_seconds``: ``refits``, the network's walk-forward fits alone, and ``backtest``, refits + baselines +
  forecasts) are reported too.

Usage::

    python benchmarks/bench_finance_global.py scaling --series 50 100 200 400 --json scaling.json
    python benchmarks/bench_finance_global.py accuracy --json accuracy.json
    python benchmarks/bench_finance_global.py accuracy --validation --aci-gamma 0.05 --json accuracy-val.json
    python benchmarks/bench_finance_global.py calibration --json calibration.json
    python benchmarks/bench_finance_global.py calibration --validation --no-global --no-auto --target-scale static --no-vol-inputs
    python benchmarks/bench_finance_global.py calibration --validation --no-alone --no-auto --no-vol-inputs
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd


def synthetic_panel(n: int, rows: int, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic OHLCV series (GARCH(1,1)-like returns, AR(1) 0.05), long layout ``unique_id, ds, y...``."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("2005-01-03", periods=rows)
    parts = []
    for i in range(n):
        base = rng.uniform(0.008, 0.03)
        omega, alpha, beta = base**2 * 0.05, 0.08, 0.87
        var, prev, ret = base**2, 0.0, np.empty(rows)
        z = rng.standard_t(6, rows) / np.sqrt(1.5)
        for t in range(rows):
            ret[t] = 0.05 * prev + np.sqrt(var) * z[t]
            var = omega + alpha * (ret[t] - 0.05 * prev) ** 2 + beta * var
            prev = ret[t]
        close = rng.uniform(5, 500) * np.exp(np.cumsum(ret))
        gap = rng.normal(0, base * 0.3, rows)
        open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(gap)
        wick = np.abs(rng.normal(0, base * 0.5, (2, rows)))
        high = np.maximum(open_, close) * np.exp(wick[0])
        low = np.minimum(open_, close) * np.exp(-wick[1])
        vol = rng.lognormal(14, 0.3, rows) * (1 + 20 * np.abs(ret))
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": f"SYN{i:04d}",
                    "ds": ds,
                    "y": close,
                    "open": open_,
                    "high": high,
                    "low": low,
                    "volume": vol,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_point(n: int, rows: int, epochs: int, eager: bool) -> dict[str, Any]:
    """Runs in a fresh process: one global fit over ``n`` synthetic series.

    Timed: indexing the windows (lazy store, or every window materialised for ``eager``) and training;
    the frame's validation and feature building, the same for both, come before the clock starts.
    """
    import torch

    from carrousel.finance.config import FinanceConfig, ModelConfig, TrainSettings
    from carrousel.finance.features import training_windows
    from carrousel.finance.frames import frame_series
    from carrousel.finance.models import build_forecaster
    from carrousel.finance.multiseries import train_global
    from carrousel.finance.panel import panel_windows
    from carrousel.finance.training import fit_at, fit_forecaster

    torch.set_num_threads(1)
    cfg = FinanceConfig(model=ModelConfig(members=1), train=TrainSettings(epochs=epochs, patience=epochs))
    cfg = replace(cfg, backtest=replace(cfg.backtest, garch_weight=0.0))  # training alone: no GARCH fits
    train_global(synthetic_panel(3, 300, seed=1), cfg)  # warm-up: lazy imports, allocator, first backward
    _, series = frame_series(synthetic_panel(n, rows), cfg)
    cuts = {s.ticker: len(s.close) - 1 for s in series}
    before = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if eager:  # the old path: every window of every series materialised, then trained on
        data = training_windows(series, cuts, cfg)
        torch.manual_seed(0)
        net = build_forecaster(cfg.model, cfg.window)
        qs = cfg.model.quantiles
        result = fit_forecaster(net, (data.x_train, data.y_train), (data.x_val, data.y_val), qs, cfg.train)
        windows, history, extra = len(data.x_train), result.history, {}
    else:
        panel = panel_windows(series, cuts, cfg)
        fitted = fit_at(series, cuts, cfg, panel)
        windows, history = len(panel.train), fitted.history
        extra = {
            "store_mb": panel.train.nbytes / 2**20,
            "materialised_mb": (panel.train.materialised_nbytes() + panel.val.materialised_nbytes()) / 2**20,
        }
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "series": n, "mode": "eager" if eager else "lazy", "seconds": seconds, "cpu_seconds": cpu,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_mb(), "windows": windows, "train_loss": history[-1]["train_loss"],
    } | extra  # fmt: skip


def _fit_line(xs: list[float], ys: list[float]) -> dict[str, float]:
    slope, icpt = np.polyfit(xs, ys, 1)
    pred = slope * np.asarray(xs) + icpt
    ss = float(np.sum((np.asarray(ys) - np.mean(ys)) ** 2))
    return {"slope_per_series": float(slope), "intercept": float(icpt),
            "r2": 1 - float(np.sum((np.asarray(ys) - pred) ** 2)) / ss if ss > 0 else 1.0}  # fmt: skip


def scaling(args: argparse.Namespace) -> dict[str, Any]:
    points = []
    for n in args.series:
        for mode in ("lazy", "eager") if args.eager else ("lazy",):
            cmd = [sys.executable, __file__, "_point", str(n), str(args.rows), str(args.epochs), mode]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            p = json.loads(out.strip().splitlines()[-1])
            p["growth_mb"] = p["peak_rss_mb"] - p["rss_before_mb"]
            points.append(p)
            print(f"N={n:5d} {mode:5s}: {p['seconds']:7.1f} s ({p.get('cpu_seconds', 0):.1f} s CPU), peak RSS {p['peak_rss_mb']:7.1f} MB "
                  f"(+{p['growth_mb']:.1f} MB for training), {p['windows']} windows"
                  + (f", store {p['store_mb']:.1f} MB vs materialised {p['materialised_mb']:.1f} MB"
                     if mode == "lazy" else ""), file=sys.stderr, flush=True)  # fmt: skip
    lazy = [p for p in points if p["mode"] == "lazy"]
    xs = [float(p["series"]) for p in lazy]
    return {
        "data": f"synthetic: {args.rows} days per series, GARCH(1,1)-like returns, OHLCV",
        "settings": {"epochs": args.epochs, "members": 1, "threads": 1, "rows": args.rows},
        "points": points,
        "time_fit": _fit_line(xs, [p["seconds"] for p in lazy]),
        "cpu_time_fit": _fit_line(xs, [p.get("cpu_seconds", p["seconds"]) for p in lazy]),
        "peak_rss_fit": _fit_line(xs, [p["peak_rss_mb"] for p in lazy]),
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()[0]},
    }


def real_panel() -> pd.DataFrame:
    """The real daily series shipped by packages (see the module docstring), long layout."""
    from arch.data import nasdaq, sp500, vix, wti

    from carrousel.finance.config import DataConfig
    from carrousel.finance.data import load_histories
    from carrousel.finance.frames import to_frame

    frames = [to_frame(load_histories(DataConfig(tickers=("AAPL", "IBM", "MSFT", "GOOG"), source="sample")))]
    for name, mod in (("SP500", sp500), ("NASDAQ", nasdaq)):
        d = mod.load()
        adj = d["Adj Close"] / d["Close"]
        frames.append(pd.DataFrame({
            "unique_id": name, "ds": d.index, "y": d["Adj Close"].to_numpy(), "open": (d["Open"] * adj).to_numpy(),
            "high": (d["High"] * adj).to_numpy(), "low": (d["Low"] * adj).to_numpy(), "volume": d["Volume"].to_numpy(),
        }))  # fmt: skip
    for name, mod, col in (("WTI", wti, "DCOILWTICO"), ("VIX", vix, "vix")):
        d = mod.load()[col].dropna()
        frames.append(pd.DataFrame({"unique_id": name, "ds": d.index, "y": d.to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def accuracy(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from carrousel.finance.config import FinanceConfig, ModelConfig, TrainSettings
    from carrousel.finance.multiseries import train_global

    torch.set_num_threads(1)
    cfg = FinanceConfig(
        model=ModelConfig(members=args.members), train=TrainSettings(epochs=args.epochs, seed=args.seed)
    )
    if args.aci_gamma is not None:
        cfg = replace(cfg, backtest=replace(cfg.backtest, aci_gamma=args.aci_gamma))
    if args.global_calibration_share is not None:
        cfg = replace(
            cfg, backtest=replace(cfg.backtest, global_calibration_share=args.global_calibration_share)
        )
    df = real_panel()
    if args.validation:  # the validation period: the --holdout days before the last 500 (those dropped)
        df = df[df.groupby("unique_id", sort=False).cumcount(ascending=False) >= 500]
    t0 = time.perf_counter()
    glob = train_global(df, cfg, holdout_days=args.holdout)
    out: dict[str, Any] = {"global_seconds": time.perf_counter() - t0, "series": {}}
    per_seconds = 0.0
    for uid, rows in df.groupby("unique_id", sort=False):
        t0 = time.perf_counter()
        own = train_global(rows, cfg, holdout_days=args.holdout)
        per_seconds += time.perf_counter() - t0
        g, o = glob.holdout[str(uid)], own.holdout[str(uid)]
        first, last = rows["ds"].iloc[0].date(), rows["ds"].iloc[-1].date()
        row: dict[str, Any] = {"days": len(rows), "first": str(first), "last": str(last)}
        row |= {"global": vars(g["network"]), "per_series": vars(o["network"])}
        row |= {"global_aci": vars(g["network_aci"]), "per_series_aci": vars(o["network_aci"])}
        row |= {  # ACI restarted at the cut-off (multipliers of 1), as scored before the state was carried
            "global_aci_restarted": _restarted_aci(glob, rows, args.holdout),
            "per_series_aci_restarted": _restarted_aci(own, rows, args.holdout),
        }
        row |= _combined(glob, own, rows, args.holdout, g)
        row |= {k: vars(v) for k, v in g.items() if not k.startswith("network")}
        out["series"][str(uid)] = row
        print(
            f"{uid:7s} pinball/coverage: global {g['network'].pinball:.4f}/{g['network'].coverage:.3f}, "
            f"global_aci {g['network_aci'].pinball:.4f}/{g['network_aci'].coverage:.3f} (restarted "
            f"{row['global_aci_restarted']['pinball']:.4f}/{row['global_aci_restarted']['coverage']:.3f}), own "
            f"{o['network'].pinball:.4f}/{o['network'].coverage:.3f}, own_aci {o['network_aci'].pinball:.4f}/"
            f"{o['network_aci'].coverage:.3f} (restarted {row['per_series_aci_restarted']['pinball']:.4f}/"
            f"{row['per_series_aci_restarted']['coverage']:.3f}), ewma {g['ewma'].pinball:.4f}/"
            f"{g['ewma'].coverage:.3f}, garch {g['garch'].pinball:.4f}/{g['garch'].coverage:.3f}, auto_ets "
            f"{g['auto_ets'].pinball:.4f}/{g['auto_ets'].coverage:.3f}; combined {row['combined']['pinball']:.4f}/"
            f"{row['combined']['coverage']:.3f} (+ ACI restarted {row['combined_aci_restarted']['pinball']:.4f}/"
            f"{row['combined_aci_restarted']['coverage']:.3f}); rel. MAE global "
            f"{g['network'].rel_mae:.3f} own {o['network'].rel_mae:.3f}",
            file=sys.stderr,
            flush=True,
        )
    out["per_series_seconds"] = per_seconds
    rows_ = list(out["series"].values())
    models = [k for k in rows_[0] if isinstance(rows_[0][k], dict)]
    out["mean"] = {m: {k: float(np.mean([r[m][k] for r in rows_])) for k in ("pinball", "coverage", "rel_mae")
                       if k in rows_[0][m]} for m in models}  # fmt: skip
    out["global_lower_pinball_than_per_series"] = int(
        sum(r["global"]["pinball"] < r["per_series"]["pinball"] for r in rows_)
    )
    out["lowest_pinball"] = {
        uid: min(models, key=lambda m: r[m]["pinball"]) for uid, r in out["series"].items()
    }
    out["coverage_in_0.77_0.83"] = {
        m: int(sum(0.77 <= r[m]["coverage"] <= 0.83 for r in rows_)) for m in models
    }
    out["settings"] = {"holdout_days": args.holdout, "epochs": args.epochs, "members": args.members,
                       "seed": args.seed, "threads": 1, "global_windows": glob.windows,
                       "aci_gamma": cfg.backtest.aci_gamma,
                       "period": "validation" if args.validation else "test"}  # fmt: skip
    return out


def _pinball(f: np.ndarray, y: np.ndarray, q: np.ndarray) -> float:
    """Mean pinball loss (percent) of ``(n, H, Q)`` quantiles against ``(n, H)`` outcomes: the scoreboard's."""
    from carrousel.finance.evaluate import pinball_rows

    return float(pinball_rows(f, y, tuple(float(v) for v in q)).mean())


def _scores(
    f: np.ndarray, y: np.ndarray, price0: np.ndarray, q: np.ndarray, rw_mae: float
) -> dict[str, float]:
    """Pinball (percent), p10-p90 coverage, MAE of the median price and rel. MAE of ``(n, H, Q)`` quantiles."""
    mid = int(np.flatnonzero(q == 0.5)[0])
    mae = float(np.mean(np.abs(price0 * np.exp(f[..., mid]) - price0 * np.exp(y))))
    return {
        "pinball": _pinball(f, y, q),
        "coverage": float(np.mean((y >= f[..., 0]) & (y <= f[..., -1]))),
        "mae": mae,
        "rel_mae": mae / rw_mae,
    }


def _combined(glob: Any, own: Any, rows: pd.DataFrame, holdout: int, g: dict[str, Any]) -> dict[str, Any]:
    """Forecast combination: the mean of the global and the per-series network's calibrated quantiles
    (p10, p50, p90 each), on the same held-out origins as ``holdout_scores``; ``combined_aci_restarted``:
    adaptive conformal recalibration of the combination started afresh at the cut-off (multipliers of 1;
    a state carried from the validation windows would need the combination run over them, not done here).
    Each part is checked against the pinball ``holdout_scores`` gave it (the same forecasts)."""
    from carrousel.finance.conformal import adaptive_conformal
    from carrousel.finance.features import cumulative_targets, valid_origins
    from carrousel.finance.frames import frame_series

    parts, origins, y = [], None, None
    for result, name in ((glob, "global"), (own, "per_series")):
        cfg, fitted = result.bundle.config, result.bundle.fitted
        s = frame_series(rows, cfg)[1][0]
        cut = len(s.close) - 1 - holdout
        o = valid_origins(s, cfg.window.lookback, cfg.window.horizon)
        o = o[o >= cut]
        if origins is not None and not np.array_equal(o, origins):
            raise SystemExit("the global and the per-series network are scored on different origins")
        origins, y, price0 = o, cumulative_targets(s, o, cfg.window.horizon), s.close[o][:, None]
        parts.append(fitted.predict(s, o))
        q = np.asarray(cfg.model.quantiles)
        expected = result.holdout[str(rows["unique_id"].iloc[0])]["network"].pinball
        got = _scores(parts[-1], y, price0, q, 1.0)["pinball"]
        if not np.isclose(got, expected, rtol=1e-6):
            raise SystemExit(f"{name} forecasts recomputed give pinball {got:.6f}, not {expected:.6f}")
    comb = (parts[0] + parts[1]) / 2  # the mean of two non-decreasing vectors is non-decreasing
    if not np.all(np.isfinite(comb)) or np.any(np.diff(comb, axis=-1) < 0):
        raise SystemExit("the combined quantiles are not finite and ordered")
    rw = g["random_walk"].mae
    aci = adaptive_conformal(comb, y, tuple(float(v) for v in q), glob.bundle.config.backtest.aci_gamma)
    return {
        "combined": _scores(comb, y, price0, q, rw),
        "combined_aci_restarted": _scores(aci, y, price0, q, rw),
    }


def _restarted_aci(result: Any, rows: pd.DataFrame, holdout: int) -> dict[str, float]:
    """Pinball (percent) and p10-p90 coverage of the network with ACI started afresh at the cut-off, on the
    same held-out origins as ``holdout_scores`` (the row before the state was carried from training)."""
    from carrousel.finance.aci import aci_run
    from carrousel.finance.features import valid_origins
    from carrousel.finance.frames import frame_series

    cfg, fitted = result.bundle.config, result.bundle.fitted
    s = frame_series(rows, cfg)[1][0]
    cut = len(s.close) - 1 - holdout
    origins = valid_origins(s, cfg.window.lookback, cfg.window.horizon)
    _, y, f, _ = aci_run(fitted, s, origins[origins >= cut], cfg.backtest.aci_gamma)
    q = np.asarray(cfg.model.quantiles)
    return {
        "pinball": _pinball(f, y, q),
        "coverage": float(np.mean((y >= f[..., 0]) & (y <= f[..., -1]))),
    }


def _rows_of(bt: Any, rows: np.ndarray) -> Any:
    """The backtest restricted to the windows ``rows`` (one series of a global run), without members."""
    td = None if bt.target_dates is None else bt.target_dates[rows]
    return replace(
        bt, tickers=bt.tickers[rows], dates=bt.dates[rows], base_price=bt.base_price[rows],
        actual=bt.actual[rows], forecasts={k: v[rows] for k, v in bt.forecasts.items()},
        target_dates=td, members=None,
    )  # fmt: skip


CALIBRATION_MODELS = ("lstm", "lstm_aci", "zero_return", "ewma", "garch", "auto_ets", "random_walk")


def calibration(args: argparse.Namespace) -> dict[str, Any]:
    """The default walk-forward backtest (500 origins, refit every 250, 3 members, split conformal) of every
    real series: each series alone (as ``finance backtest X``) and each group of aligned series with one
    global network (bokeh's four to 2013, arch's four to 2018/19); pinball and coverage per series."""
    import torch

    from carrousel.finance.backtest import backtest_refits, run_backtest
    from carrousel.finance.config import FinanceConfig, WindowConfig, for_series
    from carrousel.finance.evaluate import score_backtest
    from carrousel.finance.frames import frame_series
    from carrousel.finance.members import score_run

    torch.set_num_threads(1)
    cfg = FinanceConfig()
    if args.target_scale or args.vol_inputs is not None:  # the same variant for the runs alone and global
        w = cfg.window
        ts, gts = (args.target_scale,) * 2 if args.target_scale else (w.target_scale, w.global_target_scale)
        vi, gvi = (
            (args.vol_inputs,) * 2 if args.vol_inputs is not None else (w.vol_inputs, w.global_vol_inputs)
        )
        cfg = FinanceConfig(
            window=WindowConfig(
                target_scale=ts, vol_inputs=vi, global_target_scale=gts, global_vol_inputs=gvi
            )
        )
    if not args.auto:
        cfg = replace(cfg, backtest=replace(cfg.backtest, auto_baselines=False))
    if args.calibration:  # the network's calibration on held-out windows: scale | offsets | none
        on = args.calibration != "none"
        cal = args.calibration if on else cfg.backtest.calibration
        cfg = replace(cfg, backtest=replace(cfg.backtest, conformal=on, calibration=cal))
    if args.garch_weight is not None:  # the weight of GARCH's quantiles in the network's forecast
        cfg = replace(cfg, backtest=replace(cfg.backtest, garch_weight=args.garch_weight))
    if args.warm_refit_epochs is not None:  # refits after the first from the previous weights, N epochs
        cfg = replace(cfg, backtest=replace(cfg.backtest, warm_refit_epochs=args.warm_refit_epochs))
    df = real_panel()
    if args.validation:  # the validation period: the 500 days before the test period (the last 500 dropped)
        df = df[df.groupby("unique_id", sort=False).cumcount(ascending=False) >= 500]
    groups = {"bokeh": ["AAPL", "IBM", "MSFT", "GOOG"], "arch": ["SP500", "NASDAQ", "WTI", "VIX"]}
    out: dict[str, Any] = {
        "series": {},
        "settings": f"defaults (FinanceConfig()), target scale {cfg.window.target_scale} (global "
        f"{cfg.window.global_target_scale}), vol inputs {cfg.window.vol_inputs} (global "
        f"{cfg.window.global_vol_inputs}), auto baselines "
        f"{cfg.backtest.auto_baselines}, calibration "
        f"{cfg.backtest.calibration if cfg.backtest.conformal else 'none'}, ACI step {cfg.backtest.aci_gamma}, "
        f"GARCH weight {cfg.backtest.garch_weight}, warm refit epochs {cfg.backtest.warm_refit_epochs}, "
        f"{'validation period' if args.validation else 'test period'}",
        "verdicts": {},
        "intervals": {},
        "cpu_seconds": {},  # per run: the network's refits (the walk-forward's fits) and the whole backtest
    }
    runs = [(f"global_{g}", names) for g, names in groups.items() if args.global_runs]
    runs += [("alone", [n]) for names in groups.values() for n in names if args.alone_runs]
    for label, names in runs:
        _, series = frame_series(df[df["unique_id"].isin(names)], cfg)
        t0, c0 = time.perf_counter(), time.process_time()
        refits = backtest_refits(series, cfg)  # the network's refits, timed alone (CPU of this process)
        c1 = time.process_time()
        bt = run_backtest(series, cfg, refits=refits)  # the baselines fitted here, as without refits=
        key = names[0] if label == "alone" else label
        out["cpu_seconds"][key] = {"refits": c1 - c0, "backtest": time.process_time() - c0}
        mid = for_series(cfg, len(series)).model.quantiles.index(0.5)
        for name in names:
            rows = bt.tickers == name
            y = bt.actual[rows]
            row = {}
            for m in CALIBRATION_MODELS:
                if m not in bt.forecasts:
                    continue
                f = bt.forecasts[m][rows]
                cov = float(np.mean((y >= f[..., 0]) & (y <= f[..., -1])))
                row[m] = {"pinball": _pinball(f, y, np.asarray(bt.quantiles)), "coverage": cov}
                if m == "lstm":  # the median's price MAE over the random walk's, same windows
                    p0 = bt.base_price[rows][:, None]
                    rw = np.mean(np.abs(p0 - p0 * np.exp(y)))
                    row[m]["rel_mae"] = float(np.mean(np.abs(p0 * np.exp(f[..., mid]) - p0 * np.exp(y))) / rw)
            out["series"].setdefault(name, {})[label.split("_")[0]] = row
            alone = score_backtest(_rows_of(bt, rows))  # this series' own DM tests of the intervals
            out["intervals"].setdefault(name, {})[label.split("_")[0]] = {
                "verdict": alone.interval_verdict,
                "comparisons": [asdict(c) for c in alone.interval_comparisons],
            }
            print(f"{name:7s} {label:12s} " + ", ".join(
                f"{m} {v['pinball']:.4f}/{v['coverage']:.3f}" for m, v in row.items()
            ), file=sys.stderr, flush=True)  # fmt: skip
            print(f"  {name}: {alone.interval_verdict}", file=sys.stderr, flush=True)
        board = score_run(bt)
        pin = board.member_spread.get("pinball", {})
        cov = board.member_spread.get("coverage", {})
        out["verdicts"][key] = {"verdict": board.verdict, "best_baseline": board.best_baseline,
                                "members_pinball": pin, "members_coverage": cov}  # fmt: skip
        cpu = out["cpu_seconds"][key]
        print(f"  ({label} {key}: {time.perf_counter() - t0:.0f} s, CPU {cpu['refits']:.1f} s refits of "
              f"{cpu['backtest']:.1f} s) {board.verdict}; members' pinball "
              f"{pin.get('min', float('nan')):.4f}-{pin.get('max', float('nan')):.4f}, coverage "
              f"{cov.get('min', float('nan')):.3f}-{cov.get('max', float('nan')):.3f}", file=sys.stderr, flush=True)  # fmt: skip
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_point":
        logging.disable(logging.WARNING)
        n, rows, epochs, mode = sys.argv[2:6]
        print(json.dumps(one_point(int(n), int(rows), int(epochs), mode == "eager")))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    sc = sub.add_parser("scaling")
    sc.add_argument("--series", type=int, nargs="+", default=[50, 100, 200, 400])
    sc.add_argument("--rows", type=int, default=1000)
    sc.add_argument("--epochs", type=int, default=1)
    sc.add_argument("--eager", action="store_true", help="also the materialised-windows path")
    sc.add_argument("--json", default=None, help="write the result here too")
    ac = sub.add_parser("accuracy")
    ac.add_argument("--holdout", type=int, default=500)
    ac.add_argument("--epochs", type=int, default=10)
    ac.add_argument("--members", type=int, default=3)
    ac.add_argument("--seed", type=int, default=0)
    ac.add_argument(
        "--validation", action="store_true", help="drop each series' last 500 days: hold out the days before"
    )
    ac.add_argument("--aci-gamma", type=float, default=None, help="ACI step (default: the config's, 0.005)")
    ac.add_argument(
        "--global-calibration-share",
        type=float,
        default=None,
        help="(default: the config's, 1 = all windows)",
    )
    ac.add_argument("--json", default=None)
    ca = sub.add_parser("calibration")
    ca.add_argument("--no-global", dest="global_runs", action="store_false", help="only one series per run")
    ca.add_argument("--no-alone", dest="alone_runs", action="store_false", help="only the global runs")
    ca.add_argument("--target-scale", default=None, help="static | ewma (default: the config's default)")
    ca.add_argument(
        "--validation", action="store_true", help="drop each series' last 500 days: test the 500 before"
    )
    ca.add_argument(
        "--vol-inputs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="inputs divided by the EWMA volatility (default: the config's: on alone, off global)",
    )
    ca.add_argument("--no-auto", dest="auto", action="store_false", help="without AutoETS/Theta/AutoARIMA")
    ca.add_argument(
        "--calibration",
        choices=("scale", "offsets", "none"),
        default=None,
        help="the network's calibration (default: the config's, scale; offsets: split conformal, the old one)",
    )
    ca.add_argument(
        "--garch-weight",
        type=float,
        default=None,
        help="weight of the GARCH(1,1) quantiles averaged with the network's (default: the config's, 0.4; 0: none)",
    )
    ca.add_argument(
        "--warm-refit-epochs",
        type=int,
        default=None,
        help="refits after the first start from the previous weights and train N epochs (default: the config's, 0)",
    )
    ca.add_argument("--json", default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    doc = {"scaling": scaling, "accuracy": accuracy, "calibration": calibration}[args.part](args)
    text = json.dumps(doc, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
