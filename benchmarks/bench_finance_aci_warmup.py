"""carrousel-finance global model: where its adaptive conformal (ACI) state should be warmed, on the
VALIDATION period only (the last 500 days of every real series dropped, the ``--holdout`` days before them
scored; the test period is never read).

One global network (3 members, 10 epochs, seed 0: the settings of ``bench_finance_global.py accuracy``) is
trained on the eight real series of that bench, without the held-out days. Each series' validation windows
(the latest 15 % of its training origins: they chose the epoch and fitted the ``scale`` calibration) are split
in time at ``--split`` (share of them in the first part). For each ACI step in ``--gammas`` the held-out days
are scored (pinball in percent log return, p10-p90 coverage) with:

* ``carried``: the state run over all validation windows, calibration on all of them (the bundle before 0.5);
* ``restarted``: ACI started at the cut-off (multipliers 1), calibration on all validation windows;
* ``late``: the state run only over the later part of the validation windows, calibration on all;
* ``split_carried``: the calibration refitted on the first part only, the state run over the later part
  (windows the calibration did not see: the hypothesis that the state should adapt on new outcomes);
* ``split_restarted``: that calibration, ACI started at the cut-off;
* ``split_all``: that calibration, the state run over all validation windows (the global model's bundle
  with ``[backtest] global_calibration_share = 0.5``);
* ``split``: that calibration without ACI (and ``network``: the network without ACI, calibration on all).

The network is trained with ``global_calibration_share = 1`` (calibration on all validation windows, the
default; ``split`` at 0.5 passed a pre-registered rule on seeds 0, 1, 2 and was reverted: packages/finance/
docs/results-global.md, "Tried, then reverted: the global model's calibration on the earlier half").

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_finance_aci_warmup.py --seed 2 --json aci-warmup.json
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


def _score(y: np.ndarray, f: np.ndarray, quantiles: tuple[float, ...]) -> dict[str, float]:
    diff = (y[..., None] - f) * 100
    q = np.asarray(quantiles)
    return {
        "pinball": float(np.mean(np.maximum(q * diff, (q - 1) * diff))),
        "coverage": float(np.mean((y >= f[..., 0]) & (y <= f[..., -1]))),
    }


def _warm(f: Any, s: Any, origins: np.ndarray, start: int, cut: int, gamma: float) -> Any:
    """The ACI state after running it from the start over ``s``'s origins in ``[start, cut)``."""
    from carrousel.finance.aci import aci_run

    return aci_run(f, s, origins[(origins >= start) & (origins < cut)], gamma)[3]


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
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
    # trained with the calibration on all validation windows (the global default before it became the first
    # half: ``network``); the ``split`` calibration is refitted below on the first ``--split`` share of them
    bt = replace(cfg.backtest, auto_baselines=False, aci_gamma=0.0, global_calibration_share=1.0)
    cfg = replace(cfg, backtest=bt)
    df = real_panel()
    df = df[df.groupby("unique_id", sort=False).cumcount(ascending=False) >= 500]  # the validation period
    t0 = time.perf_counter()
    glob = train_global(df, cfg, holdout_days=args.holdout)
    seconds = time.perf_counter() - t0
    fitted = glob.bundle.fitted
    _, series = frame_series(df, cfg)
    cfg = for_series(cfg, len(series))
    cuts = {s.ticker: len(s.close) - 1 - args.holdout for s in series}
    panel = panel_windows(series, cuts, cfg)
    first = panel.earliest(args.split)
    offsets, member_offsets, log_scale, member_log_scale = calibrate(fitted.model, first, cfg, series)
    split_fit = replace(
        fitted, offsets=offsets, member_offsets=member_offsets, log_scale=log_scale,
        member_log_scale=member_log_scale,
    )  # fmt: skip
    qs = fitted.quantiles
    out: dict[str, Any] = {"seconds": seconds, "series": {}}
    if fitted.log_scale is not None and log_scale is not None:
        out["log_scale_all"], out["log_scale_first"] = float(fitted.log_scale[0, 0]), float(log_scale[0, 0])
    for s in series:
        if s.ticker not in panel.names:
            continue
        cut, val = cuts[s.ticker], panel.val_origins[panel.names.index(s.ticker)]
        late = int(val[len(first.val_origins[panel.names.index(s.ticker)])])
        origins = valid_origins(s, cfg.window.lookback, cfg.window.horizon)
        held = origins[origins >= cut]
        row: dict[str, Any] = {}
        for gamma in args.gammas:
            tag = f"{gamma:g}"
            for name, f, state in (
                ("carried", fitted, _warm(fitted, s, origins, int(val[0]), cut, gamma)),
                ("restarted", fitted, None),
                ("late", fitted, _warm(fitted, s, origins, late, cut, gamma)),
                ("split_carried", split_fit, _warm(split_fit, s, origins, late, cut, gamma)),
                ("split_restarted", split_fit, None),
                ("split_all", split_fit, _warm(split_fit, s, origins, int(val[0]), cut, gamma)),
            ):
                _, y, rec, after = aci_run(f, s, held, gamma, state)
                row[f"{name}_{tag}"] = _score(y, rec, qs)
                # the mean log-multiplier of the p10/p90 spread at the cut-off and after the held-out days
                if state is not None:
                    row[f"{name}_{tag}"] |= {"log_scale_at_cut": float(np.mean(state.log_scale[:, [0, -1]]))}
                if after is not None:
                    row[f"{name}_{tag}"] |= {"log_scale_at_end": float(np.mean(after.log_scale[:, [0, -1]]))}
        y = aci_run(fitted, s, held, 0.0)[1]
        row["network"] = _score(y, fitted.predict(s, held), qs)
        row["split"] = _score(y, split_fit.predict(s, held), qs)
        out["series"][s.ticker] = row
        print(
            s.ticker, {k: f"{v['pinball']:.4f}/{v['coverage']:.3f}" for k, v in row.items()}, file=sys.stderr
        )
    rows = list(out["series"].values())
    out["mean"] = {k: float(np.mean([r[k]["pinball"] for r in rows])) for k in rows[0]}
    out["in_band"] = {k: int(sum(0.77 <= r[k]["coverage"] <= 0.83 for r in rows)) for k in rows[0]}
    out["carried_lower_than_restarted"] = {  # series where the carried state's pinball is the lower
        f"{pre}{g:g}": int(sum(r[f"{pre}carried_{g:g}"]["pinball"] < r[f"{pre}restarted_{g:g}"]["pinball"] for r in rows))
        for g in args.gammas
        for pre in ("", "split_")
    }  # fmt: skip
    out["settings"] = {"holdout": args.holdout, "split": args.split, "epochs": args.epochs,
                       "members": args.members, "seed": args.seed, "period": "validation"}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holdout", type=int, default=500)
    parser.add_argument("--split", type=float, default=0.5, help="share of validation windows calibrating")
    parser.add_argument("--gammas", type=float, nargs="+", default=[0.005, 0.05])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    text = json.dumps(run(args), indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
