"""Accuracy of the shipped English recogniser: WER and CER, greedy vs beam search, synthetic and real.

Test sets, none of them seen in training:

* ``synthetic held-out``: ``speech synth-corpus --heldout -n 400 --seed 2`` (voices never used for
  training: one espeak-ng accent, 8 voice variants, flite's rms; with the corpus's channels and noise),
  synthesised into a temporary folder, also scored by utterance kind and telephone / wideband channel
  (those rows from the one evaluation's per-utterance scores);
* the real recordings cached by ``make data`` (``carrousel-data fetch speech``; groups missing from the
  cache are skipped): ``tidigits`` (31 TIDIGITS digit strings of a man and a woman, Sphinx MFCC files,
  plus one raw recording of a third speaker), ``klettres_en`` / ``klettres_en_gb`` (the alphabet read by
  an American and a British speaker), ``goforward`` ("go forward ten meters"), ``cards`` (playing cards:
  "of", "clubs", "hearts", "spades", "queen" are outside the vocabulary) and ``librivox`` (read sentences
  of a novel: almost every word is outside the vocabulary; a lower bound, not a target),
  ``asterisk_numbers`` / ``asterisk_letters`` (the Asterisk PBX's prompts of the number words and the
  alphabet: a third speaker through the GSM 6.10 telephone codec).

``--telephone`` adds each real set with audio (not TIDIGITS' Sphinx feature files) passed through the
synthesis corpus's telephone channel (band limits, G.711 or coarser mu-law, level; seeded per file) and
written as 8 kHz WAV: real speakers on a telephone line, the channel the recogniser is judged on.
``--clipped`` adds each real set with audio cut to its sound (from the first to the last 10 ms frame
within 35 dB of the loudest, no silence either side; a recording with no quieter frame is kept whole),
as 16 kHz WAV: clips that start on their first word and stop on their last, as a push-to-talk button or
a voice-activity detector cuts them.

Each row's WER comes with a bootstrap standard error (``wer_se``: utterances drawn with replacement,
``--bootstrap`` times, seed 0): how far the row's WER would move on another draw of as many utterances
of the same kind, the noise a comparison of two models on that row has to beat.

Usage: ``python benchmarks/bench_speech_accuracy.py [--model DIR] [--beam 8] [--threads 1] [--json]
[--heldout-data MANIFEST] [--sets tidigits,klettres_en,...] [--telephone] [--clipped] [--bootstrap 1000]``
(``--heldout-data``: an existing held-out corpus instead of synthesising one; ``--sets``: only these
sets, ``synthetic`` naming the held-out one; ``--beam 0``: greedy only).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from carrousel.speech.config import DecodeConfig, EvaluateConfig, SynthConfig, TranscribeConfig
from carrousel.speech.metrics import UtteranceScore, error_rates
from carrousel.speech.pipeline import evaluate, synth_corpus
from carrousel.speech.samples import GROUPS


def _subsets(manifest: Path) -> dict[str, set[str]]:
    """Resolved audio paths of the held-out corpus's utterance kinds and of its telephone / wideband parts."""
    with open(manifest, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "kind" not in rows[0] or "effects" not in rows[0]:
        return {}
    groups: dict[str, set[str]] = {}
    for row in rows:
        path = str((manifest.parent / row["path"]).resolve())
        groups.setdefault(f"- {row['kind']}", set()).add(path)
        phone = "telephone" in row["effects"].split("+")
        groups.setdefault("- telephone 8 kHz" if phone else "- wideband", set()).add(path)
    return dict(sorted(groups.items()))


def wer_standard_error(scores: Sequence[UtteranceScore], resamples: int, seed: int = 0) -> float:
    """Bootstrap standard error of a corpus WER: utterances drawn with replacement, errors summed, divided.

    Args:
        scores: the set's per-utterance scores (``EvaluationResult.per_utterance``).
        resamples: bootstrap draws (0: no estimate, NaN).
        seed: the draws' seed (same seed, same estimate).

    Returns:
        The standard deviation of the resampled corpus WERs; NaN for no draws or no utterances.
    """
    if resamples < 1 or not scores:
        return float("nan")
    errors = np.array([s.substitutions + s.deletions + s.insertions for s in scores], dtype=float)
    words = np.array([len(s.reference.split()) for s in scores], dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(scores), size=(resamples, len(scores)))
    wers = errors[draws].sum(axis=1) / np.maximum(words[draws].sum(axis=1), 1.0)
    return float(wers.std(ddof=1)) if resamples > 1 else 0.0


def _row(scores: Sequence[UtteranceScore], rtf: float, resamples: int) -> dict[str, float | None]:
    """One table row: counts, WER with its bootstrap standard error, CER, real-time factor."""
    totals = error_rates(scores)
    se = wer_standard_error(scores, resamples)
    return {
        "utterances": len(scores),
        "words": totals.words,
        "wer": totals.wer,
        "wer_se": None if math.isnan(se) else round(se, 6),  # strict JSON: no NaN
        "cer": totals.cer,
        "rtf": rtf,
    }


def _real_sets_through(
    groups: list[str], tmp: Path, label: str, change: Callable[[np.ndarray, int], tuple[np.ndarray, int]]
) -> dict[str, str]:
    """Manifests of the real sets' audio files (not Sphinx feature files) changed by ``change`` (16 kHz
    audio and the file's index -> audio and its rate), written as 16-bit WAV; rows named ``group (label)``."""
    import soundfile as sf

    from carrousel.speech.audio import read_audio
    from carrousel.speech.samples import sample_recordings

    out: dict[str, str] = {}
    for group in groups:
        try:
            items = [(p, t) for p, t in sample_recordings(group) if p.suffix.lower() != ".mfc"]
        except Exception as exc:  # not cached
            print(f"skipped {group} ({label}): {exc}")
            continue
        folder = tmp / f"{label.split()[0]}_{group}"
        folder.mkdir()
        rows = ["path\ttranscript"]
        for i, (path, text) in enumerate(items):
            audio, rate = change(read_audio(path, 16000), i)
            sf.write(str(folder / f"{i:03d}.wav"), audio, rate, subtype="PCM_16")
            rows.append(f"{i:03d}.wav\t{text}")
        (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        out[f"{group} ({label})"] = str(folder / "manifest.tsv")
    return out


def _on_a_telephone_line(audio: np.ndarray, index: int) -> tuple[np.ndarray, int]:
    """The corpus's telephone channel (seeded by the file's index), at 8 kHz."""
    from carrousel.speech.audio import resample
    from carrousel.speech.augment import telephone

    return resample(telephone(audio, 16000, np.random.default_rng(index)), 16000, 8000), 8000


def _clipped(audio: np.ndarray, index: int) -> tuple[np.ndarray, int]:
    """Cut to its sound with no silence either side (first to last 10 ms frame within 35 dB of the
    loudest): a clip that starts on its first word and stops on its last."""
    from carrousel.speech.audio import speech_bounds

    start, end = speech_bounds(audio, 16000, margin=0.0)
    return audio[start:end], 16000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    parser.add_argument(
        "--beam", type=int, default=8, help="beam width of the second decoding (0: greedy only)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--utterances", type=int, default=400, help="synthetic held-out utterances")
    parser.add_argument("--heldout-data", default=None, help="held-out corpus manifest (default: synthesise)")
    parser.add_argument("--sets", default=None, help="comma-separated sets to run (synthetic, sample groups)")
    parser.add_argument(
        "--telephone", action="store_true", help="also the real sets through a telephone line"
    )
    parser.add_argument(
        "--clipped", action="store_true", help="also the real sets cut to their sound, no silence either side"
    )
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="resamples for each WER's standard error (0: none)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    decoders = [("greedy", DecodeConfig())]
    if args.beam > 0:
        decoders.append((f"beam {args.beam} + model LM", DecodeConfig(beam=args.beam)))
    with tempfile.TemporaryDirectory() as tmp:
        wanted = set(args.sets.split(",")) if args.sets else {"synthetic", *GROUPS}
        sets = {g: f"sample:{g}" for g in GROUPS if g in wanted}
        parts: dict[str, set[str]] = {}  # rows scored from the held-out set's per-utterance scores
        if "synthetic" in wanted:
            held = args.heldout_data
            if held is None:
                corpus = Path(tmp) / "heldout"
                synth_corpus(SynthConfig(out=str(corpus), utterances=args.utterances, heldout=True, seed=2))
                held = str(corpus / "manifest.tsv")
            sets = {"synthetic held-out": held} | sets
            parts = _subsets(Path(held))
        real = [g for g in GROUPS if g in wanted]
        if args.telephone:
            sets |= _real_sets_through(real, Path(tmp), "telephone 8 kHz", _on_a_telephone_line)
        if args.clipped:
            sets |= _real_sets_through(real, Path(tmp), "clipped", _clipped)
        for name, spec in sets.items():
            for label, decode in decoders:
                try:
                    r = evaluate(
                        EvaluateConfig(
                            data=(spec,), transcribe=TranscribeConfig(model=args.model, decode=decode)
                        )
                    )
                except Exception as exc:  # a group not cached: say so and go on
                    print(f"skipped {name}: {exc}")
                    break
                rtf = r.real_time_factor
                results.setdefault(name, {})[label] = _row(r.per_utterance, rtf, args.bootstrap)
                if name != "synthetic held-out":
                    continue
                for part, paths in parts.items():
                    members = [s for s in r.per_utterance if str(Path(s.path).resolve()) in paths]
                    results.setdefault(part, {})[label] = _row(members, rtf, args.bootstrap)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'test set':<34} {'utts':>5} {'words':>6}  {'greedy WER':>10} {'(se)':>7} {'CER':>6}  "
        f"{'beam WER':>9} {'(se)':>7} {'CER':>6}"
    )

    def cell(row: dict[str, float | None], key: str, width: int) -> str:
        value = row.get(key)
        return f"{value:>{width}.3f}" if value is not None else f"{'-':>{width}}"

    for name, by in results.items():
        g, b = by.get("greedy", {}), by.get(f"beam {args.beam} + model LM", {})
        print(
            f"{name:<34} {g['utterances']:>5} {g['words']:>6}  {cell(g, 'wer', 10)} ({cell(g, 'wer_se', 5)}) "
            f"{cell(g, 'cer', 6)}  {cell(b, 'wer', 9)} ({cell(b, 'wer_se', 5)}) {cell(b, 'cer', 6)}"
        )


if __name__ == "__main__":
    main()
