"""``bio scan``: binding sites on both strands of a genome (PWM, model or both), the hits printed or
written, a summary line or ``--json``, a chart with ``--plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import DownloadColumn, TransferSpeedColumn

from carrousel.bio.cli._common import (
    ConfigFile,
    DeviceOpt,
    JasparRelease,
    ModelDir,
    MotifSpecs,
    arithmetic,
    counted_bar,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, merged, with_flags
from carrousel.bio.config import (
    BackgroundKind,
    Calibration,
    HitFormat,
    Method,
    ModelCalls,
    ScanConfig,
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
from carrousel.core.export import InferencePrecision
from carrousel.core.option_names import option
from carrousel.core.output_stage import staged_outputs

__all__ = ["scan"]


_SCAN_FLAGS = {
    **{p: p for p in ["method", "model", "pvalue", "qvalue", "exact_qvalues", "background", "device"]},
    **{p: p for p in ["model_qvalue", "model_pvalue", "model_background", "precision"]},
    "model_calls": "calls",
    "model_null": "calibration",
    "motif": "motifs",
    "jaspar_release": "jaspar_release",
    "order": "background_order",
    "mask_lower": "mask_lower",
}


# the model scan's options (CLI parameter -> ScanConfig field): a PWM scan never reads them
_MODEL_ONLY = {
    "model_null": "calibration",
    "model_calls": "calls",
    "model_qvalue": "model_qvalue",
    "model_pvalue": "model_pvalue",
    "device": "device",  # where the network runs: a PWM scan runs none
    "precision": "precision",
}


def _refuse_model_only(settings: cli.Merged, error: type[Exception]) -> None:
    """``bio scan``'s refusal of a model scan's option in a PWM scan, which would ignore it without a word, on
    the flags and the ``--config`` file's settings merged (core's ``refuse_merged``): their defaults are
    values, so only one typed on the command line or set by the file counts. The method is the merged
    settings' own, else the command's default (:func:`_scan_method`: pwm with motifs, else the model)."""
    method = settings["method"] or (Method.pwm if settings["motifs"] else Method.model)
    if Method(method) is not Method.pwm:
        return
    # the command line's own first (a usage error), then the file's
    typed_first = sorted(_MODEL_ONLY.items(), key=lambda item: item[1] not in settings.typed)
    for param, name in typed_first:
        if not settings.given(name):
            continue
        value = settings[name]
        shown = getattr(value, "value", f"{value:g}" if isinstance(value, float) else value)
        raise error(
            f"{option(param, shown)} is not used by a PWM scan (it is the model scan's); drop it, or use "
            "--method model or both"
        )


def _scan_method(cfg: ScanConfig) -> Method:
    """scan's default method: pwm with motifs (from the flags or the file), else the model."""
    return Method.pwm if cfg.motifs else Method.model


def _calls(cfg: ScanConfig) -> str:
    """How a scan calls its hits, for the chart's title."""
    pwm = f"PWM p <= {cfg.pvalue:g}" + (f", q <= {cfg.qvalue:g}" if cfg.qvalue is not None else "")
    model = f"model q <= {cfg.model_qvalue:g}"
    return {Method.pwm: pwm, Method.model: model}.get(cfg.method, f"{pwm}; {model}")


