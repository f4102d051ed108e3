"""Deployment speed and accuracy: eager fp32 vs ONNX Runtime fp32 vs ONNX Runtime dynamic int8 vs bf16
autocast, side by side in one process, then the domain models end to end (``bio export`` / ``finance
export`` and the commands that run their bundles).

1. ``encoder``: a core ``SequenceRegressor`` (LSTM, I=H=256, T=100, the issue's shape), padded batch with
   lengths drawn from [T/2, T] (the encoder packs them) and without lengths, batch 1 and 64: milliseconds
   per batch, speed-up over eager fp32 and the largest output error relative to the output range.
2. ``bio``: the shipped panel exported (fp32 and int8); held-out AUROC of the Pou5f1::Sox2 output
   (MA0142.1) on janggu's Oct4 peaks vs Mafk peaks (the 20 % held out by benchmarks/bench_bio_peaks.py,
   seed 0), latency at batch 1 / 64, and ``bio scan --method model`` on the mixed held-out peaks with the
   panel vs the int8 bundle (seconds, hits, hits in common).
3. ``finance``: a forecaster trained on the AAPL sample up to 2011-12-30 (defaults), exported (fp32,
   int8); pinball loss and MAE on the 250 sessions after its training data, latency at batch 1 / 64.

``--device cuda`` (a GPU): part ``encoder`` on the GPU: eager fp32 vs bf16 and fp16 autocast (the cuDNN
kernels), timed with synchronisation; the CPU ONNX Runtime package has no GPU runner, so the ONNX
columns are left out there; with ``--parts precision`` also the domain models in fp32 / bf16 / fp16.

4. ``scan`` (not in the default parts): best of 3 ``bio scan --method model`` on part 2's mixed file with
   ``--scan-model DIR`` (default: the panel); run it with ``PYTHONPATH`` at an older checkout to compare
   the int8 bundle with the scan before this change; ``--scan-precision fp32,bf16`` times the panel's
   PyTorch network in each precision (``bio scan --precision``), alternated, with the hits in common.

5. ``profile`` (not in the default parts): ONNX Runtime's own profiler (``SessionOptions.enable_profiling``)
   on the exported bundles in ``--out`` at batch 64: part 2's panels (``panel-fp32``, ``panel-int8``,
   ``panel-int8-pruned``) and any recogniser exported there as ``speech-*`` (``speech export -o
   OUT/speech-int8``; 64 utterances of 200 frames): microseconds per run by node type, where the batch goes.

6. ``precision`` (not in the default parts): every domain model in fp32 and bf16 side by side, task metric
   and time ratio (``benchmarks/bench_precision.py``, which also runs alone and with ``--device cuda``).

Alternatives to part 1's int8 graph (session and quantizer options, other graph forms): ``bench_export_int8.py``.

One thread (``--threads``), alternating runners per batch size; the figures are ratios measured in the
same run. ``--prune F`` adds to parts 2 and 3 an int8 export pruned by ``F`` (``bio export --prune`` /
``finance export --prune``: units removed, fine-tuned on the training data), with its scan in part 2;
``--distill H`` an int8 export of a student of ``H`` units trained on the full model's outputs (``bio export
--distill`` / ``finance export --distill``; bio: ``--distill-filters N`` gives it N filters), with its scan in part 2.
Usage: ``python benchmarks/bench_export.py [--parts encoder,bio,finance,scan,profile,precision] [--out DIR] [--prune F]
[--distill H [--distill-filters N]] [--scan-model DIR] [--scan-precision fp32,bf16] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))  # bench_precision


def _measure(
    model: torch.nn.Module, runners: dict[str, Any], args: tuple[torch.Tensor, ...], repeats: int
) -> dict[str, float]:
    """Milliseconds of eager fp32, bf16 autocast and each ONNX runner on ``args``, speed-ups, errors."""
    from carrousel.core.export import time_call

    def bf16() -> torch.Tensor:
        with torch.autocast("cpu", torch.bfloat16):
            out: torch.Tensor = model(*args)
            return out

    with torch.no_grad():
        ref = model(*args).numpy()
        scale = float(np.abs(ref).max())
        row = {"eager_fp32_ms": 1e3 * time_call(lambda: model(*args), repeats)}
        row["bf16_ms"] = 1e3 * time_call(bf16, repeats)
        row["bf16_rel_err"] = float(np.abs(bf16().float().numpy() - ref).max()) / scale
    for name, rt in runners.items():
        row[f"{name}_ms"] = 1e3 * time_call(lambda r=rt: r(*args), repeats)  # type: ignore[misc]
        row[f"{name}_rel_err"] = float(np.abs(rt(*args).numpy() - ref).max()) / scale
    for k in ("onnx_fp32", "onnx_int8", "bf16"):
        row[f"{k}_speedup"] = row["eager_fp32_ms"] / row[f"{k}_ms"]
    return row


def _encoder(repeats: int) -> list[dict[str, Any]]:
    from carrousel.core.export import OnnxModule, export_onnx, quantize_int8
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(encoder=RecurrentConfig(256, 256, cell="lstm"), out_features=8)
    model = SequenceRegressor(cfg).eval()
    rows = []
    for with_lengths in (True, False):
        names = ["x", "lengths"] if with_lengths else ["x"]
        dyn = {"x": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}
        example = (torch.randn(4, 20, 256), torch.tensor([20, 5, 7, 13]))[: len(names)]
        t0 = time.perf_counter()
        blob = export_onnx(model, example, names, dyn)
        export_s = time.perf_counter() - t0
        n = torch.get_num_threads()
        runners = {"onnx_fp32": OnnxModule(blob, n), "onnx_int8": OnnxModule(quantize_int8(blob), n)}
        for batch in (1, 64):
            g = torch.Generator().manual_seed(batch)
            x = torch.randn(batch, 100, 256, generator=g)
            lengths = torch.randint(50, 101, (batch,), generator=g)
            lengths[0] = 100
            args = (x, lengths) if with_lengths else (x,)
            row = {
                "part": "encoder",
                "lengths": with_lengths,
                "batch": batch,
                **_measure(model, runners, args, repeats),
            }
            row["export_seconds"] = export_s
            rows.append(row)
    return rows


def _encoder_gpu(device: str, repeats: int) -> list[dict[str, Any]]:
    """Part ``encoder`` on a GPU: eager fp32 vs bf16 / fp16 autocast (cuDNN), with and without lengths."""
    from carrousel.core.export import time_call
    from carrousel.core.nn import RecurrentConfig, SequenceRegressor, SequenceRegressorConfig

    dev = torch.device(device)
    torch.manual_seed(0)
    cfg = SequenceRegressorConfig(encoder=RecurrentConfig(256, 256, cell="lstm"), out_features=8)
    model = SequenceRegressor(cfg).eval().to(dev)

    def timed(fn: Any) -> float:
        def call() -> None:
            fn()
            torch.cuda.synchronize(dev)

        return 1e3 * time_call(call, repeats)

    rows = []
    for with_lengths in (True, False):
        for batch in (1, 64, 512):
            g = torch.Generator().manual_seed(batch)
            x = torch.randn(batch, 100, 256, generator=g).to(dev, non_blocking=True)
            lengths = torch.randint(50, 101, (batch,), generator=g)
            lengths[0] = 100
            args = (x, lengths.to(dev)) if with_lengths else (x,)
            row: dict[str, Any] = {
                "part": "encoder_gpu",
                "device": device,
                "lengths": with_lengths,
                "batch": batch,
            }
            with torch.no_grad():
                ref = model(*args).float()
                scale = float(ref.abs().max())
                row["eager_fp32_ms"] = timed(lambda a=args: model(*a))
                for name, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16)):

                    def run(d: torch.dtype = dtype, a: tuple[torch.Tensor, ...] = args) -> torch.Tensor:
                        with torch.autocast("cuda", d):
                            out: torch.Tensor = model(*a)
                            return out

                    row[f"{name}_ms"] = timed(run)
                    row[f"{name}_speedup"] = row["eager_fp32_ms"] / row[f"{name}_ms"]
                    row[f"{name}_rel_err"] = float((run().float() - ref).abs().max()) / scale
            rows.append(row)
    return rows


def _split(src: Path, seed: int = 0) -> list[tuple[str, str]]:
    from carrousel.bio.fasta import read_sequences

    names, seqs = read_sequences(src)
    order = np.random.default_rng(seed).permutation(len(seqs))
    return [(names[i], seqs[i]) for i in order[int(0.8 * len(seqs)) :]]  # the held-out 20 %


def _bio(out: Path, prune: float = 0.0, distill: int = 0, filters: int = 0) -> list[dict[str, Any]]:
    from carrousel.bio import pipeline
    from carrousel.bio.config import ExportConfig, Method, ScanConfig
    from carrousel.core.samples import sample_path

    held = {name: _split(sample_path(f"bio.{name}")) for name in ("oct4", "mafk")}
    for name, recs in held.items():
        (out / f"{name}_test.fa").write_text("".join(f">{n}\n{s}\n" for n, s in recs))
    mixed = out / "mixed.fa"
    mixed.write_text("".join(f">{t}|{n}\n{s}\n" for t, recs in held.items() for n, s in recs))
    rows: list[dict[str, Any]] = []
    variants = [("fp32", 0.0, 0, "fp32"), ("int8", 0.0, 0, "int8")] + (
        [("int8", prune, 0, "int8-pruned")] if prune else []
    )
    variants += [("int8", 0.0, distill, "int8-distilled")] if distill else []
    for precision, amount, hidden, name in variants:
        cfg = ExportConfig(
            precision=precision,  # type: ignore[arg-type]
            positives=str(out / "oct4_test.fa"),
            negatives=str(out / "mafk_test.fa"),
            motifs=("MA0142.1",),
            prune=amount,
            distill=hidden,
            distill_filters=filters if hidden else 0,
        )
        t0 = time.perf_counter()
        doc = pipeline.export_model(cfg, out / f"panel-{name}").summary()
        rows.append({"part": "bio", "export_seconds": time.perf_counter() - t0, **doc})
    scans: dict[str, tuple[float, set[Any]]] = {}
    models = [("panel eager fp32", None), ("panel ONNX int8", str(out / "panel-int8"))]
    if prune:
        models.append(("panel ONNX int8 pruned", str(out / "panel-int8-pruned")))
    if distill:
        models.append(("panel ONNX int8 distilled", str(out / "panel-int8-distilled")))
    for _ in range(2):  # alternated, best of two: the first scan of a process also compiles the PWM kernels
        for label, model in models:
            t0 = time.perf_counter()
            res = pipeline.scan(ScanConfig(method=Method.model, motifs=("MA0142.1",), model=model), mixed)
            seconds = time.perf_counter() - t0
            h = res.hits
            sites = set(zip(h["record"].tolist(), h["start"].tolist(), h["strand"].tolist(), strict=True))
            scans[label] = (min(seconds, scans.get(label, (np.inf, None))[0]), sites)
    e_s, e_sites = scans["panel eager fp32"]
    q_s, q_sites = scans["panel ONNX int8"]
    for label, what, key in (
        ("pruned", f"pruned {prune}", "pruned"),
        ("distilled", f"distilled H={distill}" + (f" filters={filters}" if filters else ""), "distilled"),
    ):
        if f"panel ONNX int8 {label}" not in scans:
            continue
        p_s, p_sites = scans[f"panel ONNX int8 {label}"]
        rows.append(
            {
                "part": f"bio scan --method model, int8 {what} (held-out Oct4 + Mafk peaks, MA0142.1)",
                "eager_seconds": e_s,
                f"{key}_int8_seconds": p_s,
                "speedup": e_s / p_s,
                "eager_hits": len(e_sites),
                f"{key}_int8_hits": len(p_sites),
                "hits_in_common": len(e_sites & p_sites),
            }
        )
    rows.append(
        {
            "part": "bio scan --method model (held-out Oct4 + Mafk peaks, MA0142.1)",
            "records": sum(len(r) for r in held.values()),
            "eager_seconds": e_s,
            "int8_seconds": q_s,
            "speedup": e_s / q_s,
            "eager_hits": len(e_sites),
            "int8_hits": len(q_sites),
            "hits_in_common": len(e_sites & q_sites),
        }
    )
    return rows


def _finance(out: Path, prune: float = 0.0, distill: int = 0) -> list[dict[str, Any]]:
    from carrousel.finance.config import DataConfig, ExportConfig, FinanceConfig
    from carrousel.finance.pipeline import export_forecaster, forecast

    cfg = FinanceConfig(data=DataConfig(tickers=("AAPL",), source="sample", end="2011-12-30"))
    cfg = FinanceConfig(data=cfg.data, backtest=type(cfg.backtest)(enabled=False))
    t0 = time.perf_counter()
    forecast(cfg, model_dir=out / "forecaster")
    train_s = time.perf_counter() - t0
    rows = []
    variants = [("fp32", 0.0, 0, "fp32"), ("int8", 0.0, 0, "int8")] + (
        [("int8", prune, 0, "int8-pruned")] if prune else []
    )
    variants += [("int8", 0.0, distill, "int8-distilled")] if distill else []
    for precision, amount, hidden, name in variants:
        ecfg = ExportConfig(
            model_dir=str(out / "forecaster"),
            precision=precision,  # type: ignore[arg-type]
            prune=amount,
            distill=hidden,
        )
        t0 = time.perf_counter()
        doc = export_forecaster(ecfg, out / f"forecaster-{name}").summary()
        rows.append(
            {"part": "finance", "train_seconds": train_s, "export_seconds": time.perf_counter() - t0, **doc}
        )
    return rows


def _scan(out: Path, model: str | None, precisions: tuple[str, ...] = ("fp32",)) -> list[dict[str, Any]]:
    """Best-of-3 seconds of one ``bio scan --method model`` on the mixed held-out peaks (``--scan-model``),
    written so that it also runs on older code: compare "today" with ``PYTHONPATH`` at another checkout."""
    from carrousel.bio import pipeline
    from carrousel.bio.config import Method, ScanConfig

    mixed = out / "mixed.fa"
    if not mixed.is_file():
        raise SystemExit(f"{mixed} is missing: run --parts bio with the same --out first")
    best, sites = dict.fromkeys(precisions, float("inf")), {}
    for _ in range(3):  # precisions alternated
        for p in precisions:
            extra = {"precision": p} if p != "fp32" else {}  # runs on older code with fp32 alone
            cfg = ScanConfig(method=Method.model, motifs=("MA0142.1",), model=model, **extra)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            h = pipeline.scan(cfg, mixed).hits
            best[p] = min(best[p], time.perf_counter() - t0)
            sites[p] = set(zip(h["record"].tolist(), h["start"].tolist(), h["strand"].tolist(), strict=True))
    return [
        {
            "part": "scan",
            "model": model or "panel",
            "precision": p,
            "best_of_3_seconds": best[p],
            "hits": len(sites[p]),
            "hits_in_common_with_first": len(sites[p] & sites[precisions[0]]),
        }
        for p in precisions
    ]


def node_profile(
    blob: bytes, feeds: dict[str, np.ndarray], threads: int, prefix: Path, runs: int = 30
) -> dict[str, float]:
    """Microseconds per run of ``feeds`` by node type, slowest first (ONNX Runtime's own profiler)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.enable_profiling, opts.profile_file_prefix = True, str(prefix)
    sess = ort.InferenceSession(blob, opts, providers=["CPUExecutionProvider"])
    for _ in range(runs):
        sess.run(None, feeds)
    events = json.loads(Path(sess.end_profiling()).read_text())
    per_op: dict[str, float] = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] = per_op.get(e["args"]["op_name"], 0.0) + e["dur"] / runs
    return {k: round(v, 1) for k, v in sorted(per_op.items(), key=lambda kv: -kv[1])}


