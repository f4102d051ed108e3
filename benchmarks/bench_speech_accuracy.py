"""Accuracy of the shipped English recogniser: WER and CER, greedy vs beam search, synthetic and real.

Test sets, none of them seen in training:

* ``synthetic held-out``: ``speech synth-corpus --heldout -n 400 --seed 2`` (voices never used for
  training: one espeak-ng accent, 8 voice variants, flite's rms; with the corpus's channels and noise),
  synthesised into a temporary folder, also scored by utterance kind and telephone / wideband channel;
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

Usage: ``python benchmarks/bench_speech_accuracy.py [--model DIR] [--beam 8] [--threads 1] [--json]
[--heldout-data MANIFEST] [--sets tidigits,klettres_en,...] [--telephone]`` (``--heldout-data``: an
existing held-out corpus instead of synthesising one; ``--sets``: only these sets, ``synthetic`` naming
the held-out one).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path

import torch

from carrousel.speech.config import DecodeConfig, EvaluateConfig, SynthConfig, TranscribeConfig
from carrousel.speech.pipeline import evaluate, synth_corpus
from carrousel.speech.samples import GROUPS


def _subsets(manifest: Path, tmp: Path) -> dict[str, str]:
    """Manifests of the held-out corpus's utterance kinds and of its telephone / wideband parts."""
    with open(manifest, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "kind" not in rows[0] or "effects" not in rows[0]:
        return {}
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        row = row | {"path": str((manifest.parent / row["path"]).resolve())}
        groups.setdefault(f"- {row['kind']}", []).append(row)
        phone = "telephone" in row["effects"].split("+")
        groups.setdefault("- telephone 8 kHz" if phone else "- wideband", []).append(row)
    out = {}
    for name, members in sorted(groups.items()):
        path = tmp / f"{name[2:].replace(' ', '_')}.tsv"
        lines = ["path\ttranscript"] + [f"{r['path']}\t{r['transcript']}" for r in members]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out[name] = str(path)
    return out


def _telephone_sets(groups: list[str], tmp: Path) -> dict[str, str]:
    """Manifests of the real sets' audio files through the telephone channel, as 8 kHz WAV."""
    import numpy as np
    import soundfile as sf

    from carrousel.speech.audio import read_audio, resample
    from carrousel.speech.augment import telephone
    from carrousel.speech.samples import sample_recordings

    out: dict[str, str] = {}
    for group in groups:
        try:
            items = [(p, t) for p, t in sample_recordings(group) if p.suffix.lower() != ".mfc"]
        except Exception as exc:  # not cached
            print(f"skipped {group} (telephone): {exc}")
            continue
        folder = tmp / f"phone_{group}"
        folder.mkdir()
        rows = ["path\ttranscript"]
        for i, (path, text) in enumerate(items):
            audio = read_audio(path, 16000)
            line = telephone(audio, 16000, np.random.default_rng(i))
            sf.write(str(folder / f"{i:03d}.wav"), resample(line, 16000, 8000), 8000, subtype="PCM_16")
            rows.append(f"{i:03d}.wav\t{text}")
        (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        out[f"{group} (telephone 8 kHz)"] = str(folder / "manifest.tsv")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--beam", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--utterances", type=int, default=400, help="synthetic held-out utterances")
    parser.add_argument("--heldout-data", default=None, help="held-out corpus manifest (default: synthesise)")
    parser.add_argument("--sets", default=None, help="comma-separated sets to run (synthetic, sample groups)")
    parser.add_argument(
        "--telephone", action="store_true", help="also the real sets through a telephone line"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        wanted = set(args.sets.split(",")) if args.sets else {"synthetic", *GROUPS}
        sets = {g: f"sample:{g}" for g in GROUPS if g in wanted}
        if "synthetic" in wanted:
            held = args.heldout_data
            if held is None:
                corpus = Path(tmp) / "heldout"
                synth_corpus(SynthConfig(out=str(corpus), utterances=args.utterances, heldout=True, seed=2))
                held = str(corpus / "manifest.tsv")
            sets = {"synthetic held-out": held} | _subsets(Path(held), Path(tmp)) | sets
        if args.telephone:
            sets |= _telephone_sets([g for g in GROUPS if g in wanted], Path(tmp))
        for name, spec in sets.items():
            for label, decode in (
                ("greedy", DecodeConfig()),
                (f"beam {args.beam} + model LM", DecodeConfig(beam=args.beam)),
            ):
                try:
                    r = evaluate(
                        EvaluateConfig(
                            data=(spec,), transcribe=TranscribeConfig(model=args.model, decode=decode)
                        )
                    )
                except Exception as exc:  # a group not cached: say so and go on
                    print(f"skipped {name}: {exc}")
                    break
                results.setdefault(name, {})[label] = {
                    "utterances": r.utterances,
                    "words": r.totals.words,
                    "wer": r.totals.wer,
                    "cer": r.totals.cer,
                    "rtf": r.real_time_factor,
                }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{'test set':<34} {'utts':>5} {'words':>6}  {'greedy WER':>10} {'CER':>6}  {'beam WER':>9} {'CER':>6}"
    )
    for name, by in results.items():
        g, b = by.get("greedy", {}), by.get(f"beam {args.beam} + model LM", {})
        print(
            f"{name:<34} {g['utterances']:>5} {g['words']:>6}  {g['wer']:>10.3f} {g['cer']:>6.3f}  "
            f"{b.get('wer', float('nan')):>9.3f} {b.get('cer', float('nan')):>6.3f}"
        )


if __name__ == "__main__":
    main()
