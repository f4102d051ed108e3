"""``finance export``: a forecaster as ONNX or TorchScript, optionally pruned or distilled first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.core.cli import (
    DistillHidden,
    ExportPrecision,
    ExportWith,
    FinetuneEpochs,
    PruneShare,
    command,
    emit_json,
    print_deployment,
    progress,
    refuse_idle_finetune,
)
from carrousel.core.cli_values import OutputFolder
from carrousel.core.export import DeployPrecision, Exporter
from carrousel.finance.cli._common import AsJson
from carrousel.finance.config import ExportConfig, Source
from carrousel.finance.export_config import MAX_EVAL_DAYS, MIN_EVAL_DAYS

__all__ = ["register"]


def export_(
    ctx: typer.Context,
    model_dir: Annotated[
        Path, typer.Option("--model-dir", help="Forecaster folder (or run folder) to export.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the exported forecaster to write."), OutputFolder()
    ],
    precision: ExportPrecision = DeployPrecision.INT8,
    exporter: ExportWith = Exporter.TORCHSCRIPT,
    source: Annotated[
        Source | None,
        typer.Option("--source", help="Prices of the scored stretch (default: the model's own)."),
    ] = None,
    eval_days: Annotated[
        int,
        typer.Option(
            "--eval-days",
            min=MIN_EVAL_DAYS,
            max=MAX_EVAL_DAYS,
            help="Forecast origins scored before and after.",
        ),
    ] = 250,
    prune: PruneShare = 0.0,
    finetune_epochs: FinetuneEpochs = 5,
    distill: DistillHidden = 0,
    as_json: AsJson = False,
) -> None:
    """Forecaster with its ensemble as ONNX (fp32/int8), optionally pruned and fine-tuned or distilled into a
    smaller student first; prints size, latency, pinball loss."""
    from carrousel.finance.pipeline import export_forecaster

    refuse_idle_finetune(ctx, prune, distill)
    cfg = ExportConfig(
        model_dir=str(model_dir),
        precision=precision,
        exporter=exporter,
        source=source.value if source is not None else None,
        eval_days=eval_days,
        prune=prune,
        finetune_epochs=finetune_epochs,
        distill=distill,
    )
    with progress("exporting and measuring"):
        report = export_forecaster(cfg, out)
    doc = report.summary()
    if as_json:
        emit_json(doc)
        return
    mae = f"MAE of the median: {doc['extra']['mae_before']:.6f} -> {doc['extra']['mae_after']:.6f}"
    print_deployment(doc, mae)  # -q: nothing (the folder's report.json holds it)


def register(app: typer.Typer) -> None:
    """Adds ``export`` to the ``finance`` app."""
    command(app, name="export", quiet_with="out")(export_)
