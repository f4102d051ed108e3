"""carrousel-finance's walk-forward backtest against Darts' ``historical_forecasts``: same data, same origins,
same refit cadence, same-size LSTM, timed side by side in one run, with both models' errors.

Data: the bundled real daily AAPL history (``--source sample``: adjusted close, OHLCV features) loaded and
validated by ``carrousel.finance.data``. The test origins are the last ``--test-days`` trading days whose
``H``-day outcome is known; both models are refitted every ``--refit-every`` origins on what was observable
at the block's first origin, on at most ``max_windows`` (2000) most recent training windows.

* carrousel: ``fit_at`` + one batched ``predict`` per block (the network part of ``run_backtest``, checked
  equal to it); an LSTM of ``--hidden`` units over ``--lookback`` days of 5 scaled features, direct
  ``H``-day quantile head (p10/p50/p90) on cumulative log returns, ``--epochs`` epochs (early stopping off
  so both sides train the same number of epochs), 15% of the windows held out for conformal calibration.
  The full ``run_backtest`` (network + five baselines + ensemble) is timed too, for reference.
* Darts: ``BlockRNNModel(model="LSTM")`` of the same hidden size, layers, lookback (``input_chunk_length``),
  horizon (``output_chunk_length``), dropout, batch size, learning rate, epochs and quantile likelihood;
  target = the scaled daily log return, past covariates = the other 4 features (5 inputs, as carrousel);
  ``historical_forecasts(retrain=R, train_length=2000 + L + H - 1)`` over the same origins. Darts' integer
  index is used (its calendar-frequency index cannot represent trading days with holidays). Darts also
  gets its own best case: one ``fit`` per block and ``historical_forecasts(retrain=False)``, its vectorised
  path.

Timing: the median of ``--rounds`` interleaved rounds, in wall-clock seconds and in CPU seconds of this one
process over the same span (``time.process_time``: on a machine shared with other jobs the wall time of
every path stretches with the load, its CPU time much less), and the ratio of each round.

Errors: MAE of the median price forecast ``C[t] * exp(cumulative log return)`` over every horizon, and
relative MAE (rel. MAE) = MAE / random walk's MAE on the same windows, for both models.

Usage::

    python benchmarks/bench_finance_darts.py       # needs darts importable next to carrousel-finance
    python benchmarks/bench_finance_darts.py --test-days 500 --refit-every 250 --epochs 10
    python benchmarks/bench_finance_darts.py --members 3   # finance's default seed ensemble vs 3 Darts networks

``--precision fp32|bf16`` is the arithmetic of both sides' networks: carrousel fits, calibrates and forecasts
under it (finance's ``[train] precision``: bf16 autocast, float32 weights), Darts' Lightning trainer gets
``pl_trainer_kwargs={"precision": "bf16-mixed"}`` (the same autocast, float32 weights; fp32: Lightning's
default ``32-true``).

``--warm-refit-epochs N`` (default 0) starts carrousel's refits after the first from the previous refit's
weights, N epochs (finance's ``[backtest] warm_refit_epochs``): less arithmetic for the same forecast origins,
NOT the same job as Darts' ``retrain``, which trains every refit from scratch for ``--epochs``.

``--members N`` is the same job on both sides: N networks each. carrousel trains its seed ensemble (seeds
0..N-1, one after another, quantiles averaged); Darts trains N models (``random_state`` 0..N-1), each with
its own ``historical_forecasts``, their median forecasts averaged. The time of Darts' first model alone is
printed too (the ratio against ONE Darts network, as this benchmark reported before ``--members`` meant N
networks on both sides). finance's own default is 3 members.

Darts pulls in PyTorch Lightning and many other packages, so it is best kept out of the project's venv::

    python3 -m venv /tmp/darts-venv && /tmp/darts-venv/bin/pip install torch darts pytorch-lightning \\
        -e packages/core -e packages/finance   # darts 0.48's wheel does not pull in its torch stack
    /tmp/darts-venv/bin/python benchmarks/bench_finance_darts.py
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

LIGHTNING_PRECISION = {"fp32": "32-true", "bf16": "bf16-mixed"}  # --precision -> Lightning's precision


@dataclass(frozen=True)
class Run:
    """One model's walk-forward result."""

    seconds: float  # wall-clock time of the whole walk-forward (fits + predictions)
    origins: np.ndarray  # (n,) origin rows of the series
    cum: np.ndarray  # (n, H) median forecast of log(C[t+h] / C[t])
    refits: int  # number of fits
    one_seconds: float | None = None  # Darts: the first of its networks alone (None: one network only)
    cpu: float = 0.0  # CPU seconds of this process over the same span (less sensitive to a shared machine)


