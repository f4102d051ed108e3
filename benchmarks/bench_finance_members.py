"""carrousel-finance seed ensemble cost: the default forecast (backtest + final fit) with 1 network against
``--members N`` networks, CPU and wall time measured side by side in interleaved rounds, with the ratio.

Members train one after another (each exactly the network a single run with its seed trains), so the time
grows about linearly with ``N``; the default ``N`` is chosen to stay near 3x one network.

Usage::

    python benchmarks/bench_finance_members.py                       # AAPL, members 1 vs 3 and 5, 2 rounds
    python benchmarks/bench_finance_members.py --ticker IBM --members 3 --rounds 3
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time


def one_run(ticker: str, members: int) -> tuple[float, float, str]:
    """CPU seconds, wall seconds and the verdict of one default ``forecast`` (no files written)."""
    from carrousel.finance.config import DataConfig, FinanceConfig, ModelConfig
    from carrousel.finance.pipeline import forecast

    cfg = FinanceConfig(
        data=DataConfig(tickers=(ticker,), source="sample"), model=ModelConfig(members=members)
    )
    c0, w0 = time.process_time(), time.perf_counter()
    result = forecast(cfg)
    return time.process_time() - c0, time.perf_counter() - w0, str(result.to_dict()["verdict"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--members", type=int, nargs="+", default=[3, 5], help="ensemble sizes against 1")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"machine: {os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}")
    sizes = [1, *args.members]
    one_run(args.ticker, 1)  # warm-up: imports, data cache, calendars
    cpu: dict[int, list[float]] = {n: [] for n in sizes}
    wall: dict[int, list[float]] = {n: [] for n in sizes}
    verdicts: dict[int, str] = {}
    for _ in range(args.rounds):
        for n in sizes:
            c, w, verdicts[n] = one_run(args.ticker, n)
            cpu[n].append(c)
            wall[n].append(w)
    base_cpu, base_wall = statistics.median(cpu[1]), statistics.median(wall[1])
    for n in sizes:
        c, w = statistics.median(cpu[n]), statistics.median(wall[n])
        print(f"members {n}: CPU {c:.1f} s ({c / base_cpu:.2f}x), wall {w:.1f} s ({w / base_wall:.2f}x), "
              f"median of {args.rounds}")  # fmt: skip
        print(f"   {verdicts[n]}")


if __name__ == "__main__":
    main()
