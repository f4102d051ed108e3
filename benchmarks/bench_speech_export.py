"""Exported recogniser (``speech export``) vs eager: WER/CER and real-time factor of transcription.

Exports the shipped English model (fp32 and int8 ONNX) into a temporary folder, then transcribes the same
recordings with the eager model and each exported bundle (greedy, batches of 16) and reports WER, CER and
the real-time factor (transcription seconds / audio seconds, model loading excluded, best of ``--repeats``).
Recordings: a synthesised held-out corpus of wav files (``speech synth-corpus --heldout``, ``--utterances``)
and the real TIDIGITS sample (``sample:tidigits``, Sphinx MFCC files) when cached.

``--variants DIR``: instead, the int8 variants of the shipped acoustic model side by side (exported into
``DIR/speech-<variant>``): the graph before this change (per-direction LSTM nodes with reverse gathers),
the packed graph (one bidirectional LSTM node per layer with ``sequence_lens``), and the packed graph with
the convolutions static int8 (calibrated on :func:`carrousel.speech.calibrate.calibration_batches`), plus
the packed fp32 graph; milliseconds per batch of 1 and 64 utterances of 200 frames against eager fp32,
one call of each runner in turn per round, ``--rounds`` rounds (batch 1: ten times as many), the fastest
(and the median) call; greedy WER/CER on the real TIDIGITS sample.
``python benchmarks/bench_export.py --parts profile --out DIR`` then profiles them by node type.

``--distill H [H ...] --train-data CORPUS --out DIR``: the distilled variants (``speech export --distill H
--precision int8``, students trained on ``CORPUS``, a seeded tenth held out) beside the full model's int8
export and eager fp32: milliseconds per batch of 1 and 64 (alternating rounds as ``--variants``, fastest,
median and the spread of ``--runs`` runs), greedy WER/CER on TIDIGITS (the reported test set) and each
student's held-out CER on the tenth of ``CORPUS`` (the validation split ``H`` is chosen on).

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_speech_export.py [--utterances 60] [--repeats 3]
[--threads 1] [--variants DIR [--rounds 20]] [--distill H ... --train-data CORPUS --out DIR [--runs 3]
[--finetune-epochs 5]]
[--json]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from carrousel.core.bundle import load_bundle, read_manifest
from carrousel.core.export import export_bundle, exportable, load_runtime
from carrousel.speech.calibrate import calibration_batches
from carrousel.speech.config import EvaluateConfig, SpeechExportConfig, SynthConfig, TranscribeConfig
from carrousel.speech.data import load_corpora
from carrousel.speech.deploy import BATCHES, LogProbs, export_recognizer, latency_batch, speech_export_spec
from carrousel.speech.metrics import error_rates, score_utterance
from carrousel.speech.models import CTCModel
from carrousel.speech.pipeline import evaluate, synth_corpus
from carrousel.speech.recognizer import KIND, Recognizer, shipped_model_path


def _score(rec: Recognizer, spec: str, repeats: int) -> dict[str, float]:
    utts = load_corpora((spec,), None)
    paths = [u.path for u in utts]
    best, transcripts = float("inf"), []
    for _ in range(repeats):
        start = time.perf_counter()
        transcripts = list(rec.transcribe_files(paths))
        best = min(best, time.perf_counter() - start)
    seconds = sum(t.seconds for t in transcripts)
    tot = error_rates(
        [score_utterance(u.path, u.text, t.text, u.readings) for u, t in zip(utts, transcripts, strict=True)]
    )
    return {
        "utterances": len(utts),
        "audio_s": round(seconds, 2),
        "wer": round(tot.wer, 4),
        "cer": round(tot.cer, 4),
        "rtf": round(best / seconds, 5),
    }


def _rates(model: str, sets: dict[str, str]) -> dict[str, Any]:
    out = {}
    for name, spec in sets.items():
        res = evaluate(EvaluateConfig((spec,), TranscribeConfig(model=model)))
        out[name] = {
            "wer": round(res.totals.wer, 4),
            "cer": round(res.totals.cer, 4),
            "words": res.totals.words,
        }
    return out


def _alternate(runners: dict[str, Callable[[int], object]], b: int, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of every runner at batch ``b``: one warm-up each, then one call of every runner in turn
    per round (``10 * rounds`` rounds at batch 1), so all see the same machine load."""
    calls: dict[str, list[float]] = {k: [] for k in runners}
    for fn in runners.values():
        fn(b)  # warm-up
    for _ in range(rounds if b > 1 else 10 * rounds):
        for k, fn in runners.items():
            start = time.perf_counter()
            fn(b)
            calls[k].append(1e3 * (time.perf_counter() - start))
    return calls


