"""The ``bio`` command line: flags -> config -> :mod:`carrousel.bio.pipeline` -> rendering.

Built on :mod:`carrousel.core.cli` (``-h``, ``--version``, ``-v``/``-q`` on every command, choices as
enums, results on stdout and logs/progress on stderr, strict JSON, exit codes 0 / 1 error / 2 usage).
This and core's CLI helper are the only modules that import typer or render with rich.
"""

from __future__ import annotations

if __name__ == "__main__":  # python -m carrousel.bio.cli: signals caught before the imports
    from carrousel.core.cli_start import launch

    launch("carrousel.bio.cli")  # imports this module under its own name, runs main() and exits

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from carrousel.bio import __version__
from carrousel.bio.cli_settings import config_file, merged, train_block, train_settings, with_flags
from carrousel.bio.config import (
    MAX_BATCH,
    MAX_FILTERS,
    MAX_HIDDEN,
    MAX_KERNEL,
    MAX_NEGATIVES,
    MAX_PER_MOTIF,
    MAX_SHUFFLES,
    MAX_WINDOW,
    BackgroundKind,
    Calibration,
    DiscoverConfig,
    EnrichConfig,
    EvaluateConfig,
    ExportConfig,
    FitConfig,
    HitFormat,
    Method,
    ModelCalls,
    NetworkConfig,
    ReportFormat,
    ScanConfig,
    TrainConfig,
    TrainDataConfig,
)
from carrousel.bio.config_checks import (
    refuse_pwm_only_model,
    refuse_pwm_only_without_motifs,
    refuse_unused_export_options,
)
from carrousel.bio.errors import JasparReleaseError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, check_release
from carrousel.bio.samples import SAMPLES
from carrousel.core import cli
from carrousel.core.atomic import is_stdout
from carrousel.core.cli_device import DeviceOption
from carrousel.core.cli_outputs import check_plot_option, plots_written, stdout_only, summary_hidden
from carrousel.core.cli_samples import add_sample_commands
from carrousel.core.cli_values import Above, OutputFolder
from carrousel.core.config import MAX_EPOCHS, from_dict
from carrousel.core.errors import MissingExtraError
from carrousel.core.export import DeployPrecision, Exporter, InferencePrecision
from carrousel.core.option_names import option
from carrousel.core.output_stage import staged_outputs
from carrousel.core.provenance import PrecisionReport, precision_words

__all__ = ["app", "main"]

app = cli.create_app(
    "bio",
    "carrousel-bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.",
    f"carrousel-bio {__version__}",
)
add_sample_commands(app, "bio", SAMPLES)  # samples list / samples place (core.cli_samples)

ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file of options; flags given on the command line override it."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
MotifSpecs = Annotated[
    list[str] | None,
    typer.Option(
        "--motif",
        "-m",
        metavar="MOTIF",
        help="JASPAR ID (MA0139.2), name (CTCF), jaspar:CORE/vertebrates or a motif file; repeat or comma-separate.",
    ),
]
ModelDir = Annotated[Path | None, typer.Option("--model", help="Model folder (default: the packaged panel).")]


def _jaspar_release(value: str) -> str:
    """``--jaspar-release``: pyjaspar's name of the release, or a usage error listing those it ships."""
    if value == JASPAR_RELEASE:
        return value
    try:
        return check_release(value)
    except JasparReleaseError as exc:
        raise typer.BadParameter(str(exc)) from None
    except MissingExtraError:  # the lookup itself says so, where a motif needs JASPAR
        return value


JasparRelease = Annotated[
    str,
    typer.Option(
        "--jaspar-release",
        metavar="RELEASE",
        callback=_jaspar_release,
        help="JASPAR release that motif IDs, names and jaspar: collections are looked up in (pyjaspar's: "
        "JASPAR2024, JASPAR2026...).",
    ),
]
DeviceOpt = DeviceOption


def _path(p: Path | None) -> str | None:
    return str(p) if p is not None else None


