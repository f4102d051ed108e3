"""``bio discover``: a model's filters as motifs, matched to JASPAR, with logos and a report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from carrousel.bio.cli._common import (
    AsJson,
    ConfigFile,
    JasparRelease,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, with_flags
from carrousel.bio.config import (
    DiscoverConfig,
    ReportFormat,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core import cli
from carrousel.core.cli_outputs import summary_hidden
from carrousel.core.cli_values import OutputFolder

__all__ = ["discover"]


_DISCOVER_FLAGS = {
    p: p
    for p in ["sequences", "control", "model", "collection", "report", "epochs", "seed", "jaspar_release"]
}


def discover(
    ctx: typer.Context,
    sequences: Annotated[
        Path | None,
        typer.Argument(help="Positive FASTA: the windows read (and, without --model, trained on)."),
    ] = None,
    control: Annotated[
        Path | None, typer.Option("--control", help="Negative FASTA (default: shuffled positives).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model folder to extract motifs from.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (written as a whole)."), OutputFolder()
    ] = Path("discover_out"),
    collection: Annotated[
        str, typer.Option("--jaspar", help="JASPAR set (or motif specs) to match against.")
    ] = "jaspar:CORE/vertebrates",
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    report: Annotated[ReportFormat, typer.Option("--report", help="Report format.")] = ReportFormat.md,
    epochs: Annotated[
        int | None,
        cli.epochs_option(
            f"Training epochs (with SEQUENCES, not --model) [default: {DiscoverConfig.DEFAULT_EPOCHS}]."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    config: ConfigFile = None,
    as_json: AsJson = False,
) -> None:
    """Turn a model's filters into motifs (MEME/JASPAR), match them to JASPAR, draw logos, write a report."""
    from carrousel.bio import pipeline
    from carrousel.bio.discover import trained_figures

    flags = DiscoverConfig(
        model=path_or_none(model),
        sequences=path_or_none(sequences),
        control=path_or_none(control),
        collection=collection,
        jaspar_release=jaspar_release,
        report=report,
        epochs=epochs,
        seed=seed,
    )
    cfg = with_flags(ctx, config_file(config), flags, _DISCOVER_FLAGS)
    # a model, or sequences to train one on: from the flags or the --config file, which cannot unset one, so
    # a refusal is always the command line's (exit 2), before any work
    if cfg.model is None and cfg.sequences is None:
        raise typer.BadParameter("give a model (--model) or sequences to train on (SEQUENCES --control)")
    found = pipeline.discover(cfg, out, progress=cli.bars_on())
    if as_json:
        cli.emit_json(found.summary())
        return
    if summary_hidden(True):  # -q: the --out folder (report, motifs, logos) holds the table
        return
    heads = ("rank", "motif", "consensus", "sites", "contribution", "best JASPAR match")
    n = len(found.motifs)
    top = f"top 10 of {n}" if n > 10 else f"all {n}"  # never "top 10 of 8"
    trained = f"; model trained here: {trained_figures(found.trained)}" if found.trained else ""
    table = Table(*heads, title=f"motifs by contribution to {found.task} ({top}){trained}")
    for row in found.rows(matches=1)[:10]:
        table.add_row(*row)
    cli.stdout.print(table)
    cli.echo(f"{len(found.motifs)} motifs -> {found.files.get('report', out)}")
