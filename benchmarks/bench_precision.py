"""Reduced-precision inference on real tasks: every domain model in fp32 and bf16 (and fp16 on a GPU), side
by side in one process, through the one core path (``precision`` of the domain loaders -> core's
``predict`` / ``run_in_precision``): the task metric of each precision and its change from fp32, and the
time of each precision relative to fp32.

* ``finance``: the default AAPL forecaster trained up to 2011-12-30 (``--out/forecaster``, reused when
  there; as ``bench_export.py --parts finance``): pinball loss and the median's MAE of the calibrated
  quantiles on the 250 held-out origins after it (2012), as ``finance export`` scores them; latency of the
  ensemble at batch 1 / 64 forecast windows.
* ``bio``: the shipped panel, held-out AUROC of the Pou5f1::Sox2 output (MA0142.1) on janggu's Oct4 vs Mafk
  peaks (the 20 % held out, seed 0, as ``bench_export.py --parts bio``); latency at batch 1 / 64 windows.
* ``sentiment``: the shipped model, accuracy on gensim's 200 Pang & Lee sentences (kept out of its
  training) and on the 40 hand-written negation sentences (``tests/nlp/data/negation.csv``, never trained
  on); seconds of the whole pass (best of 3, precisions alternated).
* ``speech``: the shipped recogniser, greedy WER / CER on ``sample:tidigits`` (all, or the first ``--utterances``)
  (``speech evaluate``); seconds of the pass (best of 3, alternated, model loading included).

Usage: ``python benchmarks/bench_precision.py [--parts finance,bio,sentiment,speech] [--device cpu|cuda]
[--utterances N] [--out DIR] [--json]`` (also ``bench_export.py --parts precision``). One thread by default.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[1]
BATCHES = (1, 64)
ROUNDS = 3  # sentiment and speech: alternated passes per precision, the fastest kept


def precisions(device: str) -> tuple[str, ...]:
    """fp32 and bf16 everywhere; fp16 where the device runs it (CUDA / MPS: core's ``inference_dtype``)."""
    return ("fp32", "bf16") if torch.device(device).type == "cpu" else ("fp32", "bf16", "fp16")


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


def _row(
    part: str,
    metrics: dict[str, dict[str, float]],
    note: str,
    seconds: dict[str, float] | None = None,
    latency: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """One row: each precision's metrics, their change from fp32, and its time relative to fp32 (of the
    whole pass: ``seconds``; or per batch size: ``latency`` in ms)."""
    row: dict[str, Any] = {"part": f"precision {part}", "note": note, "metrics": metrics}
    row["delta_vs_fp32"] = {
        p: {k: round(v - metrics["fp32"][k], 6) for k, v in m.items()}
        for p, m in metrics.items()
        if p != "fp32"
    }
    if seconds is not None:
        row["seconds"] = seconds
        row["time_vs_fp32"] = {p: round(s / seconds["fp32"], 3) for p, s in seconds.items() if p != "fp32"}
    if latency is not None:
        row["latency_ms"] = latency
        row["latency_vs_fp32"] = {
            b: {p: round(ms / per["fp32"], 3) for p, ms in per.items() if p != "fp32"}
            for b, per in latency.items()
        }
    return row


def _finance(out: Path, device: str) -> dict[str, Any]:
    from carrousel.core.export import measure_latency
    from carrousel.core.train import predict
    from carrousel.finance.bundle import ForecasterBundle, find_bundle
    from carrousel.finance.config import DataConfig, ExportConfig, FinanceConfig
    from carrousel.finance.deploy import _score  # the held-out scoring of ``finance export``
    from carrousel.finance.pipeline import forecast

    folder = out / "forecaster"
    if find_bundle(str(folder)) is None:
        cfg = FinanceConfig(data=DataConfig(tickers=("AAPL",), source="sample", end="2011-12-30"))
        forecast(FinanceConfig(data=cfg.data, backtest=type(cfg.backtest)(enabled=False)), model_dir=folder)
    found = find_bundle(str(folder))
    assert found is not None
    saved = ForecasterBundle.from_pretrained(found)
    full = replace(saved.fitted, runtime=None)
    full.model.to(device)
    metrics, note = {}, ""
    for p in precisions(device):
        figures, note = _score(full, replace(full, precision=p), ExportConfig(model_dir=str(folder)), saved)
        metrics[p] = {"pinball": figures["pinball_after"], "mae": figures["mae_after"]}
    cfg_in = full.model.config.member.encoder.input_size
    x = np.random.default_rng(0).standard_normal((64, full.window.lookback, cfg_in)).astype(np.float32)
    net = full.model.eval()
    runners = {p: (lambda b, p=p: predict(net, x[:b], b, precision=p)) for p in precisions(device)}
    return _row("finance", metrics, note, latency=measure_latency(runners, BATCHES))


def _bio(out: Path, device: str) -> dict[str, Any]:
    from bench_export import _split

    from carrousel.bio.bundle import load_model
    from carrousel.bio.config import ExportConfig
    from carrousel.bio.deploy import _auroc, _sets  # the held-out scoring of ``bio export``
    from carrousel.bio.models import predict_logits
    from carrousel.core.export import measure_latency
    from carrousel.core.samples import sample_path

    files = {}
    for name in ("oct4", "mafk"):
        files[name] = out / f"{name}_test.fa"
        files[name].write_text("".join(f">{n}\n{s}\n" for n, s in _split(sample_path(f"bio.{name}"))))
    cfg = ExportConfig(positives=str(files["oct4"]), negatives=str(files["mafk"]), motifs=("MA0142.1",))
    model = load_model(None, device)
    sets = _sets(cfg, model.window)
    metrics, note = {}, ""
    for p in precisions(device):
        auroc, note = _auroc(replace(model, precision=p), sets, cfg.motifs)
        assert auroc is not None
        metrics[p] = {"auroc": auroc}
    codes = np.random.default_rng(0).integers(0, 4, (64, model.window), dtype=np.uint8)
    net = model.model.eval()
    runners = {p: (lambda b, p=p: predict_logits(net, codes[:b], b, fast=True, precision=p)) for p in metrics}
    return _row("bio", metrics, note, latency=measure_latency(runners, BATCHES))


def _sentiment(out: Path, device: str) -> dict[str, Any]:
    from carrousel.nlp.config import TextDataConfig
    from carrousel.nlp.data import load_texts
    from carrousel.nlp.decision import decide
    from carrousel.nlp.pipeline.sentiment import SentimentModel
    from carrousel.nlp.samples import sample_file

    gensim = load_texts(TextDataConfig(str(sample_file("nlp.gensim_polarity"))))  # labels pos / neg
    sets = {"gensim_200": list(zip(gensim.texts, gensim.labels, strict=True))}
    with (ROOT / "tests/nlp/data/negation.csv").open(encoding="utf-8", newline="") as f:
        sets["negation_40"] = [(r["text"], r["label"][:3]) for r in csv.DictReader(f)]
    models = {p: SentimentModel.from_pretrained(None, device, p) for p in precisions(device)}
    short = [label[:3] for label in models["fp32"].labels]  # negative/positive -> neg/pos
    metrics: dict[str, dict[str, float]] = {p: {} for p in models}
    seconds: dict[str, float] = {}
    for _ in range(ROUNDS):  # alternated; the best pass of each (the first also warms up)
        for p, model in models.items():
            took = 0.0
            for name, items in sets.items():
                probs, s = _timed(lambda m=model, i=items: m.predict_proba([t for t, _ in i]))
                pred = decide(probs, model.threshold)
                hits = [short[k] == y for k, (_, y) in zip(pred, items, strict=True)]
                metrics[p][f"accuracy_{name}"], took = float(np.mean(hits)), took + s
            seconds[p] = min(seconds.get(p, np.inf), took)
    n = {k: len(v) for k, v in sets.items()}
    return _row("sentiment", metrics, f"the shipped model; texts {n} (neither trained on)", seconds)


def _speech(out: Path, device: str, utterances: int) -> dict[str, Any]:
    from carrousel.speech import pipeline
    from carrousel.speech.config import EvaluateConfig, TranscribeConfig

    metrics: dict[str, dict[str, float]] = {}
    seconds: dict[str, float] = {}
    res = None
    for _ in range(ROUNDS):  # alternated; the best pass of each (model loading included, as a command)
        for p in precisions(device):
            cfg = EvaluateConfig(
                ("sample:tidigits",), TranscribeConfig(device=device, precision=p), utterances or None
            )
            res, took = _timed(lambda c=cfg: pipeline.evaluate(c))
            metrics[p], seconds[p] = (
                {"wer": res.totals.wer, "cer": res.totals.cer},
                min(seconds.get(p, np.inf), took),
            )
    assert res is not None
    note = f"the shipped recogniser, greedy, {res.utterances} utterances of sample:tidigits ({res.totals.words} words)"
    return _row("speech", metrics, note, seconds)


def rows(out: Path, parts: set[str], device: str = "cpu", utterances: int = 0) -> list[dict[str, Any]]:
    """The rows of the parts asked for (``finance``, ``bio``, ``sentiment``, ``speech``)."""
    found: list[dict[str, Any]] = []
    if "finance" in parts:
        found.append(_finance(out, device))
    if "bio" in parts:
        found.append(_bio(out, device))
    if "sentiment" in parts:
        found.append(_sentiment(out, device))
    if "speech" in parts:
        found.append(_speech(out, device, utterances))
    return found


def describe(row: dict[str, Any]) -> str:
    """One line of a row: each precision's metrics (change from fp32), its time relative to fp32."""
    bits = []
    for p, m in row["metrics"].items():
        delta = row["delta_vs_fp32"].get(p, {})
        bits.append(
            f"{p}: "
            + ", ".join(f"{k} {v:.5g}" + (f" ({delta[k]:+.2g})" if delta else "") for k, v in m.items())
        )
    if "time_vs_fp32" in row:
        bits.append("time vs fp32: " + ", ".join(f"{p} {t}x" for p, t in row["time_vs_fp32"].items()))
    for b, per in row.get("latency_vs_fp32", {}).items():
        bits.append(f"batch {b} vs fp32: " + ", ".join(f"{p} {t}x" for p, t in per.items()))
    return f"{row['part']}: " + " | ".join(bits) + f" [{row['note']}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="finance,bio,sentiment,speech")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--utterances", type=int, default=0, help="speech: utterances of sample:tidigits (0: all)"
    )
    parser.add_argument("--out", type=Path, default=None, help="folder for the forecaster and the JSON")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.device != "cpu" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: no CUDA device here; run on a machine with a GPU")
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_precision_"))
    out.mkdir(parents=True, exist_ok=True)
    found = rows(out, set(args.parts.split(",")), args.device, args.utterances)
    (out / "bench_precision.json").write_text(json.dumps(found, indent=2))
    print(json.dumps(found, indent=2) if args.json else "\n".join(map(describe, found)))
    print(f"JSON: {out / 'bench_precision.json'}")


if __name__ == "__main__":
    main()
