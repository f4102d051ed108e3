"""``bio train``: a DanQ-style CNN-BiLSTM trained on planted motifs, FASTA files or peaks on a genome."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from carrousel.bio.cli._common import (
    AsJson,
    ConfigFile,
    DeviceOpt,
    JasparRelease,
    MotifSpecs,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, train_block, train_settings
from carrousel.bio.config import (
    MAX_BATCH,
    MAX_FILTERS,
    MAX_HIDDEN,
    MAX_KERNEL,
    MAX_NEGATIVES,
    MAX_PER_MOTIF,
    MAX_WINDOW,
    FitConfig,
    NetworkConfig,
    TrainConfig,
    TrainDataConfig,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core import cli
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import OutputFolder
from carrousel.core.config import MAX_EPOCHS
from carrousel.core.export import InferencePrecision

__all__ = ["train"]


_TRAIN_FLAGS = (
    {p: f"data.{p}" for p in ["positives", "negatives", "peaks", "genome", "window", "per_motif"]}
    | {p: f"network.{p}" for p in ["filters", "kernel", "hidden"]}
    | {p: f"fit.{p}" for p in ["epochs", "patience", "lr", "batch_size", "seed", "device"]}
    | {p: f"fit.{p}" for p in ["shuffled_negatives", "precision"]}
    | {"motif": "data.motifs", "negatives_n": "data.n_negatives", "jaspar_release": "data.jaspar_release"}
)


def train(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write."), OutputFolder()],
    motif: MotifSpecs = None,
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    positives: Annotated[
        Path | None, typer.Option("--positives", help="FASTA of positive sequences.")
    ] = None,
    negatives: Annotated[
        Path | None,
        typer.Option(
            "--negatives",
            help="FASTA of negatives (default: GC-matched --genome windows, else shuffled positives).",
        ),
    ] = None,
    peaks: Annotated[
        Path | None, typer.Option("--peaks", help="BED/narrowPeak of positive regions (on --genome).")
    ] = None,
    genome: Annotated[
        Path | None,
        typer.Option("--genome", help="Genome FASTA or .2bit: background (default: E. coli sample)."),
    ] = None,
    window: Annotated[int, typer.Option("--window", min=1, max=MAX_WINDOW, help="Window in bases.")] = 200,
    per_motif: Annotated[
        int,
        typer.Option("--per-motif", min=1, max=MAX_PER_MOTIF, help="Planted: positive windows per motif."),
    ] = 400,
    negatives_n: Annotated[
        int,
        typer.Option(
            "--n-negatives", min=0, max=MAX_NEGATIVES, help="Planted: negatives of each kind (0: auto)."
        ),
    ] = 0,
    epochs: Annotated[int, cli.epochs_option("Most training epochs (early stopping ends sooner).")] = 40,
    patience: Annotated[
        int,
        typer.Option(
            "--patience",
            min=0,
            max=MAX_EPOCHS,
            help="Stop after this many epochs without a held-out AUROC gain of 0.001, keeping the best (0: off).",
        ),
    ] = 5,
    shuffled_negatives: Annotated[
        bool,
        typer.Option(
            "--shuffled-negatives",
            help="With real negatives, also train on dinucleotide-shuffled positives as negatives.",
        ),
    ] = False,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate.")] = 2e-3,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=MAX_BATCH, help="Windows per batch.")
    ] = 128,
    filters: Annotated[
        int, typer.Option("--filters", min=1, max=MAX_FILTERS, help="Convolutional motif detectors.")
    ] = 64,
    kernel: Annotated[int, typer.Option("--kernel", min=1, max=MAX_KERNEL, help="Detector width.")] = 19,
    hidden: Annotated[
        int, typer.Option("--hidden", min=1, max=MAX_HIDDEN, help="LSTM units per direction.")
    ] = 32,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed (data and training).")] = 0,
    device: DeviceOpt = "cpu",
    precision: cli.TrainPrecision = InferencePrecision.FP32,
    config: ConfigFile = None,
    as_json: AsJson = False,
) -> None:
    """Train a DanQ-style CNN-BiLSTM: planted --motif, --positives/--negatives, or --peaks/--genome."""
    from carrousel.bio import pipeline

    flags = TrainConfig(
        data=TrainDataConfig(
            motifs=tuple(motif or ()),
            jaspar_release=jaspar_release,
            positives=path_or_none(positives),
            negatives=path_or_none(negatives),
            peaks=path_or_none(peaks),
            genome=path_or_none(genome),
            window=window,
            per_motif=per_motif,
            n_negatives=negatives_n,
        ),
        network=NetworkConfig(filters=filters, kernel=kernel, hidden=hidden),
        fit=FitConfig(
            epochs=epochs,
            patience=patience,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            device=device,
            shuffled_negatives=shuffled_negatives,
            precision=precision,
        ),
    )
    cfg = train_settings(ctx, doc := config_file(config, ("data", "jaspar_release")), flags, _TRAIN_FLAGS)
    argv = sys.argv[sys.argv.index("train") :] if "train" in sys.argv else ["train"]
    with train_block(ctx, doc):  # the arithmetic and settings (data files, lr) typed or the file's
        result = pipeline.train(cfg, out, command="bio " + " ".join(argv), progress=cli.bars_on())
    if as_json:
        cli.emit_json(result.summary())
    elif not summary_hidden(True):  # -q: bundle.json (data: val, windows, sources) and history.csv hold it
        shown = {k: f"{v:.3f}" if v is not None else "-" for k, v in result.val.items()}
        note = f" (negatives: {result.negatives})" if result.negatives[:1] not in ("-", "[") else ""
        cli.echo(
            f"trained {result.tasks} task(s) on {result.windows} windows, {result.epochs} epochs: held-out "
            f"AUROC {shown.get('auroc', '-')} AUPRC {shown.get('auprc', '-')} -> {out}{note}"
        )
