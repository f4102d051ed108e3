"""``speech evaluate``: WER and CER of a model on transcribed recordings, with per-utterance errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.core import cli
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.core.export import InferencePrecision
from carrousel.core.provenance import precision_words
from carrousel.core.text import counted
from carrousel.speech.cli._common import (
    Beam,
    Data,
    Device,
    HotWeight,
    Hotword,
    Json,
    Lm,
    LmWeight,
    Model,
    ModelLm,
    Threads,
    Trim,
    WordBonus,
    decode_config,
)
from carrousel.speech.config import EvaluateConfig, TranscribeConfig

__all__ = ["evaluate"]


def evaluate(
    data: Data,
    model: Model = None,
    beam: Beam = 1,
    lm: Lm = None,
    model_lm: ModelLm = True,
    lm_weight: LmWeight = 0.5,
    word_bonus: WordBonus = 1.0,
    hotword: Hotword = None,
    hotword_weight: HotWeight = 3.0,
    max_utterances: Annotated[int | None, typer.Option("--max-utterances", min=1, help="Subset.")] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Utterances with errors to list.")] = 20,
    trim: Trim = True,
    device: Device = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    threads: Threads = None,
    as_json: Json = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the per-utterance WER/CER (histogram, against length).",
        ),
    ] = None,
) -> None:
    """Measure WER and CER of a model on transcribed recordings (jiwer), with per-utterance errors."""
    from carrousel.speech import pipeline, plots

    to_stdout = check_plot_option(plot, as_json, plots.PLOT_EXTRA, plots.PLOT_PURPOSE)
    cfg = EvaluateConfig(
        data=tuple(data),
        transcribe=TranscribeConfig(
            model=str(model) if model else None,
            decode=decode_config(beam, 1, lm, model_lm, lm_weight, word_bonus, hotword, hotword_weight),
            trim=trim,
            device=device,
            threads=threads,
            precision=precision.value,
        ),
        max_utterances=max_utterances,
    )
    result = pipeline.evaluate(cfg, cli.progress)
    chart = plots.evaluation_png(result, plot) if plot is not None else None
    if as_json or to_stdout:
        if as_json:  # "plots": the chart written, the key of every command with --plot
            cli.emit_json({**cli.to_jsonable(result), "plots": plots_written(chart)})
        return
    tot = result.totals
    cli.echo(
        f"{counted(result.utterances, 'utterance')}, {counted(tot.words, 'word')} ({result.decoding}): "
        f"WER {tot.wer:.3f}  "
        f"CER {tot.cer:.3f}  sentence errors {tot.sentence_error_rate:.3f}  "
        f"(S {tot.substitutions} D {tot.deletions} I {tot.insertions}; RTF {result.real_time_factor:.3f}; "
        f"model {precision_words(result.trained_precision, result.precision)})"
    )
    if tot.no_speech:
        cli.echo(f"without speech: {tot.no_speech_empty} of {tot.no_speech} transcribed as nothing")
    wrong = [s for s in result.per_utterance if s.wer > 0 or s.cer > 0][:show]
    for s in wrong:
        cli.echo(f"  WER {s.wer:.2f}  {s.path}\n      ref: {s.reference}\n      hyp: {s.hypothesis}")
    if plot is not None:
        cli.echo(f"error chart written to {plot}")
