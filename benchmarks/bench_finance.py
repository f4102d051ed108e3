"""carrousel-finance speed: the whole ``finance forecast AAPL --source sample`` against its 60 s goal, the
phases inside it, and batched backtest prediction against one forward call per date.

1. End to end: ``finance forecast`` runs in a fresh process (imports included) through the console entry
   point ``carrousel.finance.cli:main``, as a user would start it; wall-clock and CPU time (of the child)
   are reported with the ratio to the 60 s goal.
2. Phases, in this process: loading + validating the data, the walk-forward backtest (refits + baselines +
   scoring), the final fit on all data.
3. Prediction of every backtest origin: one batched pass against one forward call per origin, the same
   model and windows, interleaved rounds, median times and their ratio.

The comparison with Darts' ``historical_forecasts`` lives in ``benchmarks/bench_finance_darts.py`` (it
needs ``pip install darts pytorch-lightning``, which the project's environment does not carry).

Usage::

    python benchmarks/bench_finance.py                 # needs the sample: carrousel-data fetch finance
    python benchmarks/bench_finance.py --runs 2 --ticker MSFT
    python benchmarks/bench_finance.py --skip-cli      # phases and batching only
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

GOAL_S = 60.0


def _finance_cmd() -> list[str]:
    """The ``finance`` console script's entry point, run by this interpreter (the source tree on its path)."""
    return [sys.executable, "-c", "from carrousel.finance.cli import main; main()"]


def end_to_end(ticker: str, runs: int) -> dict[str, object]:
    """Runs the CLI ``runs`` times in fresh processes; returns timings and the parsed JSON of the last run."""
    walls, cpus, doc = [], [], {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            cmd = [*_finance_cmd(), "forecast", ticker, "--source", "sample", "--json", "--out", tmp]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
            if proc.returncode != 0:
                raise SystemExit(f"finance forecast failed: {proc.stderr.strip().splitlines()[-1:]}")
            doc = json.loads(proc.stdout)
    return {"wall": walls, "cpu": cpus, "doc": doc}


def phases(ticker: str) -> dict[str, float]:
    """Times the pipeline's phases in this process (imports already done)."""
    from carrousel.finance.backtest import run_backtest
    from carrousel.finance.config import DataConfig, FinanceConfig
    from carrousel.finance.data import load_histories
    from carrousel.finance.evaluate import score_backtest
    from carrousel.finance.features import build_series
    from carrousel.finance.training import fit_at

    cfg = FinanceConfig(data=DataConfig(tickers=(ticker,), source="sample"))
    t0 = time.perf_counter()
    hists = load_histories(cfg.data)
    series = [build_series(h.ticker, h.frame) for h in hists]
    t1 = time.perf_counter()
    bt = run_backtest(series, cfg)
    score_backtest(bt)
    t2 = time.perf_counter()
    fit_at(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    t3 = time.perf_counter()
    return {"data": t1 - t0, "backtest": t2 - t1, "final fit": t3 - t2}


def batching(ticker: str, rounds: int) -> tuple[float, float, int]:
    """Median seconds of batched vs per-origin prediction of the default backtest's origins."""
    import torch

    from carrousel.core.train import predict
    from carrousel.finance.config import DataConfig, FinanceConfig
    from carrousel.finance.data import load_histories
    from carrousel.finance.features import build_series, fit_scaler, make_windows, valid_origins
    from carrousel.finance.models import build_forecaster
    from carrousel.finance.training import PREDICT_BATCH

    cfg = FinanceConfig(data=DataConfig(tickers=(ticker,), source="sample"))
    s = build_series(ticker, load_histories(cfg.data)[0].frame)
    origins = valid_origins(s, cfg.window.lookback, cfg.window.horizon)[-cfg.backtest.origins :]
    x = make_windows(fit_scaler(s, origins[0]).transform(s.features), origins, cfg.window.lookback)
    model = build_forecaster(cfg.model, cfg.window).eval()
    batched, single = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        a = predict(model, x, PREDICT_BATCH)
        t1 = time.perf_counter()
        with torch.no_grad():
            b = np.stack([model(torch.from_numpy(x[i : i + 1])).numpy()[0] for i in range(len(x))])
        t2 = time.perf_counter()
        batched.append(t1 - t0)
        single.append(t2 - t1)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    return statistics.median(batched), statistics.median(single), len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--runs", type=int, default=1, help="end-to-end CLI runs")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the batching comparison")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_cli:
        res = end_to_end(args.ticker, args.runs)
        wall, cpu = min(res["wall"]), min(res["cpu"])  # type: ignore[type-var]
        print(f"1. finance forecast {args.ticker} --source sample: wall {wall:.1f} s (best of {args.runs}), "
              f"CPU {cpu:.1f} s; wall / {GOAL_S:.0f} s goal = {wall / GOAL_S:.2f}")  # fmt: skip
        doc = res["doc"]
        assert isinstance(doc, dict)
        print(f"   {doc['verdict']}")
        for s in doc["backtest"]["scores"]:
            da = "n/a" if s["directional_accuracy"] is None else f"{s['directional_accuracy']:.3f}"
            dm = "n/a" if s["dm_p"] is None else f"{s['dm_p']:.3f}"
            print(f"   {s['model']:<12} rel. MAE {s['rel_mae']:.3f}  MAPE {s['mape']:.2f}%  dir {da}  "
                  f"coverage {s['coverage']:.3f}/{s['nominal_coverage']:.2f}  pinball {s['pinball']:.4f}  DM p {dm}")  # fmt: skip
    times = phases(args.ticker)
    total = sum(times.values())
    print(
        "2. phases (in-process): " + ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in times.items())
    )
    b, s, n = batching(args.ticker, args.rounds)
    print(f"3. predicting {n} backtest origins: batched {1000 * b:.1f} ms, one call per origin {1000 * s:.1f} ms; "
          f"per-origin / batched = {s / b:.1f}x")  # fmt: skip
    print("darts historical_forecasts: see benchmarks/bench_finance_darts.py")


if __name__ == "__main__":
    main()
