"""The ``bio`` command line: the only module of carrousel.bio that imports typer or renders with rich."""
# ruff: noqa: B008

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from carrousel.bio import __version__
from carrousel.core.errors import CarrouselError

__all__ = ["app"]

app = typer.Typer(
    name="bio",
    help="carrousel-bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.",
    no_args_is_help=True,
    add_completion=False,
)
_err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carrousel-bio {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors."),
) -> None:
    """DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    root = logging.getLogger("carrousel")
    root.handlers = [RichHandler(console=_err, show_path=False)]
    root.setLevel(level)


def _fail(exc: Exception) -> None:
    _err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except CarrouselError as exc:
        _fail(exc)


@contextmanager
def _bases_bar(enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar over bases (on stderr); yields ``(set_total, advance)``."""
    if not enabled:
        yield (lambda n: None), (lambda n: None)
        return
    cols = [
        TextColumn("[bold]scanning"),
        BarColumn(),
        DownloadColumn(binary_units=False),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*cols, console=_err, transient=True) as bar:
        task = bar.add_task("scan", total=None)

        def set_total(n: int) -> None:
            bar.update(task, total=n or None)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield set_total, advance


def _echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


@app.command()
def scan(
    genome: Path = typer.Argument(..., help="FASTA or FASTA.gz to scan (any number of records)."),
    motif: list[str] = typer.Option(
        [],
        "--motif",
        "-m",
        help="JASPAR ID (MA0139.2), name (CTCF), jaspar:CORE/vertebrates or a motif file.",
    ),
    method: str = typer.Option(
        "", "--method", help="pwm | model | both (default: pwm with --motif, else model)."
    ),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default: the packaged panel)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write hits here (format from the extension)."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="bed | gff3 | tsv | json (default from --out, else bed)."
    ),
    pvalue: float = typer.Option(1e-4, "--pvalue", help="PWM: report sites with exact p-value at most this."),
    qvalue: float | None = typer.Option(None, "--qvalue", help="PWM: also require BH q-value at most this."),
    exact_qvalues: bool = typer.Option(
        False,
        "--exact-qvalues",
        help="PWM: histogram every window's score so every q-value is exact BH (about 2x slower; "
        "by default q-values above the p threshold's p-value are conservative upper bounds).",
    ),
    model_qvalue: float = typer.Option(
        0.05, "--model-qvalue", help="Model: BH q-value threshold on windows."
    ),
    model_pvalue: float = typer.Option(
        0.01, "--model-pvalue", help="Model: windows kept for BH/attribution."
    ),
    background: str = typer.Option("input", "--background", help="input (from the genome) | uniform."),
    order: int = typer.Option(0, "--background-order", help="Markov order of the background: 0 or 1."),
    device: str = typer.Option("cpu", "--device", help="Model device: cpu | cuda | auto."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout (hits go to --out)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar over bases (stderr)."),
) -> None:
    """Find transcription-factor binding sites on both strands of a genome."""
    from carrousel.bio.config import ScanConfig
    from carrousel.bio.output import format_for, write_hits
    from carrousel.bio.scan import scan_genome

    with _errors():
        cfg = ScanConfig(
            method=method or ("pwm" if motif else "model"),
            motifs=tuple(motif),
            pvalue=pvalue,
            qvalue=qvalue,
            exact_qvalues=exact_qvalues,
            background=background,
            background_order=order,
            model=str(model) if model else None,
            model_qvalue=model_qvalue,
            model_pvalue=model_pvalue,
            device=device,
        )
        with _bases_bar(progress and sys.stderr.isatty()) as (set_total, advance):
            result = scan_genome(genome, cfg, progress=advance, total=set_total)
        kind = format_for(out, fmt)
        text = write_hits(result, kind, out)
        if as_json:
            summary = result.summary()
            if out is not None:
                summary["out"] = str(out)
            _echo_json(summary)
        elif out is None:
            typer.echo(text, nl=False)
        else:
            _err.print(f"{len(result.hits)} hits in {result.bases:,} bases -> {out}", highlight=False)


def _default_genome() -> Path:
    from carrousel.core.samples import sample_path

    return sample_path("bio.ecoli")