def _profile_feeds(folder: Path, batch: int) -> dict[str, np.ndarray]:
    """A batch of ``batch`` inputs for an exported bio panel (``panel-*``) or recogniser (``speech-*``)."""
    if folder.name.startswith("speech-"):
        from carrousel.speech.deploy import latency_batch
        from carrousel.speech.recognizer import Recognizer

        x, lengths = latency_batch(Recognizer.from_pretrained(folder).model.config.n_features, batch)
        return {"x": x.numpy(), "lengths": lengths.numpy()}
    from carrousel.bio.bundle import load_model
    from carrousel.bio.dna import one_hot

    window = load_model(folder).window
    return {"x": one_hot(np.random.default_rng(64).integers(0, 4, (batch, window), dtype=np.uint8))}


def _profile(out: Path, threads: int, runs: int = 30, batch: int = 64) -> list[dict[str, Any]]:
    """Per node type, microseconds per batch-64 run of each exported bundle in ``out``: bio panels
    (``panel-*``, part 2) and recognisers (``speech-*``, ``speech export -o OUT/speech-...``)."""
    from carrousel.core.bundle import load_bundle

    rows: list[dict[str, Any]] = []
    for folder in sorted([*out.glob("panel-*"), *out.glob("speech-*")]):
        feeds = _profile_feeds(folder, batch)  # imports the domain package the bundle's model needs
        bundle = load_bundle(folder)
        blob = bytes(bundle.files[bundle.assets["export"]["file"]])
        per_op = node_profile(blob, feeds, threads, out / f"ort_profile_{folder.name}", runs)
        rows.append({"part": f"profile {folder.name} batch {batch} (us per run by node type)", **per_op})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="encoder,bio,finance")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for bundles and the JSON (default: temp)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--prune", type=float, default=0.0, help="bio and finance: also an int8 export pruned by this share"
    )
    parser.add_argument(
        "--distill", type=int, default=0, help="bio and finance: also an int8 export of a student of H units"
    )
    parser.add_argument(
        "--distill-filters", type=int, default=0, help="bio: the distilled student's filters (0: all)"
    )
    parser.add_argument("--scan-model", default=None, help="part scan: the model folder (default: the panel)")
    parser.add_argument(
        "--scan-precision", default="fp32", help="part scan: comma-separated precisions, e.g. fp32,bf16"
    )
    parser.add_argument(
        "--device", default="cpu", help="cpu (default) or cuda[:N]: the encoder (and precision) part on a GPU"
    )
    parser.add_argument("--profile-batch", type=int, default=64, help="part profile: the batch size")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_export_"))
    out.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    rows: list[dict[str, Any]] = []
    if args.device != "cpu":
        if not torch.cuda.is_available():
            raise SystemExit(f"--device {args.device}: no CUDA device here; run on a machine with a GPU")
        rows += _encoder_gpu(args.device, args.repeats)
        parts &= {"precision"}  # the domain models' fp32 / bf16 / fp16 run on the GPU as well
    if "encoder" in parts:
        rows += _encoder(args.repeats)
    if "bio" in parts:
        rows += _bio(out, args.prune, args.distill, args.distill_filters)
    if "finance" in parts:
        rows += _finance(out, args.prune, args.distill)
    if "scan" in parts:
        rows += _scan(out, args.scan_model, tuple(args.scan_precision.split(",")))
    if "profile" in parts:
        rows += _profile(out, args.threads, batch=args.profile_batch)
    if "precision" in parts:  # fp32 vs bf16 task metrics of every domain model (bench_precision.py)
        import bench_precision

        rows += bench_precision.rows(out, {"finance", "bio", "sentiment", "speech"}, args.device)
    (out / "bench_export.json").write_text(json.dumps(rows, indent=2))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        if r["part"] == "encoder":
            print(
                f"encoder lengths={r['lengths']!s:5} B={r['batch']:>2}: eager fp32 {r['eager_fp32_ms']:7.2f} ms | "
                f"ONNX fp32 {r['onnx_fp32_speedup']:.2f}x (err {r['onnx_fp32_rel_err']:.1e}) | "
                f"ONNX int8 {r['onnx_int8_speedup']:.2f}x (err {r['onnx_int8_rel_err']:.1e}) | "
                f"bf16 {r['bf16_speedup']:.2f}x (err {r['bf16_rel_err']:.1e})"
            )
        elif r["part"] == "encoder_gpu":
            print(
                f"encoder on {r['device']} lengths={r['lengths']!s:5} B={r['batch']:>3}: eager fp32 "
                f"{r['eager_fp32_ms']:7.3f} ms | bf16 {r['bf16_speedup']:.2f}x (err {r['bf16_rel_err']:.1e}) | "
                f"fp16 {r['fp16_speedup']:.2f}x (err {r['fp16_rel_err']:.1e})"
            )
        elif "speedup" in r and isinstance(r["speedup"], dict):
            lat = r["latency_ms"]
            print(
                f"{r['part']} {r['precision']}: batch 1 {lat['1']['eager']:.2f} -> {lat['1']['deployed']:.2f} ms "
                f"({r['speedup']['1']:.2f}x), batch 64 {lat['64']['eager']:.2f} -> {lat['64']['deployed']:.2f} ms "
                f"({r['speedup']['64']:.2f}x); {r['metric']} {r['before']} -> {r['after']} "
                f"({r['metric_change_pct']}%); size {r['source_bytes']} -> ONNX {r['onnx_bytes']} B; "
                f"{r['metric_note']}"
                + "".join(
                    f"; {key} {r['extra'][key]['hidden_size']}"
                    for key in ("pruned", "distilled")
                    if key in r.get("extra", {})
                )
            )
        elif r["part"].startswith("precision "):
            import bench_precision

            print(bench_precision.describe(r))
        else:
            print(json.dumps(r))
    print(f"JSON: {out / 'bench_export.json'}")


if __name__ == "__main__":
    main()
