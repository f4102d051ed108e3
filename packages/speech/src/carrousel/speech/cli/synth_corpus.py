"""``speech synth-corpus``: a transcribed corpus synthesised with espeak-ng and flite."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from carrousel.core import cli
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import OutputFolder
from carrousel.core.text import counted
from carrousel.speech.cli._common import Json
from carrousel.speech.config import MAX_WORKERS, SynthConfig
from carrousel.speech.vocab import KINDS

__all__ = ["Engine", "Kind", "synth_corpus"]


class Kind(enum.StrEnum):
    """Utterance kinds of a synthetic corpus."""

    digits = "digits"
    numbers = "numbers"
    letters = "letters"
    commands = "commands"


class Engine(enum.StrEnum):
    """Speech synthesisers."""

    espeak = "espeak-ng"
    flite = "flite"


def synth_corpus(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Corpus folder to write (manifest.tsv + wav/)."),
        OutputFolder(),
    ],
    utterances: Annotated[
        int, typer.Option("--utterances", "-n", min=1, max=SynthConfig.MAX_UTTERANCES, help="Utterances.")
    ] = 2000,
    kind: Annotated[
        list[Kind] | None, typer.Option("--kind", help="Utterance kinds (repeatable; all).")
    ] = None,
    engine: Annotated[
        list[Engine] | None, typer.Option("--engine", help="Synthesisers (repeatable).")
    ] = None,
    heldout: Annotated[bool, typer.Option("--heldout", help="Only voices never used for training.")] = False,
    clean: Annotated[
        float, typer.Option("--clean-fraction", min=0.0, max=1.0, help="Share without effects.")
    ] = 0.2,
    noise_share: Annotated[
        float,
        typer.Option(
            "--noise-share",
            min=0.0,
            max=1.0,
            help="Share without speech (noise, near-silence; empty transcript).",
        ),
    ] = 0.0,
    lone_share: Annotated[
        float,
        typer.Option(
            "--lone-share",
            min=0.0,
            max=1.0,
            help="Share of digit strings and numbers said as 1-2 number words ('two', 'twenty one').",
        ),
    ] = 0.0,
    clip_share: Annotated[
        float,
        typer.Option(
            "--clip-share",
            min=0.0,
            max=1.0,
            help="Share of speech starting on its first sound, no silence before (and, drawn apart, "
            "ending on its last).",
        ),
    ] = 0.0,
    pause_share: Annotated[
        float,
        typer.Option(
            "--pause-share",
            min=0.0,
            max=1.0,
            help="Share of speech said as 2-4 groups of words joined by 0.3-1.0 s pauses of silence.",
        ),
    ] = 0.0,
    pause_groups: Annotated[
        int,
        typer.Option(
            "--pause-groups",
            min=2,
            max=4,
            help="Most groups of a sentence with pauses (2: every one 2 groups, nearer the others' length).",
        ),
    ] = 4,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same corpus.")] = 0,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=MAX_WORKERS, help="Parallel synthesisers.")
    ] = 2,
    as_json: Json = False,
) -> None:
    """Synthesise a transcribed corpus (espeak-ng, flite; voices, rates, rooms, noise, telephone band)."""
    from carrousel.speech import pipeline

    cfg = SynthConfig(
        out=str(out),
        utterances=utterances,
        vocabulary=tuple(k.value for k in kind) if kind else KINDS,
        engines=tuple(e.value for e in engine) if engine else ("espeak-ng", "flite"),
        heldout=heldout,
        clean_fraction=clean,
        noise_share=noise_share,
        lone_share=lone_share,
        clip_share=clip_share,
        pause_share=pause_share,
        pause_groups=pause_groups,
        seed=seed,
        workers=workers,
    )
    result = pipeline.synth_corpus(cfg, cli.progress)
    if as_json:
        cli.emit_json(result)
    elif not summary_hidden(True):  # -q: manifest.tsv holds it (a row per utterance: seconds, speaker)
        cli.echo(
            f"{counted(result.utterances, 'utterance')}, {result.seconds / 60:.1f} min of audio, "
            f"{counted(result.voices, 'voice')} "
            f"({', '.join(result.engines)}) -> {result.manifest}"
        )