def _quiet() -> None:
    """Silences Lightning's and Darts' per-fit banners and warnings (they would swamp the figures)."""
    warnings.filterwarnings("ignore")
    for name in (
        "pytorch_lightning",
        "lightning",
        "lightning.pytorch",
        "lightning_fabric",
        "lightning_utilities",
        "darts",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from carrousel.finance.config import (
        BacktestConfig,
        DataConfig,
        FinanceConfig,
        ModelConfig,
        TrainSettings,
        WindowConfig,
    )

    return FinanceConfig(
        data=DataConfig(tickers=(args.ticker,), source="sample"),
        window=WindowConfig(lookback=args.lookback, horizon=args.horizon),
        model=ModelConfig(hidden_size=args.hidden, num_layers=args.layers, members=args.members),
        train=TrainSettings(
            epochs=args.epochs, patience=args.epochs + 1, threads=args.threads, precision=args.precision
        ),
        backtest=BacktestConfig(
            test_days=args.test_days,
            refit_every=args.refit_every,
            ensemble=False,
            warm_refit_epochs=args.warm_refit_epochs,
        ),
    )


def carrousel_walk_forward(series, cfg) -> Run:  # type: ignore[no-untyped-def]
    """The network part of ``run_backtest``: its refits (``backtest_refits``: one per block, warm after the
    first with ``[backtest] warm_refit_epochs``), then one batched prediction per block."""
    from carrousel.finance.backtest import backtest_refits
    from carrousel.finance.backtest_baselines import block_origins

    t0, c0 = time.perf_counter(), time.process_time()
    refits = backtest_refits([series], cfg)
    mid = cfg.model.quantiles.index(0.5)
    origins, cum = [], []
    for refit in refits:
        block = block_origins(series, refit, cfg.window.lookback, cfg.window.horizon)
        origins.append(block)
        cum.append(refit.fitted.predict(series, block)[..., mid])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return Run(seconds, np.concatenate(origins), np.concatenate(cum), len(refits), cpu=cpu)


def _darts_model(args: argparse.Namespace, quantiles: tuple[float, ...], seed: int = 0):  # type: ignore[no-untyped-def]
    from darts.models import BlockRNNModel
    from darts.utils.likelihood_models import QuantileRegression

    return BlockRNNModel(
        input_chunk_length=args.lookback,
        output_chunk_length=args.horizon,
        model="LSTM",
        hidden_dim=args.hidden,
        n_rnn_layers=args.layers,
        dropout=0.1,
        batch_size=256,
        n_epochs=args.epochs,
        optimizer_kwargs={"lr": 1e-2},
        likelihood=QuantileRegression(quantiles=list(quantiles)),
        random_state=seed,
        save_checkpoints=False,
        force_reset=True,
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": False,
            "enable_checkpointing": False,
            "gradient_clip_val": 1.0,
            "precision": LIGHTNING_PRECISION[args.precision],
        },
    )