def _variants(out: Path, rounds: int) -> dict[str, Any]:
    """The shipped model's int8 variants side by side (see the module docstring)."""
    source = shipped_model_path()
    rec = Recognizer.from_pretrained(source)
    provenance = dict(read_manifest(source, kind=KIND).get("data") or {})
    t0 = time.perf_counter()
    calibration, where = calibration_batches(rec, provenance)
    calib_s = time.perf_counter() - t0
    packed = speech_export_spec(rec.model)
    before = replace(packed, graph=_padded_graph(rec.model))
    specs = {
        "int8-before": (before, "int8"),
        "int8-packed": (packed, "int8"),
        "int8-packed-static-conv-minmax": (speech_export_spec(rec.model, calibration, None), "int8"),
        "int8-packed-static-conv-p99.99": (speech_export_spec(rec.model, calibration, 99.99), "int8"),
        "fp32-packed": (packed, "fp32"),
    }
    runners: dict[str, Any] = {}
    wer: dict[str, Any] = {}
    heldout = out / "synth-heldout"  # unseen voices: the validation set the variants are chosen on
    if not (heldout / "manifest.tsv").exists():
        synth_corpus(SynthConfig(out=str(heldout), utterances=60, heldout=True, seed=2))
    sets = {"synthetic held-out (validation)": str(heldout / "manifest.tsv"), "tidigits": "sample:tidigits"}
    net = rec.model.eval()
    batches = {b: latency_batch(net.config.n_features, b) for b in BATCHES}
    for name, (spec, precision) in specs.items():
        folder, asset = export_bundle(rec.to_bundle(provenance), out / f"speech-{name}", spec, precision)
        runtime = load_runtime(load_bundle(folder, kind=KIND))
        assert runtime is not None
        runners[name] = lambda b, r=runtime: r.run(*batches[b])
        wer[name] = {**_rates(str(folder), sets), "check_max_abs_diff": round(asset["check_max_abs_diff"], 4)}

    def run_eager(b: int) -> object:
        with torch.inference_mode():
            return net(*batches[b])

    wer["eager"] = _rates(str(source), sets)
    best: dict[str, dict[str, float]] = {}
    median: dict[str, dict[str, float]] = {}
    for b in BATCHES:  # one call of every runner in turn per round; the minimum is the least disturbed
        calls = _alternate({"eager": run_eager, **runners}, b, rounds)
        best[str(b)] = {k: round(min(v), 3) for k, v in calls.items()}
        median[str(b)] = {k: round(sorted(v)[len(v) // 2], 3) for k, v in calls.items()}
    speedup = {b: {k: round(row["eager"] / ms, 2) for k, ms in row.items()} for b, row in best.items()}
    speedup_median = {
        b: {k: round(row["eager"] / ms, 2) for k, ms in row.items()} for b, row in median.items()
    }
    return {
        "calibration": where,
        "calibration_seconds": round(calib_s, 1),
        "latency_ms": best,
        "latency_ms_median": median,
        "speedup_vs_eager": speedup,
        "speedup_vs_eager_median": speedup_median,
        "wer_cer": wer,
    }


def _distilled(
    out: Path, hidden: list[int], train_data: str, rounds: int, runs: int, epochs: int
) -> dict[str, Any]:
    """Distilled students beside the full model's int8 export (see the module docstring)."""
    source = shipped_model_path()
    rec = Recognizer.from_pretrained(source)
    net = rec.model.eval()
    batches = {b: latency_batch(net.config.n_features, b) for b in BATCHES}
    folders = {"int8 full": out / "speech-int8"}
    export_recognizer(SpeechExportConfig(precision="int8"), folders["int8 full"])
    students: dict[str, Any] = {}
    for h in hidden:
        name = f"int8 distilled {h}"
        folders[name] = out / f"speech-distill-{h}"
        t0 = time.perf_counter()
        report = export_recognizer(
            SpeechExportConfig(precision="int8", distill=h, finetune_epochs=epochs, train_data=(train_data,)),
            folders[name],
        )
        d = report.extra["distilled"]
        students[name] = {
            "train_seconds": round(time.perf_counter() - t0, 1),
            "parameters": d["parameters"]["after"],
            "epochs": d["epochs"],
            "best_epoch": d["best_epoch"],
            "val_cer_teacher": d["val_teacher"].get("cer"),  # the validation split: H is chosen here
            "val_cer_student": d["val_student"].get("cer"),
        }
    sets = {"tidigits": "sample:tidigits"}
    rates = {"eager": _rates(str(source), sets), **{k: _rates(str(f), sets) for k, f in folders.items()}}
    runners: dict[str, Any] = {}
    for name, folder in folders.items():
        runtime = load_runtime(load_bundle(folder, kind=KIND))
        assert runtime is not None
        runners[name] = lambda b, r=runtime: r.run(*batches[b])

    def run_eager(b: int) -> object:
        with torch.inference_mode():
            return net(*batches[b])

    per_run: list[dict[str, dict[str, float]]] = []
    for _ in range(runs):  # whole runs alternate too: the spread over runs is the machine's noise
        speed: dict[str, dict[str, float]] = {}
        for b in BATCHES:
            calls = _alternate({"eager": run_eager, **runners}, b, rounds)
            best = {k: min(v) for k, v in calls.items()}
            speed[str(b)] = {k: round(best["eager"] / ms, 2) for k, ms in best.items() if k != "eager"}
            speed[str(b)]["eager_ms"] = round(best["eager"], 3)
        per_run.append(speed)
    spread = {
        b: {k: [min(r[b][k] for r in per_run), max(r[b][k] for r in per_run)] for k in per_run[0][b]}
        for b in per_run[0]
    }
    return {"students": students, "wer_cer": rates, "speedup_runs": per_run, "speedup_range": spread}


def _padded_graph(model: CTCModel) -> torch.nn.Module:
    """The graph before this change: the encoder made exportable without ``sequence_lens`` (padded form)."""
    graph = LogProbs(model)
    graph.model = exportable(model)
    return graph.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=20, help="--variants: alternating rounds (batch 1: 10x)"
    )
    parser.add_argument("--variants", type=Path, default=None, help="int8 variants side by side into DIR")
    parser.add_argument("--distill", type=int, nargs="+", default=None, help="students' units (--out DIR)")
    parser.add_argument("--train-data", default=None, help="--distill: the students' training corpus")
    parser.add_argument("--out", type=Path, default=None, help="--distill: folder of the exports")
    parser.add_argument("--runs", type=int, default=3, help="--distill: whole alternating runs")
    parser.add_argument("--finetune-epochs", type=int, default=5, help="--distill: the students' most epochs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.distill is not None:
        if args.train_data is None or args.out is None:
            parser.error("--distill needs --train-data CORPUS and --out DIR")
        doc = _distilled(
            args.out, args.distill, args.train_data, args.rounds, args.runs, args.finetune_epochs
        )
        print(json.dumps(doc, indent=2))
        return
    if args.variants is not None:
        print(json.dumps(_variants(args.variants, args.rounds), indent=2))
        return
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "heldout"
        synth_corpus(SynthConfig(out=str(corpus), utterances=args.utterances, heldout=True, seed=2))
        sets = {
            "synthetic held-out (wav)": str(corpus / "manifest.tsv"),
            "tidigits (real)": "sample:tidigits",
        }
        models = {"eager": None}
        for precision in ("fp32", "int8"):
            out = Path(tmp) / precision
            export_recognizer(SpeechExportConfig(precision=precision), out)
            models[f"onnx {precision}"] = str(out)
        for name, spec in sets.items():
            for label, folder in models.items():
                try:
                    results.setdefault(name, {})[label] = _score(
                        Recognizer.from_pretrained(folder), spec, args.repeats
                    )
                except Exception as exc:  # a sample not cached: say so and go on
                    print(f"skipped {name}: {exc}")
                    break
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, rows in results.items():
        print(name)
        for label, r in rows.items():
            print(
                f"  {label:10s} {r['utterances']} utts {r['audio_s']:.1f} s  WER {r['wer']:.4f}  "
                f"CER {r['cer']:.4f}  RTF {r['rtf']:.5f}"
            )


if __name__ == "__main__":
    main()
