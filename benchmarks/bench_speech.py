"""carrousel-speech speed on CPU: real-time factors of transcription and streaming, training throughput.

Measures, with the shipped models (``carrousel/speech/shipped/model`` and ``shipped/stream``):

* ``speech transcribe`` real-time factor (processing seconds / audio seconds; goal <= 0.05, i.e. 20x
  faster than real time): one 60 s recording (synthesised: digits, numbers, letters and commands with
  pauses, espeak-ng), greedy and beam 8 (+ a word LM), everything a transcription does (reading,
  resampling, features, network, decoding, word timings), model loading excluded; and a batch of
  short files (the 5 real LibriVox sentences of ``make data`` when cached, else synthetic ones);
* ``speech stream`` real-time factor: the same recording fed in 320 ms chunks to the streaming model;
* training throughput in audio seconds per second: optimiser steps of the shipped architecture on
  batches of the synthetic recording cut into 2 s utterances.

Each timing is the median of ``--rounds`` runs. Usage:
``python benchmarks/bench_speech.py [--threads 1] [--rounds 3] [--seconds 60]``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from carrousel.core.errors import CarrouselError
from carrousel.speech.audio import read_audio, resample
from carrousel.speech.config import DecodeConfig
from carrousel.speech.lm import WordLM
from carrousel.speech.models import CTCModel, CTCModelConfig
from carrousel.speech.recognizer import Recognizer, shipped_model_path
from carrousel.speech.samples import sample_recordings
from carrousel.speech.synth import Voice, synthesize
from carrousel.speech.task import CTCTask
from carrousel.speech.vocab import random_utterance

GOAL_RTF = 0.05


def _recording(folder: Path, seconds: float) -> tuple[Path, list[str]]:
    rng = random.Random(7)
    parts, texts, total = [], [], 0.0
    while total < seconds:
        _, text, spoken = random_utterance(rng)
        voice = Voice(
            "espeak-ng", rng.choice(["en-us+m3", "en-gb+f2", "en-us+klatt2"]), rng.uniform(140, 190), 50
        )
        x, rate = synthesize(spoken, voice)
        x = resample(x, rate, 16000)
        pause = np.zeros(int(rng.uniform(0.3, 0.8) * 16000), np.float32)
        parts += [x / (np.abs(x).max() + 1e-9) * 0.5, pause]
        texts.append(text)
        total += (len(x) + len(pause)) / 16000
    path = folder / "bench.wav"
    sf.write(str(path), np.concatenate(parts), 16000)
    return path, texts


def _median(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path, texts = _recording(Path(tmp), args.seconds)
        audio_s = sf.info(str(path)).duration
        rec = Recognizer.from_pretrained()
        lm = WordLM.from_sentences(texts, 3)
        for label, cfg, model_lm in [
            ("transcribe, greedy", DecodeConfig(), None),
            ("transcribe, beam 8", DecodeConfig(beam=8), None),
            ("transcribe, beam 8 + word LM", DecodeConfig(beam=8, lm="bench"), lm),
        ]:
            t = _median(lambda c=cfg, m=model_lm: list(rec.transcribe_files([str(path)], c, m)), args.rounds)
            rows.append((f"{label} ({audio_s:.0f} s file)", t / audio_s, "RTF"))
        short = [p for p, _ in _cached("librivox")] or _short_files(Path(tmp), path)
        short_s = sum(sf.info(str(p)).duration for p in short)
        t = _median(lambda: list(rec.transcribe_files([str(p) for p in short])), args.rounds)
        rows.append(
            (f"transcribe, greedy, batch of {len(short)} files ({short_s:.0f} s)", t / short_s, "RTF")
        )
        stream_dir = shipped_model_path("stream")
        if (stream_dir / "bundle.json").is_file():
            srec = Recognizer.from_pretrained(stream_dir)
            x = read_audio(path, 16000)
            step = int(0.32 * 16000)
            t = _median(
                lambda: list(srec.stream(x[i : i + step] for i in range(0, len(x), step))), args.rounds
            )
            rows.append(("stream, 320 ms chunks (unidirectional model)", t / audio_s, "RTF"))
        rows.append(("train, shipped architecture", _train_throughput(rec, path), "audio s/s"))
    print(f"carrousel-speech on CPU, {args.threads} thread(s), median of {args.rounds}")
    for label, value, unit in rows:
        goal = ""
        if unit == "RTF":
            goal = f"  ({1 / value:5.0f}x real time; goal RTF <= {GOAL_RTF}: {'met' if value <= GOAL_RTF else 'MISSED'})"
        print(f"  {label:<58} {value:8.4f} {unit}{goal}")
    print(json.dumps({label: round(value, 5) for label, value, _ in rows}))


def _cached(group: str) -> list[tuple[Path, str]]:
    try:
        return sample_recordings(group)
    except CarrouselError:
        return []


def _short_files(folder: Path, path: Path) -> list[Path]:
    x, sr = sf.read(str(path), dtype="float32")
    out = []
    for i in range(5):
        p = folder / f"short{i}.wav"
        sf.write(str(p), x[i * 5 * sr : (i + 1) * 5 * sr], sr)
        out.append(p)
    return out


def _train_throughput(rec: Recognizer, path: Path) -> float:
    x, sr = sf.read(str(path), dtype="float32")
    cuts = [x[i : i + 2 * sr] for i in range(0, len(x) - 2 * sr, 2 * sr)][:12]
    feats = torch.nn.utils.rnn.pad_sequence([rec.input_features(c) for c in cuts], batch_first=True)
    lengths = torch.full((len(cuts),), feats.shape[1])
    targets = torch.randint(2, rec.alphabet.size, (len(cuts), 12))
    cfg = rec.model.config
    model = CTCModel(CTCModelConfig(**{**cfg.__dict__})).train()
    task, opt = CTCTask(rec.alphabet), torch.optim.AdamW(model.parameters(), 1e-3)
    batch = (feats, lengths, targets, torch.full((len(cuts),), 12))

    def step() -> None:
        loss = task.loss(task.forward(model, batch), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t = _median(step, 5)
    return 2.0 * len(cuts) / t


if __name__ == "__main__":
    main()