def scan(
    ctx: typer.Context,
    genome: Annotated[
        Path, typer.Argument(help="FASTA, FASTA.gz or UCSC .2bit to scan (any number of records).")
    ],
    motif: MotifSpecs = None,
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    method: Annotated[
        Method | None,
        typer.Option(
            "--method",
            help="Default: the --config file's, else pwm with motifs (--motif or the file's), else model.",
        ),
    ] = None,
    model: ModelDir = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write hits here (format from the extension: .bed, .gff3, .tsv, .json, .gz; '-': stdout).",
        ),
    ] = None,
    fmt: Annotated[
        HitFormat | None, typer.Option("--format", "-f", help="Hit format (default from --out, else bed).")
    ] = None,
    pvalue: Annotated[
        float,
        typer.Option("--pvalue", max=1.0, help="PWM: report sites with exact p-value at most this."),
        Above(0.0),
    ] = 1e-4,
    qvalue: Annotated[
        float | None,
        typer.Option("--qvalue", max=1.0, help="PWM: also require BH q-value at most this."),
        Above(0.0),
    ] = None,
    exact_qvalues: Annotated[
        bool,
        typer.Option(
            "--exact-qvalues",
            help="PWM: histogram every window's score so every q-value is exact BH (about 2x slower; "
            "by default q-values above the p threshold's p-value are conservative upper bounds).",
        ),
    ] = False,
    model_qvalue: Annotated[
        float,
        typer.Option("--model-qvalue", max=1.0, help="Model: BH q-value threshold on windows."),
        Above(0.0),
    ] = 0.05,
    model_pvalue: Annotated[
        float,
        typer.Option(
            "--model-pvalue",
            max=1.0,
            help="Model: candidate windows (model or best-PWM-site p-value at most this) kept for BH.",
        ),
        Above(0.0),
    ] = 0.05,
    model_null: Annotated[
        Calibration,
        typer.Option(
            "--model-null",
            help="Model: null of the p-values. auto: a peak set against the model's held-out real "
            "background, a genome against its own shuffles; genome; model (stored shuffles); background.",
        ),
    ] = Calibration.auto,
    model_background: Annotated[
        Path | None,
        typer.Option(
            "--model-background",
            help="Model: FASTA of background regions; the model's scores on its windows are the null.",
        ),
    ] = None,
    model_calls: Annotated[
        ModelCalls,
        typer.Option(
            "--model-calls",
            help="Model: how windows are called. auto: a peak set at the PWM's per-window false-positive "
            "rate (joint model/PWM cut set on the null windows), a genome by BH; fdr; pwm-rate.",
        ),
    ] = ModelCalls.auto,
    background: Annotated[
        BackgroundKind,
        typer.Option(
            "--background",
            help="PWM background for scores and p-values: uniform (as FIMO) or the input's composition.",
        ),
    ] = BackgroundKind.uniform,
    order: Annotated[
        int, typer.Option("--background-order", min=0, max=1, help="Markov order of the background.")
    ] = 0,
    mask_lower: Annotated[
        bool,
        typer.Option(
            "--mask-lower",
            help="Skip soft-masked (lower-case) bases, as HOMER's -mask: they read as N, so no score uses "
            "one: a PWM site or a model window touching one (or an N) is not tested, and no method reports "
            "a site touching one (--background input and the model's nulls leave them out).",
        ),
    ] = False,
    device: DeviceOpt = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    config: ConfigFile = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary on stdout (hits go to --out).")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar over bases (stderr).")
    ] = True,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the hits per motif (top 30) and where the top 5 motifs' hits fall along "
            "the sequences (within each sequence for a set of more than 24).",
        ),
    ] = None,
) -> None:
    """Find transcription-factor binding sites on both strands of a genome."""
    from carrousel.bio import scan_plot
    from carrousel.bio.formats import iter_hits_text
    from carrousel.bio.scan_run import scan as run_scan  # pipeline.scan, without importing torch

    if table_on_stdout(out, plot, as_json, printed=True):
        out = None  # stdout: the hits are printed in place, as without --out (beside --json: usage error)
    png_to_stdout = check_plot_option(
        plot, as_json, scan_plot.PLOT_EXTRA, scan_plot.PLOT_PURPOSE, others={"--out": out}
    )
    # without --method, a --config file's method (else the default, _scan_method) is known only once the
    # file is read: until then "both", which refuses nothing that method would accept (--model beside -m)
    provisional = Method.both if config is not None else (Method.pwm if motif else Method.model)
    flags = ScanConfig(
        method=method or provisional,
        motifs=tuple(motif or ()),
        jaspar_release=jaspar_release,
        pvalue=pvalue,
        qvalue=qvalue,
        exact_qvalues=exact_qvalues,
        background=background,
        background_order=order,
        mask_lower=mask_lower,
        model=path_or_none(model),
        model_qvalue=model_qvalue,
        model_pvalue=model_pvalue,
        calibration=model_null,
        calls=model_calls,
        model_background=path_or_none(model_background),
        device=device,
        precision=precision,
    )
    doc = config_file(config)  # read once: the merge and the PWM scan's refusal both use it
    cfg = with_flags(ctx, doc, flags, _SCAN_FLAGS, {"method": _scan_method})
    checked = {f: getattr(flags, f) for f in ("motifs", *_MODEL_ONLY.values())} | {"method": method}
    # typed alone: exit 2; with the file: exit 1, named
    cli.refuse_merged(_refuse_model_only, merged(ctx, doc, checked, _SCAN_FLAGS, cfg))
    counts = (DownloadColumn(binary_units=False), TransferSpeedColumn())  # bases, bases/s
    bar = counted_bar(progress, "scanning", "scan", *counts)
    with staged_outputs(), bar as (set_total, advance):  # hits and chart: both or neither
        result = run_scan(cfg, genome, out=out, fmt=fmt, progress=advance, total=set_total)
        chart = scan_plot.scan_png(result, plot, genome.name, _calls(cfg)) if plot is not None else None
    if png_to_stdout or summary_hidden(out is not None and not as_json):  # -q: the --out file holds the hits
        return
    if as_json:
        summary = {**result.summary(), "plots": plots_written(chart)}  # the key of every --plot
        if out is not None:
            summary["out"] = str(out)
        cli.emit_json(summary)
    elif out is None:
        for piece in iter_hits_text(result, fmt or HitFormat.bed):
            cli.echo(piece, nl=False)
    else:
        markov = f", order {result.background_order}" if result.background_order else ""
        how = [f"PWM background {result.background_kind}{markov}"] if result.method != "model" else []
        if result.model_null:
            how.append(f"model null: {result.model_null['source']}")
            how.append(f"model calls: {result.model_calls.get('rule', 'fdr')}")
        if result.precisions:
            how.append(arithmetic(result.precisions))
        cli.echo(f"{len(result.hits)} hits in {result.bases:,} bases -> {out} ({'; '.join(how)})")
        if plot is not None:  # beside the hits' line; never among hits printed on stdout
            cli.echo(f"scan chart written to {plot}")