@contextmanager
def _bases_bar(enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar over bases on stderr; yields ``(set_total, advance)``."""
    if not enabled or not cli.bars_on():
        yield (lambda n: None), (lambda n: None)
        return
    cols = [
        TextColumn("[bold]scanning"),
        BarColumn(),
        DownloadColumn(binary_units=False),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*cols, console=cli.stderr, transient=True) as bar:
        task = bar.add_task("scan", total=None)
        yield (lambda n: bar.update(task, total=n or None)), (lambda n: bar.advance(task, n))


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


def _arithmetic(precisions: PrecisionReport) -> str:
    """The human line's words for a loaded model's ``trained_precision`` and this run's ``precision``."""
    return "model " + precision_words(precisions["trained_precision"], precisions["precision"])


def _scan_method(cfg: ScanConfig) -> Method:
    """scan's default method: pwm with motifs (from the flags or the file), else the model."""
    return Method.pwm if cfg.motifs else Method.model


def _calls(cfg: ScanConfig) -> str:
    """How a scan calls its hits, for the chart's title."""
    pwm = f"PWM p <= {cfg.pvalue:g}" + (f", q <= {cfg.qvalue:g}" if cfg.qvalue is not None else "")
    model = f"model q <= {cfg.model_qvalue:g}"
    return {Method.pwm: pwm, Method.model: model}.get(cfg.method, f"{pwm}; {model}")


@cli.command(app, quiet_with="out")
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

    if out is not None and stdout_only(Path("/dev/stdout") if str(out) == "-" else out, as_json, "--out"):
        out = None  # stdout: the hits are printed in place, as without --out (beside --json: usage error)
    if plot is not None and is_stdout(plot) and out is None and not as_json:
        raise typer.BadParameter(
            "it names stdout, where the hits print; write them with --out FILE", param_hint="'--plot'"
        )
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
        model=_path(model),
        model_qvalue=model_qvalue,
        model_pvalue=model_pvalue,
        calibration=model_null,
        calls=model_calls,
        model_background=_path(model_background),
        device=device,
        precision=precision,
    )
    doc = config_file(config)  # read once: the merge and the PWM scan's refusal both use it
    cfg = with_flags(ctx, doc, flags, _SCAN_FLAGS, {"method": _scan_method})
    checked = {f: getattr(flags, f) for f in ("motifs", *_MODEL_ONLY.values())} | {"method": method}
    # typed alone: exit 2; with the file: exit 1, named
    cli.refuse_merged(_refuse_model_only, merged(ctx, doc, checked, _SCAN_FLAGS, cfg))
    with staged_outputs(), _bases_bar(progress) as (set_total, advance):  # hits and chart: both or neither
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
            how.append(_arithmetic(result.precisions))
        cli.echo(f"{len(result.hits)} hits in {result.bases:,} bases -> {out} ({'; '.join(how)})")
        if plot is not None:  # beside the hits' line; never among hits printed on stdout
            cli.echo(f"scan chart written to {plot}")


_TRAIN_FLAGS = (
    {p: f"data.{p}" for p in ["positives", "negatives", "peaks", "genome", "window", "per_motif"]}
    | {p: f"network.{p}" for p in ["filters", "kernel", "hidden"]}
    | {p: f"fit.{p}" for p in ["epochs", "patience", "lr", "batch_size", "seed", "device"]}
    | {p: f"fit.{p}" for p in ["shuffled_negatives", "precision"]}
    | {"motif": "data.motifs", "negatives_n": "data.n_negatives", "jaspar_release": "data.jaspar_release"}
)


@cli.command(app, quiet_with="out")
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
            positives=_path(positives),
            negatives=_path(negatives),
            peaks=_path(peaks),
            genome=_path(genome),
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


_EVALUATE_FLAGS = {
    **{p: p for p in ["positives", "negatives", "model", "task", "pwm_only", "device", "precision"]},
    "motif": "motifs",
    "jaspar_release": "jaspar_release",
}


def _refuse_pwm_only(settings: cli.Merged, error: type[Exception]) -> None:
    """``bio evaluate``'s checks of ``--pwm-only`` on the flags and the ``--config`` file's settings merged:
    a model beside it (ignored), no motif (nothing to evaluate)."""
    refuse_pwm_only_model(settings["pwm_only"], settings["model"], error)
    refuse_pwm_only_without_motifs(settings["pwm_only"], settings["motifs"], error)


@cli.command(app)
def evaluate(
    ctx: typer.Context,
    positives: Annotated[Path, typer.Option("--positives", help="FASTA of positive sequences.")],
    negatives: Annotated[Path, typer.Option("--negatives", help="FASTA of negative sequences.")],
    model: ModelDir = None,
    motif: MotifSpecs = None,
    jaspar_release: JasparRelease = JASPAR_RELEASE,
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            help="Model output scored (motif ID/name/index, or max over all). Default: the --motif's output, "
            "the only one, or the one whose PWM best separates the classes.",
        ),
    ] = None,
    pwm_only: Annotated[bool, typer.Option("--pwm-only", help="Evaluate PWMs only (no model).")] = False,
    device: DeviceOpt = "cpu",
    precision: cli.RunPrecision = InferencePrecision.FP32,
    config: ConfigFile = None,
    as_json: AsJson = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            metavar="FILE.png",
            help="Write a PNG of the ROC and precision-recall curves (AUROC/AUPRC in the legend).",
        ),
    ] = None,
) -> None:
    """AUROC and AUPRC of a model and of the best single PWM, side by side."""
    from carrousel.bio import evaluate_plot, pipeline

    flags = {
        "positives": str(positives),
        "negatives": str(negatives),
        "model": _path(model),
        "motifs": tuple(motif or ()),
        "jaspar_release": jaspar_release,
        "task": task,
        "pwm_only": pwm_only,
        "device": device,
        "precision": precision,
    }
    doc = config_file(config)
    settings = merged(ctx, doc, flags, _EVALUATE_FLAGS, EvaluateConfig)  # once: for the checks and the run
    cli.refuse_merged(_refuse_pwm_only, settings)  # typed alone: exit 2; with the file: exit 1, named
    to_stdout = check_plot_option(plot, as_json, evaluate_plot.PLOT_EXTRA, evaluate_plot.PLOT_PURPOSE)
    values = settings.values()
    cfg = EvaluateConfig(**values) if doc is None else from_dict(EvaluateConfig, values, source=doc.source)
    res = pipeline.evaluate(cfg)
    data = f"{Path(cfg.positives or '').name} vs {Path(cfg.negatives or '').name}"
    chart = evaluate_plot.evaluation_png(res, plot, data) if plot is not None else None
    if as_json or to_stdout:
        if as_json:
            cli.emit_json({**res.summary(), "plots": plots_written(chart)})
        return
    caption = f"model output {res.task}: {res.task_reason}" if res.per_output else None
    title = f"{res.n_pos} positives vs {res.n_neg} negatives"
    title += f"; {_arithmetic(res.precisions)}" if res.precisions else ""
    table = Table(title=title, caption=caption)
    for c in ("method", "AUROC", "AUPRC"):
        table.add_column(c)
    for label, auroc, auprc in (
        (f"model ({res.task})", res.model_auroc, res.model_auprc),
        (f"best PWM ({res.best_pwm})", res.pwm_auroc, res.pwm_auprc),
    ):
        if math.isfinite(auroc):  # a figure not computed (--pwm-only, no motif) is no row, never 'nan'
            table.add_row(label, f"{auroc:.4f}", f"{auprc:.4f}")
    cli.stdout.print(table)
    if plot is not None:
        cli.echo(f"ROC and precision-recall chart written to {plot}")


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


