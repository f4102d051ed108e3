"""Answers to recordings without speech: how often a recogniser says nothing to noise, and to speech.

Sets (synthesised into a temporary folder unless given):

* ``noise``: ``speech synth-corpus --heldout --noise-share 1 -n 100 --seed 24``: white, pink, brown noise
  and mains hum, 0.1-3 s, through the corpus's rooms and channels, -50 to -6 dBFS peak;
* ``0.1 s cuts``: the middle 0.1 s of each utterance of the held-out speech set (3 output frames):
  too short to hold a word, so nothing is the right answer;
* ``speech``: ``speech synth-corpus --heldout -n 120 --seed 2`` (voices never used in training): the
  share transcribed as nothing here is speech lost.

For each set and model (greedy, and beam 8 with the model LM): the share of recordings transcribed as
nothing, and the range of the confidences of the others (a cut below -60 dBFS is refused as silent by
``speech transcribe``, and counted apart). ``--stream`` adds a row per set decoded as ``speech stream``
does (a unidirectional model fed in 320 ms chunks; its final result), over the files ``transcribe``
accepted.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_speech_no_speech.py [--model DIR ...] [--noise-data M]
[--speech-data M] [--stream]`` (``--model`` repeatable; ``shipped`` names the packaged model, or with
``--stream`` the packaged stream model).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import soundfile as sf
import torch

from carrousel.speech.audio import read_audio
from carrousel.speech.config import DecodeConfig, StreamConfig, SynthConfig, TranscribeConfig
from carrousel.speech.pipeline import stream, synth_corpus, transcribe
from carrousel.speech.recognizer import shipped_model_path


def _paths(manifest: str) -> list[str]:
    with open(manifest, encoding="utf-8", newline="") as fh:
        return [str(Path(manifest).parent / r["path"]) for r in csv.DictReader(fh, delimiter="\t")]


def _cuts(paths: list[str], folder: Path) -> list[str]:
    folder.mkdir()
    out = []
    for i, path in enumerate(paths):
        x = read_audio(path, 16000)
        mid = len(x) // 2
        sf.write(str(folder / f"{i:03d}.wav"), x[mid - 800 : mid + 800], 16000, subtype="PCM_16")
        out.append(str(folder / f"{i:03d}.wav"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=None, help="model folder, or 'shipped'")
    parser.add_argument("--noise-data", default=None, help="noise-only corpus manifest (default: synthesise)")
    parser.add_argument("--speech-data", default=None, help="held-out speech manifest (default: synthesise)")
    parser.add_argument("--stream", action="store_true", help="also decode as `speech stream` (320 ms)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        noise, speech = args.noise_data, args.speech_data
        if noise is None:
            cfg = SynthConfig(out=f"{tmp}/noise", utterances=100, heldout=True, seed=24, noise_share=1.0)
            noise = synth_corpus(cfg).manifest
        if speech is None:
            speech = synth_corpus(
                SynthConfig(out=f"{tmp}/speech", utterances=120, heldout=True, seed=2)
            ).manifest
        sets = {"noise": _paths(noise), "0.1 s cuts": _cuts(_paths(speech), Path(tmp) / "cuts")}
        sets["speech"] = _paths(speech)
        print("| model | decoding | set | files | transcribed as nothing | confidence of the others |")
        print("| --- | --- | --- | --- | --- | --- |")
        for model in args.model or ["shipped"]:
            folder = None if model == "shipped" else model
            if folder is None and args.stream:
                folder = str(shipped_model_path("stream"))
            accepted: dict[str, list[str]] = {}
            for label, decode in (("greedy", DecodeConfig()), ("beam 8 + model LM", DecodeConfig(beam=8))):
                cfg_t = TranscribeConfig(model=folder, decode=decode, threads=1)
                for name, paths in sets.items():
                    out = [t for t in transcribe(cfg_t, paths, skip_errors=True) if t.error is None]
                    accepted[name] = [t.path for t in out]
                    said = [t.confidence for t in out if t.text]
                    empty = len(out) - len(said)
                    conf = f"{min(said):.2f}-{max(said):.2f}" if said else ""
                    refused = f" ({len(paths) - len(out)} refused as silent)" if len(out) < len(paths) else ""
                    row = f"{len(out)}{refused} | {empty} ({empty / len(out):.0%}) | {conf}"
                    print(f"| {model} | {label} | {name} | {row} |", flush=True)
            if args.stream:
                cfg_s = StreamConfig(model=folder)
                for name, paths in accepted.items():
                    finals = [list(stream(cfg_s, p))[-1] for p in paths]
                    said_s = [sum(w.confidence for w in f.words) / len(f.words) for f in finals if f.words]
                    empty = sum(not f.text for f in finals)
                    conf = f"{min(said_s):.2f}-{max(said_s):.2f}" if said_s else ""
                    row = f"{len(finals)} | {empty} ({empty / len(finals):.0%}) | {conf}"
                    print(f"| {model} | stream, 320 ms chunks | {name} | {row} |", flush=True)


if __name__ == "__main__":
    main()
