"""``bio export``: a model's network as ONNX or TorchScript, optionally pruned or distilled first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carrousel.bio.cli._common import (
    AsJson,
    ConfigFile,
    JasparRelease,
    ModelDir,
    MotifSpecs,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, config_of, merged
from carrousel.bio.config import (
    MAX_FILTERS,
    ExportConfig,
)
from carrousel.bio.config_checks import (
    refuse_unused_export_options,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core import cli
from carrousel.core.cli_values import OutputFolder
from carrousel.core.export import DeployPrecision, Exporter

__all__ = ["export_"]


_EXPORT_FLAGS = {
    **{p: p for p in ["model", "precision", "exporter", "positives", "negatives", "prune"]},
    **{p: p for p in ["finetune_epochs", "distill", "distill_filters", "train_positives", "train_negatives"]},
    "motif": "motifs",
    "jaspar_release": "jaspar_release",
}


def _refuse_unused_export(settings: cli.Merged, error: type[Exception]) -> None:
    """``bio export``'s checks across options, on the flags and the ``--config`` file's settings merged: a
    student or training-window option without the training that reads it, ``--finetune-epochs`` alone."""
    prune, distill = settings["prune"], settings["distill"]
    windows = bool(settings["train_positives"] or settings["train_negatives"])
    refuse_unused_export_options(prune, distill, settings["distill_filters"], windows, error)
    cli.check_idle_finetune(settings.given("finetune_epochs"), prune, distill, error)


def export_(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder of the exported model to write."), OutputFolder()
    ],
    model: ModelDir = None,
    precision: cli.ExportPrecision = DeployPrecision.INT8,
    exporter: cli.ExportWith = Exporter.TORCHSCRIPT,
    positives: Annotated[
        Path | None, typer.Option("--positives", help="FASTA of held-out positives: AUROC before and after.")
    ] = None,
    negatives: Annotated[
        Path | None, typer.Option("--negatives", help="FASTA of held-out negatives.")
    ] = None,
    motif: MotifSpecs = None,
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    prune: cli.PruneShare = 0.0,
    finetune_epochs: cli.FinetuneEpochs = 5,
    distill: cli.DistillHidden = 0,
    distill_filters: Annotated[
        int,
        typer.Option(
            "--distill-filters",
            min=0,
            max=MAX_FILTERS,
            help="--distill: the student's convolution filters, the strongest kept (0: all).",
        ),
    ] = 0,
    train_positives: Annotated[
        Path | None,
        typer.Option(
            "--train-positives",
            help="--prune: FASTA to fine-tune on (default: the model's recorded training data or planted motifs).",
        ),
    ] = None,
    train_negatives: Annotated[
        Path | None, typer.Option("--train-negatives", help="--prune: FASTA of negatives to fine-tune on.")
    ] = None,
    config: ConfigFile = None,
    as_json: AsJson = False,
) -> None:
    """Model with its network as ONNX (fp32/int8), optionally pruned and fine-tuned or distilled into a
    smaller student first; prints size, latency, AUROC."""
    from carrousel.bio import pipeline

    flags = {
        "model": path_or_none(model),
        "precision": precision,
        "exporter": exporter,
        "positives": path_or_none(positives),
        "negatives": path_or_none(negatives),
        "motifs": tuple(motif or ()),
        "jaspar_release": jaspar_release,
        "prune": prune,
        "finetune_epochs": finetune_epochs,
        "distill": distill,
        "distill_filters": distill_filters,
        "train_positives": path_or_none(train_positives),
        "train_negatives": path_or_none(train_negatives),
    }
    doc = config_file(config)
    settings = merged(ctx, doc, flags, _EXPORT_FLAGS, ExportConfig)
    cli.refuse_merged(_refuse_unused_export, settings)  # typed alone: exit 2; with the file: exit 1, named
    cfg = config_of(settings, ExportConfig)
    report = pipeline.export_model(cfg, out, progress=cli.bars_on())
    if as_json:
        cli.emit_json(report.summary())
        return
    cli.print_deployment(report.summary())
