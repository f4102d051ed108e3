"""``speech transcribe``: recordings transcribed into words, with timestamps and confidences."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from carrousel.core import cli
from carrousel.core.export import InferencePrecision
from carrousel.core.text import name_some
from carrousel.speech.cli._common import (
    Beam,
    Device,
    HotWeight,
    Hotword,
    Json,
    Lm,
    LmWeight,
    MaxSeconds,
    Model,
    ModelLm,
    Threads,
    Trim,
    WordBonus,
    decode_config,
)
from carrousel.speech.config import DecodeConfig, TranscribeConfig
from carrousel.speech.errors import AudioError

if TYPE_CHECKING:
    from carrousel.speech.transcripts import Transcript

__all__ = ["transcribe"]


def _render(t: Transcript, many: bool, timestamps: bool) -> None:
    cli.echo(f"{t.path}\t{t.text}" if many else t.text)
    if timestamps:
        for w in t.words:
            cli.echo(f"  {w.start:8.2f} {w.end:8.2f}  {w.confidence:.2f}  {w.word}")
    for i, alt in enumerate(t.alternatives[1:], 2):
        cli.echo(f"  #{i} ({alt.score:.2f}) {alt.text}")


def transcribe(
    files: Annotated[
        list[Path], typer.Argument(help="Recordings (WAV, FLAC, OGG...; any rate and channels).")
    ],
    model: Model = None,
    beam: Beam = 1,
    nbest: Annotated[
        int,
        typer.Option(
            "--nbest",
            min=1,
            max=DecodeConfig.MAX_BEAM,
            help="Alternatives with distinct texts (the beam is raised to N).",
        ),
    ] = 1,
    lm: Lm = None,
    model_lm: ModelLm = True,
    lm_weight: LmWeight = 0.5,
    word_bonus: WordBonus = 1.0,
    hotword: Hotword = None,
    hotword_weight: HotWeight = 3.0,
    timestamps: Annotated[bool, typer.Option("--timestamps", help="Word start, end and confidence.")] = False,
    chunk_seconds: Annotated[
        float,
        typer.Option(
            "--chunk-seconds",
            min=TranscribeConfig.MIN_CHUNK_SECONDS,
            max=TranscribeConfig.MAX_CHUNK_SECONDS,
            help="Chunk.",
        ),
    ] = 30.0,
    max_seconds: MaxSeconds = 4 * 3600.0,
    trim: Trim = True,
    device: Device = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    threads: Threads = None,
    as_json: Json = False,
) -> None:
    """Transcribe recordings: words, with timestamps and confidences."""
    from carrousel.speech import pipeline

    cfg = TranscribeConfig(
        model=str(model) if model else None,
        decode=decode_config(
            max(beam, nbest), nbest, lm, model_lm, lm_weight, word_bonus, hotword, hotword_weight
        ),
        chunk_seconds=chunk_seconds,
        max_seconds=max_seconds,
        trim=trim,
        device=device,
        threads=threads,
        precision=precision.value,
    )
    many = len(files) > 1  # a batch: a bad file is a warning, the others are transcribed, exit 1 at the end
    results = pipeline.transcribe(cfg, [str(f) for f in files], cli.progress, skip_errors=many)
    if as_json:
        # an object, as every --json (until 2026-12 a bare list): the entries under "transcripts"
        doc = [_transcript_json(t, timestamps) for t in results]
        cli.emit_json({"transcripts": doc, "failed": sum(t.error is not None for t in results)})
    else:
        for t in results:
            if t.error is None:
                _render(t, many, timestamps)
    failed = [t for t in results if t.error is not None]
    for t in failed:  # one line per bad file, even under --quiet (a failure, not a log)
        cli.stderr.print(f"warning: {t.error} (skipped)", markup=False, highlight=False)
    if failed:
        named = name_some([t.path for t in failed], 3)
        rest = "the others were transcribed" if len(failed) < len(results) else "none was transcribed"
        raise AudioError(
            f"{len(failed)} of {len(results)} files could not be transcribed ({named}); "
            f"the warnings above say why, {rest}"
        )


def _transcript_json(t: Transcript, timestamps: bool) -> dict[str, Any]:
    if t.error is not None:
        return {"path": t.path, "error": t.error}
    seconds = round(t.seconds, 3)  # milliseconds, as the word times and other JSON durations
    doc: dict[str, Any] = {"path": t.path, "text": t.text, "seconds": seconds, "confidence": t.confidence}
    doc |= {"trained_precision": t.trained_precision, "precision": t.precision}
    if timestamps:
        doc["words"] = t.words
    if t.alternatives:
        # 4 decimals, as the confidences (and nlp's JSON scores); until 2026-12 unrounded
        doc["nbest"] = [{"text": a.text, "score": round(a.score, 4)} for a in t.alternatives]
    return doc
