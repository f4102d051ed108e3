"""``speech export``: a model with its acoustic network as ONNX (fp32/int8), optionally pruned and fine-tuned
or distilled first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.core import cli
from carrousel.core.cli_values import OutputFolder
from carrousel.core.export import DeployPrecision, Exporter
from carrousel.speech.cli._common import Json, Model
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.config_checks import check_train_data

__all__ = ["export"]


def export(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the exported model to write."), OutputFolder()
    ],
    model: Model = None,
    precision: cli.ExportPrecision = DeployPrecision.INT8,
    exporter: cli.ExportWith = Exporter.TORCHSCRIPT,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Transcribed corpus (as for evaluate): greedy WER/CER before and after."),
    ] = None,
    prune: cli.PruneShare = 0.0,
    finetune_epochs: cli.FinetuneEpochs = 5,
    train_data: Annotated[
        list[str] | None,
        typer.Option(
            "--train-data",
            help="--prune/--distill: corpus to fine-tune or train the student on (default: the model's "
            "recorded one).",
        ),
    ] = None,
    static_conv: Annotated[
        bool,
        typer.Option(
            "--static-conv",
            help="int8: the convolutions static int8 too, calibrated on training features (the recorded "
            "corpora, else synthesised speech): faster at batch 64, may cost a word of WER (README).",
        ),
    ] = False,
    distill: cli.DistillHidden = 0,
    as_json: Json = False,
) -> None:
    """Model with its acoustic network as ONNX (fp32/int8), optionally pruned and fine-tuned or distilled
    into a student with fewer LSTM units first; prints size, latency and WER before and after."""
    from carrousel.speech.deploy import export_recognizer

    check_train_data(tuple(train_data or ()), prune, distill, typer.BadParameter)  # usage: exit 2
    cli.refuse_idle_finetune(ctx, prune, distill)
    if static_conv and precision is not DeployPrecision.INT8:
        raise typer.BadParameter("--static-conv is for --precision int8")
    cfg = SpeechExportConfig(
        str(model) if model else None,
        tuple(data or ()),
        precision.value,
        exporter.value,
        prune,
        finetune_epochs,
        tuple(train_data or ()),
        static_conv,
        distill,
    )
    report = export_recognizer(cfg, out)
    if as_json:
        cli.emit_json(report.summary())
        return
    cer = report.extra.get("cer_before")
    more = [] if cer is None else [f"CER {cer:.4f} -> {report.extra['cer_after']:.4f}"]
    cli.print_deployment(report.summary(), *more)  # -q: nothing (the folder's report.json holds it)
