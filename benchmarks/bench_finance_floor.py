"""carrousel-finance's walk-forward backtest (the carrousel side of ``bench_finance_darts.py``) against the
arithmetic it cannot skip, in CPU seconds of this one process, interleaved rounds.

Three runs of the same job (the bench's defaults: the last 500 AAPL origins, refit every 250, one 1x32 LSTM,
lookback 30, horizon 5, 10 epochs, batches of 256, p10/p50/p90, one thread):

* ``walk-forward``: ``backtest_refits`` and one batched ``predict`` per block, what ``bench_finance_darts.py``
  times against Darts (Trainer, DataLoader, validation each epoch, calibration, GARCH combination, forecasts).
* ``bare fits``: only the two fits' arithmetic, on the same windows: a shuffled pass of 256-window batches
  per epoch (forward, pinball loss, backward, gradient clipping, AdamW step) and a forward pass over the
  held-out windows per epoch, from tensors built once; no DataLoader, Trainer, callbacks, logs, kept best
  epoch, calibration, GARCH or forecasts.
* ``LSTM steps``: only the forward and backward passes of the same batches (the network's own arithmetic).

Their ratios bound what removing overhead can give: the walk-forward cannot get faster than the bare fits
without less arithmetic (fewer epochs, windows or units) or other arithmetic (other kernels, other
round-off), so a target such as 10x Darts' CPU time is within reach of overhead removal only if Darts'
time is more than 10x the bare fits'.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_finance_floor.py            # 3 interleaved rounds
    OMP_NUM_THREADS=1 python benchmarks/bench_finance_floor.py --rounds 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np


def _fits(series, cfg, optimise: bool) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of the walk-forward's fits' arithmetic alone (``optimise`` False: forward + backward)."""
    import torch

    from carrousel.core.nn.heads import pinball_loss
    from carrousel.core.train import TrainConfig
    from carrousel.core.train.optim import build_optimizer
    from carrousel.finance.backtest import block_starts
    from carrousel.finance.models import build_forecaster
    from carrousel.finance.panel import panel_windows

    starts, _ = block_starts([series], cfg)
    qs, t = cfg.model.quantiles, cfg.train
    c0 = time.process_time()
    for d0 in starts:
        data = panel_windows(
            [series], {series.ticker: int(np.searchsorted(series.dates, d0, "right")) - 1}, cfg
        )
        rows = np.arange(len(data.train))
        x, y = (
            torch.from_numpy(data.train.windows(rows)),
            torch.from_numpy(data.train.targets[data.train.origins]),
        )
        x_val = torch.from_numpy(data.val.windows(np.arange(len(data.val))))
        torch.manual_seed(t.seed)
        net = build_forecaster(cfg.model, cfg.window)
        opt = build_optimizer(net, TrainConfig(lr=t.lr, optimizer="adamw", weight_decay=t.weight_decay))
        gen = torch.Generator().manual_seed(t.seed)
        for _ in range(t.epochs):
            net.train()
            order = torch.randperm(len(rows), generator=gen)
            for i in range(0, len(rows), t.batch_size):
                at = order[i : i + t.batch_size]
                pinball_loss(net(x[at]), y[at], qs).backward()
                if optimise:
                    torch.nn.utils.clip_grad_norm_(list(net.parameters()), 1.0)
                    opt.step()
                opt.zero_grad(set_to_none=True)
            if optimise:
                net.eval()
                with torch.no_grad():
                    net(x_val)
    return time.process_time() - c0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0 = torch's)")
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # its sibling, as `python benchmarks/x.py`
    import torch
    from bench_finance_darts import _config, carrousel_walk_forward

    from carrousel.finance.data import load_histories
    from carrousel.finance.features import build_series

    logging.getLogger("carrousel").setLevel(logging.WARNING)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    job = argparse.Namespace(
        ticker="AAPL", test_days=500, refit_every=250, epochs=10, hidden=32, layers=1, lookback=30, horizon=5,
        threads=args.threads, members=1, precision="fp32", warm_refit_epochs=0,
    )  # fmt: skip
    cfg = _config(job)
    series = build_series(job.ticker, load_histories(cfg.data)[0].frame)
    paths: dict[str, Callable[[], float]] = {
        "walk-forward (bench_finance_darts.py's)": lambda: carrousel_walk_forward(series, cfg).cpu,
        "bare fits (the fits' arithmetic only)": lambda: _fits(series, cfg, optimise=True),
        "LSTM steps (forward + backward only)": lambda: _fits(series, cfg, optimise=False),
    }
    for fn in paths.values():  # untimed warm-up (imports, allocator)
        fn()
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, fn in paths.items():
            cpu[name].append(fn())
    print(
        f"machine: {os.cpu_count()} CPU cores, load {os.getloadavg()[0]:.1f}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread(s)); AAPL, 500 origins, refit every 250, LSTM 1x32, 10 epochs"
    )
    base = statistics.median(cpu[next(iter(paths))])
    print(f"{'CPU seconds (median of ' + str(args.rounds) + ')':<42} {'CPU s':>6} {'share':>6}  rounds")
    for name, values in cpu.items():
        med = statistics.median(values)
        rounds = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<42} {med:>6.2f} {med / base:>6.0%}  {rounds}")
    floor = statistics.median(cpu["bare fits (the fits' arithmetic only)"])
    print(f"removing every overhead would make the walk-forward at most {base / floor:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