def _darts_data(series, first_test: int, first_valid: int):  # type: ignore[no-untyped-def]
    """Target and covariate TimeSeries scaled with statistics of rows before the first test origin."""
    from darts import TimeSeries

    feats = series.features[first_valid:]
    train = feats[: first_test - first_valid + 1]
    mean, std = np.nanmean(train, axis=0), np.maximum(np.nanstd(train, axis=0), 1e-8)
    scaled = np.nan_to_num((feats - mean) / std).astype(np.float32)
    target = TimeSeries.from_values(scaled[:, :1])
    covs = TimeSeries.from_values(scaled[:, 1:])
    return target, covs, float(mean[0]), float(std[0])


def _median_cum(forecasts, mean: float, std: float, first_valid: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Origins (series rows) and ``(n, H)`` cumulative log returns of the forecasts' median component."""
    origins, cum = [], []
    for f in forecasts:
        names = list(f.components)
        col = next((i for i, c in enumerate(names) if "q0.50" in c), len(names) // 2)
        z = f.values(copy=False)[:, col]
        origins.append(int(f.start_time()) - 1 + first_valid)
        cum.append(np.cumsum(z * std + mean))
    return np.asarray(origins), np.stack(cum)


def darts_members(one, members: int) -> Run:  # type: ignore[no-untyped-def]
    """``members`` Darts networks (seeds ``0..members-1``), each a full run of ``one(seed)``: the summed
    time, the mean of their median forecasts, and the first network's time alone."""
    runs = [one(seed) for seed in range(members)]
    if any(not np.array_equal(r.origins, runs[0].origins) for r in runs):
        raise SystemExit("Darts' networks forecast different origins; the comparison is void")
    cum = np.mean([r.cum for r in runs], axis=0)
    seconds, cpu = sum(r.seconds for r in runs), sum(r.cpu for r in runs)
    return Run(seconds, runs[0].origins, cum, runs[0].refits, runs[0].seconds, cpu=cpu)


def darts_walk_forward(series, cfg, args, first_test: int, seed: int = 0) -> Run:  # type: ignore[no-untyped-def]
    """Darts' ``historical_forecasts`` with ``retrain=refit_every`` over the same origins (one network)."""
    fv = series.first_valid
    target, covs, mean, std = _darts_data(series, first_test, fv)
    model = _darts_model(args, cfg.model.quantiles, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    forecasts = model.historical_forecasts(
        series=target,
        past_covariates=covs,
        start=first_test + 1 - fv,
        forecast_horizon=args.horizon,
        stride=1,
        retrain=args.refit_every,
        train_length=cfg.train.max_windows + args.lookback + args.horizon - 1,
        last_points_only=False,
        overlap_end=False,
        verbose=False,
        predict_likelihood_parameters=True,
        show_warnings=False,
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    origins, cum = _median_cum(forecasts, mean, std, fv)
    refits = -(-len(origins) // args.refit_every)
    return Run(seconds, origins, cum, refits, cpu=cpu)


def darts_block_fits(series, cfg, args, first_test: int, last_origin: int, seed: int = 0) -> Run:  # type: ignore[no-untyped-def]
    """Darts' fastest equivalent: ``fit`` per block, then ``historical_forecasts(retrain=False)``."""
    fv = series.first_valid
    target, covs, mean, std = _darts_data(series, first_test, fv)
    train_len = cfg.train.max_windows + args.lookback + args.horizon - 1
    t0, c0 = time.perf_counter(), time.process_time()
    all_forecasts = []
    refits = 0
    for b0 in range(first_test, last_origin + 1, args.refit_every):
        b1 = min(b0 + args.refit_every, last_origin + 1)  # origins b0..b1-1
        p0 = b0 - fv  # position of the block's first origin: training targets end there
        model = _darts_model(args, cfg.model.quantiles, seed)
        model.fit(target[max(0, p0 + 1 - train_len) : p0 + 1], past_covariates=covs, verbose=False)
        refits += 1
        end = b1 - 1 - fv + args.horizon + 1  # the last origin's outcome is the end of the slice
        all_forecasts += model.historical_forecasts(
            series=target[:end],
            past_covariates=covs,
            start=p0 + 1,
            forecast_horizon=args.horizon,
            stride=1,
            retrain=False,
            last_points_only=False,
            overlap_end=False,
            verbose=False,
            predict_likelihood_parameters=True,
            show_warnings=False,
        )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    origins, cum = _median_cum(all_forecasts, mean, std, fv)
    return Run(seconds, origins, cum, refits, cpu=cpu)


def price_mae(series, run: Run, horizon: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """MAE of ``C[t] * exp(cum)`` against the realised prices, and the random walk's MAE, same windows."""
    from carrousel.finance.features import cumulative_targets

    actual = cumulative_targets(series, run.origins, horizon)
    base = series.close[run.origins][:, None]
    truth = base * np.exp(actual)
    return float(np.mean(np.abs(base * np.exp(run.cum) - truth))), float(np.mean(np.abs(base - truth)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--test-days", type=int, default=500, help="test origins (N)")
    parser.add_argument("--refit-every", type=int, default=250, help="origins between refits")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--lookback", type=int, default=30)
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for both (0 = torch's)")
    parser.add_argument(
        "--members",
        type=int,
        default=1,
        help="networks on each side: carrousel's seed ensemble and as many Darts models (3 = finance's default)",
    )
    parser.add_argument(
        "--precision",
        choices=tuple(LIGHTNING_PRECISION),
        default="fp32",
        help="both sides' network arithmetic: fp32, or bf16 autocast (Darts: Lightning's bf16-mixed)",
    )
    parser.add_argument(
        "--warm-refit-epochs",
        type=int,
        default=0,
        help="carrousel's refits after the first start from the previous weights and train N epochs "
        "([backtest] warm_refit_epochs; Darts still retrains from scratch); 0 = from scratch",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median)")
    parser.add_argument("--skip-full", action="store_true", help="do not time carrousel's full run_backtest")
    parser.add_argument("--skip-darts-blocks", action="store_true", help="skip Darts' fit-per-block path")
    args = parser.parse_args()
    missing = [m for m in ("darts", "pytorch_lightning") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"darts historical_forecasts comparison skipped: {' and '.join(missing)} not installed "
            "(pip install darts pytorch-lightning, best in a separate venv with -e packages/core "
            "-e packages/finance)"
        )
        return 0
    import darts
    import torch
    from darts.models import BlockRNNModel  # noqa: F401  (imports Lightning, which sets up its loggers)

    from carrousel.finance.backtest import block_starts, run_backtest
    from carrousel.finance.data import load_histories
    from carrousel.finance.features import build_series

    _quiet()

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cfg = _config(args)
    series = build_series(args.ticker, load_histories(cfg.data)[0].frame)
    _, first_date = block_starts([series], cfg)
    first_test = int(np.searchsorted(series.dates, first_date))
    print(
        f"machine: {os.cpu_count()} CPU cores, load {os.getloadavg()[0]:.1f}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread(s)), darts {darts.__version__}, python {sys.version.split()[0]}"
    )
    print(
        f"{args.ticker} sample data, {args.test_days} origins {first_date.date()}..{series.dates[-1 - args.horizon].date()}, "
        f"refit every {args.refit_every}, LSTM {args.layers}x{args.hidden}, lookback {args.lookback}, "
        f"horizon {args.horizon}, {args.epochs} epochs, p10/p50/p90, <= {cfg.train.max_windows} training windows, "
        f"{args.members} network(s) on each side, precision {args.precision}, carrousel warm refit epochs "
        f"{args.warm_refit_epochs} (0: from scratch, as Darts) "
        f"(Darts: Lightning {LIGHTNING_PRECISION[args.precision]})"
    )  # fmt: skip

    warm = argparse.Namespace(**{**vars(args), "test_days": 20, "refit_every": 20, "epochs": 1})
    warm_cfg = _config(warm)
    warm_first = int(np.searchsorted(series.dates, block_starts([series], warm_cfg)[1]))
    carrousel_walk_forward(series, warm_cfg)  # untimed warm-up of both stacks (imports, allocator, ...)
    darts_walk_forward(series, warm_cfg, warm, warm_first)

    paths = {
        "carrousel fit_at + batched predict": lambda: carrousel_walk_forward(series, cfg),
        f"darts historical_forecasts(retrain={args.refit_every})": lambda: darts_members(
            lambda seed: darts_walk_forward(series, cfg, args, first_test, seed), args.members
        ),
    }
    if not args.skip_darts_blocks:
        last = int(series.dates.get_loc(series.dates[-1 - args.horizon]))
        paths["darts fit per block + hf(retrain=False)"] = lambda: darts_members(
            lambda seed: darts_block_fits(series, cfg, args, first_test, last, seed), args.members
        )
    runs: dict[str, list[Run]] = {name: [] for name in paths}
    for _ in range(args.rounds):  # interleaved rounds: load changes on a shared machine hit every path
        for name, fn in paths.items():
            runs[name].append(fn())
    ours = runs[next(iter(paths))][0]
    seconds = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    base, base_cpu = seconds[next(iter(paths))], cpu[next(iter(paths))]
    head = f"{'walk-forward (median of ' + str(args.rounds) + ')':<42} {'refits':>6} {'seconds':>8}"
    print(f"{head} {'/ carrousel':>11} {'CPU s':>7} {'/ carr.':>7} {'MAE $':>8} {'rel.MAE':>7}")
    for name, rs in runs.items():
        run = rs[0]
        if not np.array_equal(run.origins, ours.origins):
            raise SystemExit(f"{name}: forecast origins differ from carrousel's; the comparison is void")
        m, rw = price_mae(series, run, args.horizon)
        print(
            f"{name:<42} {run.refits:>6} {seconds[name]:>8.1f} {seconds[name] / base:>10.2f}x "
            f"{cpu[name]:>7.1f} {cpu[name] / base_cpu:>6.2f}x {m:>8.3f} {m / rw:>7.3f}"
        )
    _, rw = price_mae(series, ours, args.horizon)
    print(
        f"{'random walk (same windows)':<42} {'':>6} {'':>8} {'':>11} {'':>7} {'':>7} {rw:>8.3f} {1.0:>7.3f}"
    )
    if not args.skip_full:
        t0 = time.perf_counter()
        bt = run_backtest([series], cfg)
        full = time.perf_counter() - t0
        same = np.allclose(bt.forecasts[cfg.model.arch][..., cfg.model.quantiles.index(0.5)], ours.cum)
        print(
            f"carrousel full run_backtest (network + 5 baselines incl. ARIMA): {full:.1f} s; "
            f"its network forecasts equal the timed walk-forward: {same}"
        )
    hf = list(runs)[1]
    ratio = seconds[hf] / base
    faster = f"carrousel {ratio:.1f}x faster" if ratio >= 1 else f"darts {1 / ratio:.1f}x faster"
    job = (
        f"carrousel's refits warm-started, {args.warm_refit_epochs} epochs after the first: less work, not the "
        "same job"
        if args.warm_refit_epochs
        else "the same job"
    )
    print(
        f"darts historical_forecasts(retrain={args.refit_every}) / carrousel walk-forward, {args.members} "
        f"network(s) on each side ({job}) = {ratio:.2f} ({faster})"
    )
    rounds = ", ".join(
        f"{d.seconds / c.seconds:.2f}" for c, d in zip(runs[next(iter(paths))], runs[hf], strict=True)
    )
    print(
        f"  per round (wall): {rounds}; in CPU seconds of this process (less sensitive to other jobs on a "
        f"shared machine): {cpu[hf] / base_cpu:.2f}"
    )
    if args.members > 1:
        one = statistics.median(r.one_seconds or r.seconds for r in runs[hf])
        print(
            f"ONE darts network ({one:.1f} s) / carrousel's {args.members}-network walk-forward = {one / base:.2f} "
            f"(carrousel {args.members} networks vs darts 1)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
