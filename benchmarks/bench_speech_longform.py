"""Long recordings read in chunks: WER/CER of recordings transcribed in chunks and the same read whole.

Each recording is ``--per`` sentences of 2-4 groups of the corpus's utterances (digits, numbers, spelled
letters, commands: :func:`carrousel.speech.pauses.pause_groups`), each sentence said in one synthesiser call
by one held-out voice (espeak-ng or flite; ``--training-voices``: one of the training set's) and joined by ``--pause-min``..``--pause-max`` seconds of digital
silence with a little room noise, so chunk boundaries fall within words as often as in pauses. Each is
transcribed greedy in chunks of ``--chunk`` seconds (``chunked``) and whole (``whole``, one chunk longer
than the recording): the difference is what the chunk seams cost. Scored with jiwer on
:func:`carrousel.speech.text.normalize`\\ d texts (no alternative readings), the same on any commit.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_speech_longform.py [--recordings 12] [--per 8]
[--chunk 5] [--seed 11] [--pause-min 0.05] [--pause-max 0.4] [--training-voices] [--kinds digits,...] [--model DIR] [--threads 1] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import jiwer
import numpy as np
import soundfile as sf
import torch

from carrousel.speech.audio import resample
from carrousel.speech.pauses import join_with_pauses, pause_groups
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.synth import random_voice, synthesize
from carrousel.speech.text import normalize
from carrousel.speech.vocab import KINDS

RATE = 16000


def make_recordings(
    folder: Path,
    n: int,
    per: int,
    seed: int,
    pause: tuple[float, float],
    heldout: bool = True,
    kinds: tuple[str, ...] = KINDS,
) -> list[tuple[str, str]]:
    """Writes ``n`` long recordings into ``folder``; ``[(path, transcript)]``."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    out = []
    for i in range(n):
        voice = random_voice(nrng, ("espeak-ng", "flite"), heldout=heldout)
        texts, parts = [], []
        for _ in range(per):
            groups = [(t, s) for _, t, s in pause_groups(rng, kinds)]
            texts.append(" ".join(t for t, _ in groups))
            parts.append(resample(*synthesize(" ".join(s for _, s in groups), voice), RATE))
        audio = join_with_pauses(parts, RATE, nrng, pause)
        audio = audio + 1e-3 * nrng.standard_normal(len(audio)).astype(np.float32)
        path = folder / f"{i:03d}.wav"
        sf.write(str(path), audio, RATE, subtype="PCM_16")
        out.append((str(path), " ".join(texts)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--recordings", type=int, default=12)
    parser.add_argument("--per", type=int, default=8, help="sentences per recording")
    parser.add_argument("--chunk", type=float, default=5.0, help="chunk seconds of the chunked reading")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--pause-min", type=float, default=0.05)
    parser.add_argument("--pause-max", type=float, default=0.4)
    parser.add_argument(
        "--training-voices", action="store_true", help="voices of the training set (read better: seams show)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="utterance kinds, comma-separated")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rec = Recognizer.from_pretrained(args.model)
    results: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        items = make_recordings(
            Path(tmp),
            args.recordings,
            args.per,
            args.seed,
            (args.pause_min, args.pause_max),
            not args.training_voices,
            tuple(args.kinds.split(",")),
        )
        refs = [normalize(t) for _, t in items]
        seconds = sum(sf.info(p).duration for p, _ in items)
        for name, chunk in (("chunked", args.chunk), ("whole", 600.0)):
            hyps = [
                normalize(t.text) for t in rec.transcribe_files([p for p, _ in items], chunk_seconds=chunk)
            ]
            results[name] = {
                "recordings": len(items),
                "seconds": round(seconds, 1),
                "words": sum(len(r.split()) for r in refs),
                "wer": round(jiwer.wer(refs, hyps), 4),
                "cer": round(jiwer.cer(refs, hyps), 4),
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'reading':<10} {'recs':>5} {'secs':>7} {'words':>6} {'WER':>7} {'CER':>7}")
    for label, row in results.items():
        print(
            f"{label:<10} {row['recordings']:>5} {row['seconds']:>7.1f} {row['words']:>6} {row['wer']:>7.4f} "
            f"{row['cer']:>7.4f}"
        )


if __name__ == "__main__":
    main()
