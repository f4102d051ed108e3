"""Fused vs unfused seed ensemble in ONNX Runtime, side by side: what ``fuse_members`` buys ``finance export``.

The forecaster of ``bench_export.py --parts finance`` (AAPL sample up to 2011-12-30, defaults: 3 LSTM members
of 32 units, lookback 30), or ``--model-dir DIR``, is exported four ways with core's exporter: the ensemble
as it is (one LSTM node per member) and fused (:func:`carrousel.core.export.fuse_members`: one LSTM node of
``N*H`` units with block-diagonal weights), each fp32 and dynamic int8 (``quantize_int8``). ``--prune F``
prunes every member first, as ``finance export --prune F`` does. On random windows of the lookback at batch
1 and 64, the eager ensemble (PyTorch fp32, the reference of the speed-ups) and the four ONNX files run
alternately for ``--rounds`` rounds; the table gives the median milliseconds, the median per-round
speed-up over eager and the fusion's own gain (unfused / fused time, paired within each round), the largest |ONNX - eager| error, and, for the fused files at batch 64, ONNX Runtime's
profile: the share of time per node type. One thread (``--threads``).

Usage: ``python benchmarks/bench_fuse.py [--model-dir DIR] [--prune F] [--rounds 7] [--json]``
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _forecaster(model_dir: Path | None, out: Path, prune: float) -> Any:
    """The saved forecaster's bundle (trained as bench_export's finance part when no folder is given)."""
    from dataclasses import replace

    from carrousel.finance.bundle import ForecasterBundle
    from carrousel.finance.config import DataConfig, ExportConfig, FinanceConfig
    from carrousel.finance.pipeline import forecast
    from carrousel.finance.prune import pruned_forecaster

    if model_dir is None:
        model_dir = out / "forecaster"
        cfg = FinanceConfig(data=DataConfig(tickers=("AAPL",), source="sample", end="2011-12-30"))
        forecast(replace(cfg, backtest=replace(cfg.backtest, enabled=False)), model_dir=model_dir)
    saved = ForecasterBundle.from_pretrained(model_dir)
    if prune > 0:
        saved, _ = pruned_forecaster(saved, ExportConfig(model_dir=str(model_dir), prune=prune))
    return saved


def _profile(blob: bytes, x: np.ndarray, runs: int = 30) -> dict[str, float]:
    """Share of ONNX Runtime's node time per node type over ``runs`` runs (1 thread)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
    opts.enable_profiling = True
    opts.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    session = ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
    for _ in range(runs):
        session.run(None, {"x": x})
    events = json.loads(Path(session.end_profiling()).read_text())
    per_op: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and str(e.get("name", "")).endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values()) or 1
    return {op: round(100 * us / total, 1) for op, us in per_op.most_common(6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="a saved forecaster (default: train one)"
    )
    parser.add_argument("--prune", type=float, default=0.0, help="prune every member by this share first")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from carrousel.core.export import (
        OnnxModule,
        check_fused,
        export_onnx,
        fuse_members,
        quantize_int8,
        time_call,
    )

    saved = _forecaster(args.model_dir, Path(tempfile.mkdtemp(prefix="bench_fuse_")), args.prune)
    ensemble = saved.fitted.model.eval()
    lookback, features = saved.fitted.window.lookback, ensemble.config.member.encoder.input_size
    fused = fuse_members(list(ensemble.members))
    g = torch.Generator().manual_seed(0)
    example = (torch.randn(2, lookback, features, generator=g),)
    check_fused(fused, ensemble, (torch.randn(37, lookback + 7, features, generator=g),))
    blobs: dict[str, bytes] = {}
    for name, graph in (("unfused", ensemble), ("fused", fused)):
        blob = export_onnx(graph, example, ("x",), {"x": {0: "batch", 1: "time"}})
        blobs[f"{name}_fp32"], blobs[f"{name}_int8"] = blob, quantize_int8(blob)
    runners = {k: OnnxModule(b, args.threads) for k, b in blobs.items()}
    x_all = torch.from_numpy(np.random.default_rng(0).standard_normal((64, lookback, features)).astype("f4"))
    rows: list[dict[str, Any]] = []
    for batch in (1, 64):
        x = x_all[:batch]
        with torch.no_grad():
            ref = ensemble(x)
            ms: dict[str, list[float]] = {"eager": []}
            ratios: dict[str, list[float]] = {k: [] for k in runners}
            for _ in range(args.rounds):  # alternate every runner within each round
                eager = time_call(lambda v=x: ensemble(v), 3)  # type: ignore[misc]
                ms["eager"].append(eager)
                for k, rt in runners.items():
                    t = time_call(lambda r=rt, v=x: r(v), 3)  # type: ignore[misc]
                    ms.setdefault(k, []).append(t)
                    ratios[k].append(eager / t)
        row: dict[str, Any] = {"batch": batch, "members": len(ensemble.members), "prune": args.prune}
        row["hidden_size"] = ensemble.config.member.encoder.hidden_size
        row["eager_ms"] = 1e3 * statistics.median(ms["eager"])
        for k, rt in runners.items():
            row[f"{k}_ms"] = 1e3 * statistics.median(ms[k])
            row[f"{k}_speedup"] = statistics.median(ratios[k])
            row[f"{k}_max_abs_err"] = float((rt(x) - ref).abs().max())
        for p in ("fp32", "int8"):  # the fusion's own gain: unfused / fused time, paired within rounds
            pairs = zip(ms[f"unfused_{p}"], ms[f"fused_{p}"], strict=True)
            row[f"fusion_gain_{p}"] = statistics.median(u / f for u, f in pairs)
        if batch == 64:
            row["profile_pct"] = {k: _profile(blobs[k], x.numpy()) for k in ("fused_fp32", "fused_int8")}
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(
            f"batch {r['batch']:>2} ({r['members']} x {r['hidden_size']} units): eager {r['eager_ms']:.2f} ms | "
            + " | ".join(
                f"{k} {r[f'{k}_ms']:.2f} ms {r[f'{k}_speedup']:.2f}x (err {r[f'{k}_max_abs_err']:.1e})"
                for k in runners
            )
        )
        print(
            f"  fusion gain (unfused / fused time): fp32 {r['fusion_gain_fp32']:.2f}x, int8 {r['fusion_gain_int8']:.2f}x"
        )
        if "profile_pct" in r:
            for k, prof in r["profile_pct"].items():
                print(f"  profile {k} batch 64, % of node time: {prof}")


if __name__ == "__main__":
    main()
