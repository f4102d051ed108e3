"""Words either side of a pause: WER/CER of sentences said in one breath and the same words with pauses.

Each sentence is 2-4 groups of the corpus's utterances (digits, numbers, spelled letters, commands; one to
three words each: `carrousel.speech.pauses`, which `speech synth-corpus --pause-share` uses too), spoken
by a held-out voice (espeak-ng or flite, voices never used in training). It is written twice: ``joined``, the whole sentence in one synthesiser call (no pause
beyond the voice's own), and ``paused``, each group synthesised apart and joined by
``--pause-min``..``--pause-max`` seconds of digital silence (the reported case: espeak-ng "one two three",
0.8 s, "stop": greedy ``one two threetop``). Both are decoded greedy and with beam 8 + the model LM: the
difference between the two sets is what the pauses cost, to be closed by a decoder or model change that
leaves the joined set as it is. ``hyp``: words in the hypotheses (the references' count is ``words``); ``oov``:
hypothesis words outside the vocabulary (words run together across a pause, such as ``threetop``, are).

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_speech_pauses.py [--sentences 120] [--seed 7]
[--pause-min 0.3] [--pause-max 1.0] [--beam 8] [--model DIR] [--threads 1] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from carrousel.speech.audio import resample
from carrousel.speech.config import DecodeConfig, EvaluateConfig, TranscribeConfig
from carrousel.speech.metrics import UtteranceScore, error_rates
from carrousel.speech.pauses import join_with_pauses, pause_groups
from carrousel.speech.pipeline import evaluate
from carrousel.speech.synth import random_voice, synthesize
from carrousel.speech.vocab import VOCABULARY

RATE = 16000


def make_sets(folder: Path, sentences: int, seed: int, pause: tuple[float, float]) -> dict[str, str]:
    """Writes the ``joined`` and ``paused`` sets (WAV + manifest) into ``folder``; their manifests."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    rows: dict[str, list[str]] = {"joined": ["path\ttranscript"], "paused": ["path\ttranscript"]}
    for name in rows:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for i in range(sentences):
        groups = [(t, s) for _, t, s in pause_groups(rng)]
        voice = random_voice(nrng, ("espeak-ng", "flite"), heldout=True)
        transcript = " ".join(t for t, _ in groups)
        whole, rate = synthesize(" ".join(s for _, s in groups), voice)
        parts = [resample(*synthesize(spoken, voice), RATE) for _, spoken in groups]
        paused = join_with_pauses(parts, RATE, nrng, pause)
        for name, audio in (("joined", resample(whole, rate, RATE)), ("paused", paused)):
            sf.write(str(folder / name / f"{i:04d}.wav"), audio, RATE, subtype="PCM_16")
            rows[name].append(f"{i:04d}.wav\t{transcript}")
    out = {}
    for name, lines in rows.items():
        (folder / name / "manifest.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        out[name] = str(folder / name / "manifest.tsv")
    return out


def out_of_vocabulary(scores: list[UtteranceScore]) -> int:
    """Hypothesis words outside the vocabulary every sentence is made of: words run together across a
    pause (``threetop``) are such words, as are misspellings."""
    return sum(word not in VOCABULARY for s in scores for word in s.hypothesis.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pause-min", type=float, default=0.3, help="shortest pause between groups, s")
    parser.add_argument("--pause-max", type=float, default=1.0, help="longest pause between groups, s")
    parser.add_argument(
        "--beam", type=int, default=8, help="beam width of the second decoding (0: greedy only)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, dict[str, float | int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = make_sets(Path(tmp), args.sentences, args.seed, (args.pause_min, args.pause_max))
        for name, manifest in sets.items():
            for beam in [1] + ([args.beam] if args.beam > 1 else []):
                cfg = TranscribeConfig(model=args.model, decode=DecodeConfig(beam=beam))
                r = evaluate(EvaluateConfig(data=(manifest,), transcribe=cfg))
                totals = error_rates(r.per_utterance)
                results[f"{name}, {'greedy' if beam == 1 else f'beam {beam} + model LM'}"] = {
                    "utterances": len(r.per_utterance),
                    "words": totals.words,
                    "wer": round(totals.wer, 4),
                    "cer": round(totals.cer, 4),
                    "oov": out_of_vocabulary(list(r.per_utterance)),
                    "hyp_words": sum(len(s.hypothesis.split()) for s in r.per_utterance),
                }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'set, decoder':<32} {'utts':>5} {'words':>6} {'WER':>7} {'CER':>7} {'hyp':>6} {'oov':>5}")
    for label, row in results.items():
        print(
            f"{label:<32} {row['utterances']:>5} {row['words']:>6} {row['wer']:>7.4f} {row['cer']:>7.4f} "
            f"{row['hyp_words']:>6} {row['oov']:>5}"
        )


if __name__ == "__main__":
    main()
