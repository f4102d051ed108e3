"""carrousel-finance: what the AutoETS, Theta and AutoARIMA baselines add to the default backtest's time.

For each sample ticker, the baselines of the default backtest (500 origins, refit every 250, horizon 5,
p10/p50/p90) are computed block by block exactly as ``run_backtest`` does, once with and once without the
three statsforecast-style models (``auto=True/False``), in interleaved rounds; the median times, the extra
seconds per ticker and per refit, and the model each refit picked are printed. Compare the extra seconds
with the whole backtest's time (``python benchmarks/bench_finance.py``).

Usage::

    python benchmarks/bench_finance_baselines.py              # needs the sample: carrousel-data fetch finance
    python benchmarks/bench_finance_baselines.py --rounds 3 --tickers AAPL MSFT
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import numpy as np

from carrousel.finance.backtest import block_starts
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.config import DataConfig, FinanceConfig
from carrousel.finance.data import load_history
from carrousel.finance.features import SeriesData, build_series, valid_origins


def _run(series: SeriesData, cfg: FinanceConfig, auto: bool) -> float:
    starts, _ = block_starts([series], cfg)
    ends = [*starts[1:], None]
    horizon, qs = cfg.window.horizon, cfg.model.quantiles
    origins_all = valid_origins(series, cfg.window.lookback, horizon)
    t0 = time.perf_counter()
    for d0, d1 in zip(starts, ends, strict=True):
        cut = int(np.searchsorted(series.dates, d0, side="right")) - 1
        when = series.dates[origins_all]
        rows = origins_all[(when >= d0) & ((when < d1) if d1 is not None else True)]
        baseline_forecasts(series, cut, rows, horizon, qs, auto)
    return time.perf_counter() - t0


def main() -> None:
    """Prints the baselines' time per ticker with and without the three automatic models."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", nargs="+", default=["AAPL", "IBM", "MSFT", "GOOG"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("carrousel.finance.baselines").setLevel(logging.INFO)
    for ticker in args.tickers:
        cfg = FinanceConfig(data=DataConfig(tickers=(ticker,), source="sample"))
        series = build_series(ticker, load_history(ticker, cfg.data).frame)
        times: dict[bool, list[float]] = {True: [], False: []}
        for r in range(args.rounds):
            if r:
                logging.getLogger("carrousel.finance.baselines").setLevel(logging.WARNING)
            for auto in (False, True):
                times[auto].append(_run(series, cfg, auto))
        without, with_auto = statistics.median(times[False]), statistics.median(times[True])
        refits = len(block_starts([series], cfg)[0])
        print(
            f"{ticker}: baselines {without:.2f} s without, {with_auto:.2f} s with auto_ets/theta/auto_arima "
            f"(+{with_auto - without:.2f} s, {(with_auto - without) / refits:.2f} s per refit, {refits} refits)"
        )


if __name__ == "__main__":
    main()