@app.command()
def train(
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    motif: list[str] = typer.Option([], "--motif", "-m", help="Planted training: motif IDs/names/files."),
    positives: Path | None = typer.Option(None, "--positives", help="FASTA of positive sequences."),
    negatives: Path | None = typer.Option(None, "--negatives", help="FASTA of negative sequences."),
    peaks: Path | None = typer.Option(
        None, "--peaks", help="BED/narrowPeak of positive regions (needs --genome)."
    ),
    genome: Path | None = typer.Option(
        None, "--genome", help="Genome FASTA: background (default: E. coli sample)."
    ),
    window: int = typer.Option(200, "--window", help="Window in bases."),
    per_motif: int = typer.Option(400, "--per-motif", help="Planted: positive windows per motif."),
    negatives_n: int = typer.Option(0, "--n-negatives", help="Planted: negatives of each kind (0: auto)."),
    epochs: int = typer.Option(8, "--epochs", help="Training epochs."),
    lr: float = typer.Option(2e-3, "--lr", help="Learning rate."),
    batch_size: int = typer.Option(128, "--batch-size", help="Windows per batch."),
    filters: int = typer.Option(64, "--filters", help="Convolutional motif detectors."),
    kernel: int = typer.Option(19, "--kernel", help="Detector width."),
    hidden: int = typer.Option(32, "--hidden", help="LSTM units per direction."),
    seed: int = typer.Option(0, "--seed", help="Random seed (data and training)."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Train a DanQ-style CNN-BiLSTM: planted --motif, --positives/--negatives, or --peaks/--genome."""
    from carrousel.bio.pipeline import train_from_sources

    with _errors():
        argv = sys.argv[sys.argv.index("train") :] if "train" in sys.argv else ["train"]
        command = "bio " + " ".join(argv)
        result = train_from_sources(
            out=out,
            motifs=list(motif),
            positives=positives,
            negatives=negatives,
            peaks=peaks,
            genome=genome if genome is not None else (None if positives else _default_genome()),
            window=window,
            per_motif=per_motif,
            n_negatives=negatives_n,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            filters=filters,
            kernel=kernel,
            hidden=hidden,
            seed=seed,
            device=device,
            command=command,
        )
        if as_json:
            _echo_json(result)
        else:
            _err.print(
                f"trained {result['tasks']} task(s) on {result['windows']} windows: "
                f"val AUROC {result['val'].get('auroc', float('nan')):.3f} -> {out}",
                highlight=False,
            )


@app.command()
def evaluate(
    positives: Path = typer.Option(..., "--positives", help="FASTA of positive sequences."),
    negatives: Path = typer.Option(..., "--negatives", help="FASTA of negative sequences."),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default: the packaged panel)."),
    motif: list[str] = typer.Option(
        [], "--motif", "-m", help="PWMs to compare (default: the model's motifs)."
    ),
    task: str | None = typer.Option(None, "--task", help="Model output (motif ID/name/index); default: max."),
    pwm_only: bool = typer.Option(False, "--pwm-only", help="Evaluate PWMs only (no model)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """AUROC and AUPRC of a model and of the best single PWM, side by side."""
    from carrousel.bio.evaluate import evaluate as run_eval
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.pipeline import default_model_path, load_bundle
    from carrousel.bio.train import sequences_to_windows

    with _errors():
        bundle = None if pwm_only else load_bundle(model or default_model_path())
        window = bundle.window if bundle is not None else 200
        _, pos = sequences_to_windows(positives, window)
        _, neg = sequences_to_windows(negatives, window)
        motifs = resolve_motifs(list(motif)) if motif else (bundle.motifs if bundle is not None else [])
        if not motifs and pwm_only:
            raise typer.BadParameter("--pwm-only needs --motif")
        res = run_eval(bundle, pos, neg, motifs, task)
        if as_json:
            _echo_json(res.summary())
        else:
            from rich.table import Table

            t = Table(title=f"{res.n_pos} positives vs {res.n_neg} negatives")
            for c in ("method", "AUROC", "AUPRC"):
                t.add_column(c)
            t.add_row(f"model ({res.task})", f"{res.model_auroc:.4f}", f"{res.model_auprc:.4f}")
            t.add_row(f"best PWM ({res.best_pwm})", f"{res.pwm_auroc:.4f}", f"{res.pwm_auprc:.4f}")
            Console().print(t)


@app.command()
def discover(
    sequences: Path | None = typer.Argument(
        None, help="Positive FASTA: train a model on it first (with --control)."
    ),
    control: Path | None = typer.Option(
        None, "--control", help="Negative FASTA (default: shuffled positives)."
    ),
    model: Path | None = typer.Option(None, "--model", help="Model folder to extract motifs from."),
    out: Path = typer.Option(Path("discover_out"), "--out", "-o", help="Output folder."),
    collection: str = typer.Option(
        "jaspar:CORE/vertebrates", "--jaspar", help="JASPAR set to match against."
    ),
    report: str = typer.Option("md", "--report", help="md | html."),
    epochs: int = typer.Option(8, "--epochs", help="Training epochs (with SEQUENCES)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Turn a model's filters into motifs (MEME/JASPAR), match them to JASPAR, draw logos, write a report."""
    import numpy as np

    from carrousel.bio.config import DiscoverConfig
    from carrousel.bio.discover import discover as run_discover
    from carrousel.bio.pipeline import load_bundle, train_from_sources
    from carrousel.bio.synth import genome_windows
    from carrousel.bio.train import sequences_to_windows

    with _errors():
        if sequences is None and model is None:
            raise typer.BadParameter("give a model (--model) or sequences to train on (SEQUENCES --control)")
        if sequences is not None and model is None:
            model = out / "model"
            train_from_sources(
                out=model,
                positives=sequences,
                negatives=control,
                epochs=epochs,
                seed=seed,
                command="bio discover (training step)",
            )
        assert model is not None
        bundle = load_bundle(model)
        if sequences is not None:
            _, codes = sequences_to_windows(sequences, bundle.window)
        else:
            codes = genome_windows(_default_genome(), bundle.window, 3000, np.random.default_rng(seed))
            from carrousel.bio.config import SynthConfig
            from carrousel.bio.synth import planted_dataset

            x, _y = (
                planted_dataset(
                    bundle.motifs,
                    _default_genome(),
                    SynthConfig(n_per_motif=100, n_shuffled=0, n_background=0, n_decoy=0, seed=seed),
                )
                if bundle.motifs and all(m.source != "model" for m in bundle.motifs)
                else (codes, None)
            )
            codes = x
        d = run_discover(bundle.model, codes, out, DiscoverConfig(collection=collection, report=report))
        if as_json:
            _echo_json(d.summary())
        else:
            _err.print(f"{len(d.motifs)} motifs -> {d.files.get('report', out)}", highlight=False)


if __name__ == "__main__":
    app()
