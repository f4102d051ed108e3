"""carrousel-finance global model: one pooled calibration factor or one per series, on the VALIDATION period
(the last 500 days of every real series dropped, the ``--holdout`` days before them scored; ``--test``
scores the last 500 days instead, for disclosure after a choice).

One global network (3 members, 10 epochs: the settings of ``bench_finance_global.py accuracy``) is trained on
the eight real series of that bench without the held-out days. Its ``scale`` calibration (one shrunk
log-multiplier of the distance from the median) is fitted on the validation windows of all series pooled
(``network``: the default). Then, per series, on that series' own validation windows only:

* ``own``: the series' own log-multiplier (the same estimator and shrink, its windows alone);
* ``own_half``: halfway between the pooled and the series' own log-multiplier.

Each variant scores the held-out days of every series (pinball in percent log return, p10-p90 coverage).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_finance_series_calibration.py --seed 0 --json own0.json
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_finance_global (the real series)


def _one_series(data: Any, i: int) -> Any:
    """``data`` (a ``PanelData``) with the validation windows of its ``i``-th series only."""
    from carrousel.finance.panel import PanelData, PanelWindows

    val = data.val
    keep = val.series == i
    sub = PanelWindows(val.features, val.targets, val.origins[keep], val.series[keep], val.lookback)
    return PanelData(
        data.train, sub, data.y_val[keep], data.scalers, (data.names[i],), (data.val_origins[i],)
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from bench_finance_aci_warmup import _score  # pinball and p10-p90 coverage, scored as that bench does
    from bench_finance_global import real_panel

    from carrousel.finance.aci import aci_run
    from carrousel.finance.config import FinanceConfig, ModelConfig, TrainSettings, for_series
    from carrousel.finance.features import valid_origins
    from carrousel.finance.frames import frame_series
    from carrousel.finance.multiseries import train_global
    from carrousel.finance.panel import panel_windows
    from carrousel.finance.training import calibrate

    torch.set_num_threads(1)
    cfg = FinanceConfig(
        model=ModelConfig(members=args.members), train=TrainSettings(epochs=args.epochs, seed=args.seed)
    )
    cfg = replace(cfg, backtest=replace(cfg.backtest, auto_baselines=False, aci_gamma=0.0))
    df = real_panel()
    if not args.test:
        df = df[df.groupby("unique_id", sort=False).cumcount(ascending=False) >= 500]  # the validation period
    t0 = time.perf_counter()
    glob = train_global(df, cfg, holdout_days=args.holdout)
    seconds = time.perf_counter() - t0
    fitted = glob.bundle.fitted
    _, series = frame_series(df, cfg)
    cfg = for_series(cfg, len(series))
    cuts = {s.ticker: len(s.close) - 1 - args.holdout for s in series}
    panel = panel_windows(series, cuts, cfg)
    qs = fitted.quantiles
    pooled = fitted.log_scale
    again = calibrate(fitted.model, panel, cfg, series)[2]  # the pooled factor, refitted here: the same
    assert pooled is not None and again is not None and np.allclose(again, pooled), (again, pooled)
    out: dict[str, Any] = {"seconds": seconds, "series": {}, "pooled_log_scale": float(pooled[0, 0])}
    for s in series:
        if s.ticker not in panel.names:
            continue
        i = panel.names.index(s.ticker)
        own = calibrate(fitted.model, _one_series(panel, i), cfg, [s])[2]
        variants = {"network": fitted, "own": replace(fitted, log_scale=own)}
        variants["own_half"] = replace(fitted, log_scale=(own + pooled) / 2)
        origins = valid_origins(s, cfg.window.lookback, cfg.window.horizon)
        held = origins[origins >= cuts[s.ticker]]
        y = aci_run(fitted, s, held, 0.0)[1]
        row: dict[str, Any] = {name: _score(y, f.predict(s, held), qs) for name, f in variants.items()}
        row["own_log_scale"] = float(own[0, 0])
        out["series"][s.ticker] = row
        print(s.ticker, {k: v for k, v in row.items()}, file=sys.stderr)
    rows = list(out["series"].values())
    names = ("network", "own", "own_half")
    out["mean"] = {k: float(np.mean([r[k]["pinball"] for r in rows])) for k in names}
    out["in_band"] = {k: int(sum(0.77 <= r[k]["coverage"] <= 0.83 for r in rows)) for k in names}
    out["lower_than_network"] = {
        k: int(sum(r[k]["pinball"] < r["network"]["pinball"] for r in rows)) for k in names[1:]
    }
    out["settings"] = {"holdout": args.holdout, "epochs": args.epochs, "members": args.members,
                       "seed": args.seed, "period": "test" if args.test else "validation"}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holdout", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test", action="store_true", help="score the last 500 days (disclosure only)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    text = json.dumps(run(args), indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