@cli.command(app, name="export", quiet_with="out")
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
        "model": _path(model),
        "precision": precision,
        "exporter": exporter,
        "positives": _path(positives),
        "negatives": _path(negatives),
        "motifs": tuple(motif or ()),
        "jaspar_release": jaspar_release,
        "prune": prune,
        "finetune_epochs": finetune_epochs,
        "distill": distill,
        "distill_filters": distill_filters,
        "train_positives": _path(train_positives),
        "train_negatives": _path(train_negatives),
    }
    doc = config_file(config)
    settings = merged(ctx, doc, flags, _EXPORT_FLAGS, ExportConfig)
    cli.refuse_merged(_refuse_unused_export, settings)  # typed alone: exit 2; with the file: exit 1, named
    values = settings.values()
    cfg = ExportConfig(**values) if doc is None else from_dict(ExportConfig, values, source=doc.source)
    report = pipeline.export_model(cfg, out, progress=cli.bars_on())
    if as_json:
        cli.emit_json(report.summary())
        return
    cli.print_deployment(report.summary())


@contextmanager
def _motifs_bar(enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar over motifs on stderr; yields ``(set_total, advance)``."""
    if not enabled or not cli.bars_on():
        yield (lambda n: None), (lambda n: None)
        return
    cols = [TextColumn("[bold]motifs"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*cols, console=cli.stderr, transient=True) as bar:
        task = bar.add_task("enrich", total=None)
        yield (lambda n: bar.update(task, total=n or None)), (lambda n: bar.advance(task, n))


_ENRICH_FLAGS = {
    **{p: p for p in ["targets", "background", "pvalue", "pwm_background", "shuffles", "seed", "mask_lower"]},
    "motif": "motifs",
    "jaspar_release": "jaspar_release",
}


@cli.command(app, quiet_with="out")
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
    to_stdout = stdout_only(Path("/dev/stdout") if str(out) == "-" else out, as_json, "--out")
    if to_stdout:
        if plot is not None and is_stdout(plot):
            raise typer.BadParameter(
                "it names stdout, where --out prints; give one of them", param_hint="'--plot'"
            )
        out = None
    png_to_stdout = check_plot_option(
        plot, as_json, enrich_plot.PLOT_EXTRA, enrich_plot.PLOT_PURPOSE, others={"--out": out}
    )

    flags = EnrichConfig(
        targets=str(targets),
        background=_path(background),
        motifs=tuple(motif or EnrichConfig().motifs),
        jaspar_release=jaspar_release,
        pvalue=pvalue,
        pwm_background=pwm_background,
        shuffles=shuffles,
        seed=seed,
        mask_lower=mask_lower,
    )
    cfg = with_flags(ctx, config_file(config), flags, _ENRICH_FLAGS)
    with staged_outputs(), _motifs_bar(progress) as (set_total, advance):  # table and chart: both or neither
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
        table.add_column(c, justify="left" if c in ("motif", "ID") else "right", no_wrap=c != "motif")
    table.columns[1].overflow = "fold"  # a long name wraps, never loses its end
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


_DISCOVER_FLAGS = {
    p: p
    for p in ["sequences", "control", "model", "collection", "report", "epochs", "seed", "jaspar_release"]
}


@cli.command(app, quiet_with="out")
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
        model=_path(model),
        sequences=_path(sequences),
        control=_path(control),
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


def main() -> None:
    """Console entry point of ``bio``."""
    cli.run(app, "bio")
