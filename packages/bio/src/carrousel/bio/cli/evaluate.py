"""``bio evaluate``: AUROC and AUPRC of a model and of the best single PWM, as a table, ``--json`` or a
chart."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from carrousel.bio.cli._common import (
    AsJson,
    ConfigFile,
    DeviceOpt,
    JasparRelease,
    ModelDir,
    MotifSpecs,
    arithmetic,
    path_or_none,
)
from carrousel.bio.cli._settings import config_file, config_of, merged
from carrousel.bio.config import (
    EvaluateConfig,
)
from carrousel.bio.config_checks import (
    refuse_pwm_only_model,
    refuse_pwm_only_without_motifs,
)
from carrousel.bio.jaspar_release import JASPAR_RELEASE
from carrousel.core import cli
from carrousel.core.cli_outputs import check_plot_option, plots_written
from carrousel.core.export import InferencePrecision

__all__ = ["evaluate"]


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
        "model": path_or_none(model),
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
    cfg = config_of(settings, EvaluateConfig)
    res = pipeline.evaluate(cfg)
    data = f"{Path(cfg.positives or '').name} vs {Path(cfg.negatives or '').name}"
    chart = evaluate_plot.evaluation_png(res, plot, data) if plot is not None else None
    if as_json or to_stdout:
        if as_json:
            cli.emit_json({**res.summary(), "plots": plots_written(chart)})
        return
    shown = res.task_label or res.task  # NAME ID of a named output (ctcf_peaks task0_filter24), else the ID
    caption = f"model output {shown}: {res.task_reason}" if res.per_output else None
    title = f"{res.n_pos} positives vs {res.n_neg} negatives"
    title += f"; {arithmetic(res.precisions)}" if res.precisions else ""
    table = Table(title=title, caption=caption)
    for c in ("method", "AUROC", "AUPRC"):
        table.add_column(c)
    for label, auroc, auprc in (
        (f"model ({shown})", res.model_auroc, res.model_auprc),
        (f"best PWM ({res.best_pwm})", res.pwm_auroc, res.pwm_auprc),
    ):
        if math.isfinite(auroc):  # a figure not computed (--pwm-only, no motif) is no row, never 'nan'
            table.add_row(label, f"{auroc:.4f}", f"{auprc:.4f}")
    cli.stdout.print(table)
    if plot is not None:
        cli.echo(f"ROC and precision-recall chart written to {plot}")
