"""``bio enrich``: known-motif enrichment of targets against a background (as HOMER), as a table, TSV
or ``--json``, a chart with ``--plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import MofNCompleteColumn
from rich.table import Table

from carrousel.bio.cli._common import (
    ConfigFile,
    JasparRelease,
    MotifSpecs,
    counted_bar,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, with_flags
from carrousel.bio.config import (
    MAX_SHUFFLES,
    BackgroundKind,
    EnrichConfig,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core import cli
from carrousel.core.cli_outputs import (
    check_plot_option,
    plots_written,
    summary_hidden,
    table_on_stdout,
)
from carrousel.core.cli_values import Above
from carrousel.core.output_stage import staged_outputs

__all__ = ["enrich"]


_ENRICH_FLAGS = {
    **{p: p for p in ["targets", "background", "pvalue", "pwm_background", "shuffles", "seed", "mask_lower"]},
    "motif": "motifs",
    "jaspar_release": "jaspar_release",
}


def enrich(
    ctx: typer.Context,
    targets: Annotated[Path, typer.Argument(help="FASTA of target sequences (e.g. ChIP-seq peaks).")],
    background: Annotated[
        Path | None,
        typer.Option("--background", help="FASTA of background sequences (default: shuffled targets)."),
    ] = None,
    motif: MotifSpecs = None,
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    pvalue: Annotated[
        float,
        typer.Option("--pvalue", max=1.0, help="A sequence holds a hit where a PWM p-value is at most this."),
        Above(0.0),
    ] = 1e-4,
    pwm_background: Annotated[
        BackgroundKind,
        typer.Option("--pwm-background", help="PWM base composition: uniform, or the sequences' own."),
    ] = BackgroundKind.uniform,
    shuffles: Annotated[
        int,
        typer.Option(
            "--shuffles", min=1, max=MAX_SHUFFLES, help="Without --background: shuffles per target."
        ),
    ] = 2,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed of the shuffles.")] = 0,
    mask_lower: Annotated[
        bool,
        typer.Option(
            "--mask-lower",
            help="Skip soft-masked (lower-case) bases, as HOMER's -mask, in the targets and the background: "
            "they read as N (no hit touches one), and shuffles keep them in place.",
        ),
    ] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="Motifs shown in the table.")] = 25,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write every motif's line here (TSV; - for stdout).")
    ] = None,
    config: ConfigFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every motif as JSON on stdout.")] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar over motifs (stderr).")
    ] = True,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the table's top motifs (at most 40) as bars of -log10 p, BH q = 0.05 marked.",
        ),
    ] = None,
) -> None:
    """Known-motif enrichment (as HOMER): % of targets vs background with a PWM hit, fold, p-value."""
    from carrousel.bio import enrich_plot, pipeline

    # the TSV alone on stdout, as bio scan's hits (before: a file named '-', or TSV + table); beside --json:
    # a usage error
    to_stdout = table_on_stdout(out, plot, as_json)
    if to_stdout:
        out = None
    png_to_stdout = check_plot_option(
        plot, as_json, enrich_plot.PLOT_EXTRA, enrich_plot.PLOT_PURPOSE, others={"--out": out}
    )

    flags = EnrichConfig(
        targets=str(targets),
        background=path_or_none(background),
        motifs=tuple(motif or EnrichConfig().motifs),
        jaspar_release=jaspar_release,
        pvalue=pvalue,
        pwm_background=pwm_background,
        shuffles=shuffles,
        seed=seed,
        mask_lower=mask_lower,
    )
    cfg = with_flags(ctx, config_file(config), flags, _ENRICH_FLAGS)
    bar = counted_bar(progress, "motifs", "enrich", MofNCompleteColumn())  # motifs done of all
    with staged_outputs(), bar as (set_total, advance):  # table and chart: both or neither
        res = pipeline.enrich(cfg, out, progress=advance, total=set_total)
        chart = enrich_plot.enrichment_png(res, plot, top) if plot is not None else None
    if png_to_stdout or summary_hidden(out is not None and not as_json):  # -q: the --out TSV holds the table
        return
    if to_stdout:
        cli.echo(res.to_tsv(), nl=False)
        return
    if as_json:
        cli.emit_json({**res.summary(), "plots": plots_written(chart)})  # the key of every --plot
        return
    table = Table(
        title=f"Known motifs: {res.n_targets} targets vs {res.n_background} background sequences",
        caption=f"background: {res.background}; a hit: PWM p <= {res.pvalue:g} ({res.pwm_background} "
        f"base composition), either strand{'; lower case masked' if res.mask_lower else ''}; p: hypergeometric, "
        f"one-sided; q: BH over {len(res.rows)} motifs",
    )
    for c in ("#", "motif", "ID", "% tgt", "% bg", "fold", "log10 p", "q-value"):
        named = c in ("motif", "ID")  # a long name or ID (HOMER's) wraps, never loses its end
        table.add_column(
            c,
            justify="left" if named else "right",
            no_wrap=not named,
            min_width=len(c),
            overflow="fold" if named else "ellipsis",
        )
    for i, r in enumerate(res.rows[:top], 1):
        table.add_row(
            str(i),
            r.motif_name,
            r.motif_id,
            f"{r.target_percent:.1f}",
            f"{r.background_percent:.1f}",
            f"{r.fold:.2f}",
            f"{round(r.log10_pvalue, 1) or 0.0:.1f}",  # never -0.0
            f"{r.qvalue:.1e}",
        )
    cli.stdout.print(table)
    if out is not None:
        cli.echo(f"{len(res.rows)} motifs -> {out}")
    if plot is not None:
        cli.echo(f"enrichment chart written to {plot}")
