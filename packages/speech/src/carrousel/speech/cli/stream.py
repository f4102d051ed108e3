"""``speech stream``: a recording transcribed as a live stream, with partial results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.core import cli
from carrousel.speech.cli._common import Device, Json, MaxSeconds, Threads
from carrousel.speech.config import StreamConfig

__all__ = ["stream"]


def stream(
    file: Annotated[Path, typer.Argument(help="A recording, fed in chunks as if live.")],
    model: Annotated[
        Path | None, typer.Option("--model", help="Unidirectional model folder (default: the shipped one).")
    ] = None,
    chunk_ms: Annotated[
        float,
        typer.Option(
            "--chunk-ms", min=StreamConfig.MIN_CHUNK_MS, max=StreamConfig.MAX_CHUNK_MS, help="Chunk (ms)."
        ),
    ] = 320.0,
    max_seconds: MaxSeconds = 4 * 3600.0,
    device: Device = "cpu",
    threads: Threads = None,
    as_json: Json = False,
) -> None:
    """Transcribe a recording as a live stream (unidirectional model, carried state), with partial results."""
    from carrousel.speech import pipeline

    cfg = StreamConfig(str(model) if model else None, chunk_ms, device, max_seconds, threads=threads)
    updates = []
    # --json: a bar over the seconds of audio (stderr, a terminal only); else the partial lines are the progress
    for p in pipeline.stream(cfg, str(file), cli.progress if as_json else None):
        if as_json:
            updates.append(p)
        elif p.final:
            cli.echo(p.text)
        elif not cli.is_quiet():  # stderr: the current segment (bounded), a closed one once, unmarked
            mark = "" if p.segment_end else "[dim]…[/dim] "
            cli.stderr.print(f"[dim]{p.time:7.2f}s[/dim] {mark}{p.text}", highlight=False)
    if as_json:
        cli.emit_json(
            {"partials": [u for u in updates if not u.final], "final": updates[-1] if updates else None}
        )
