"""Exported recogniser (``speech export``) vs eager: WER/CER and real-time factor of transcription.

Exports the shipped English model (fp32 and int8 ONNX) into a temporary folder, then transcribes the same
recordings with the eager model and each exported bundle (greedy, batches of 16) and reports WER, CER and
the real-time factor (transcription seconds / audio seconds, model loading excluded, best of ``--repeats``).
Recordings: a synthesised held-out corpus of wav files (``speech synth-corpus --heldout``, ``--utterances``)
and the real TIDIGITS sample (``sample:tidigits``, Sphinx MFCC files) when cached.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_speech_export.py [--utterances 60] [--repeats 3]
[--threads 1] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from carrousel.speech.config import SpeechExportConfig, SynthConfig
from carrousel.speech.data import load_corpora
from carrousel.speech.deploy import export_recognizer
from carrousel.speech.metrics import error_rates, score_utterance
from carrousel.speech.pipeline import synth_corpus
from carrousel.speech.recognizer import Recognizer


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
        [score_utterance(u.path, u.text, t.text) for u, t in zip(utts, transcripts, strict=True)]
    )
    return {
        "utterances": len(utts),
        "audio_s": round(seconds, 2),
        "wer": round(tot.wer, 4),
        "cer": round(tot.cer, 4),
        "rtf": round(best / seconds, 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
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
