"""The commands of carrousel-bio as functions: :func:`scan`, :func:`train`, :func:`evaluate`,
:func:`enrich`, :func:`discover` and :func:`export_model` (from :mod:`carrousel.bio.deploy`) take their
config (and output paths), write every file the run makes, and return a result; the ``bio`` CLI only
parses flags and renders what they return. Models are saved and loaded by :func:`save_model` and
:func:`load_model` (re-exported from :mod:`carrousel.bio.bundle`, which describes the saved folder).

Every input file is checked before any work (a readable, non-empty regular file: a folder, FIFO or
device is refused by name), and so is every output: a hit file's extension must name a format, its
folder must be writable; a model or discover folder must be new, empty or an earlier output.

Example:
    >>> from carrousel.bio import pipeline
    >>> from carrousel.bio.config import ScanConfig
    >>> result = pipeline.scan(ScanConfig(motifs=("CTCF",)), "genome.fa", out="hits.gff3")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.bundle import KIND, default_model_path, from_pretrained, load_model, save_model
from carrousel.bio.config import (
    DiscoverConfig,
    EnrichConfig,
    EvaluateConfig,
    FitConfig,
    TrainConfig,
    TrainDataConfig,
)
from carrousel.bio.config_checks import refuse_pwm_only_without_motifs
from carrousel.bio.data import discover_windows, training_set
from carrousel.bio.deploy import export_model
from carrousel.bio.discover import Discovery, find_motifs, logo_captions, render_report, task_filter
from carrousel.bio.enrich import MIN_SEQUENCES, EnrichResult, enrich_sets
from carrousel.bio.errors import DiscoverConfigError, EnrichConfigError, EvaluateConfigError, SequenceSetError
from carrousel.bio.evaluate import Evaluation, evaluate_windows, evaluation_windows
from carrousel.bio.evaluate_plot import PLOT_EXTRA
from carrousel.bio.fasta import encode, read_sequences
from carrousel.bio.logos import logo_libraries, write_logos
from carrousel.bio.magic import kept_unpacked
from carrousel.bio.models import DanQConfig
from carrousel.bio.motifs import resolve_motifs, write_jaspar, write_meme
from carrousel.bio.scan_run import scan
from carrousel.bio.training import fit_model
from carrousel.bio.validation import MIN_EVAL_PER_CLASS, check_count, check_lengths, check_overlap
from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_dir, atomic_write_text
from carrousel.core.curves import can_plot, history_writer
from carrousel.core.device import check_precision
from carrousel.core.errors import BundleError
from carrousel.core.files import check_input_file, check_output_dir, check_output_file, refuse_other_files
from carrousel.core.option_names import named_path, naming_flags, option, settings_from_file
from carrousel.core.paths import user_path
from carrousel.core.train import TrainConfig as TrainerConfig

__all__ = [
    "KIND",
    "TrainResult",
    "default_model_path",
    "discover",
    "enrich",
    "evaluate",
    "export_model",
    "from_pretrained",
    "load_model",
    "save_model",
    "scan",
    "train",
]

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ train
@dataclass(frozen=True)
class TrainResult:
    """What ``bio train`` made: the model folder and its figures."""

    out: Path  # the model folder written
    tasks: int  # model outputs
    windows: int  # training windows (validation included)
    motifs: list[str]  # one motif ID per output
    val: dict[str, float | None]  # validation figures (auroc, auprc, loss, macro_auroc); None: undefined
    epochs: int  # epochs run
    negatives: str = (
        "planted"  # their source: a --negatives file, GC-matched genome windows, shuffled positives
    )
    history: list[dict[str, float]] = field(default_factory=list, repr=False)  # per-epoch figures
    precision: str = "fp32"  # the training arithmetic (fp32, or bf16/fp16 autocast; weights float32)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (without the history)."""
        return {
            "out": str(self.out),
            "tasks": self.tasks,
            "windows": self.windows,
            "motifs": self.motifs,
            "val": self.val,
            "epochs": self.epochs,
            "negatives": self.negatives,
            "precision": self.precision,
        }


def _inputs(*files: tuple[str | Path | None, str | None, str]) -> None:
    """Each given ``(path, flag, kind)`` is a readable, non-empty regular file (before any work)."""
    for path, flag, kind in files:
        if path is not None:
            check_input_file(path, flag, kind)


@kept_unpacked()  # a .2bit.gz (.bb.gz) read several times is decompressed once, removed at the end
@check_args
def train(cfg: TrainConfig, out: str | Path, command: str = "", progress: bool = False) -> TrainResult:
    """``bio train``: builds the training windows, fits and calibrates a DanQ model, saves it to ``out``.

    Nothing is written unless the whole run succeeds (the model folder is written as a whole).

    Args:
        cfg: data sources, network shape and fit settings.
        out: the model folder (new, empty, or an earlier model, replaced).
        command: the command line, kept in the model's provenance.
        progress: show the trainer's bar on stderr (one per epoch: batches, loss, windows/s, ETA); the CLI
            turns it on on a terminal, not under ``--quiet``.

    Raises:
        ConfigError: a ``cfg.fit.precision`` that ``cfg.fit.device`` cannot run (before any work).
    """
    fit = cfg.fit
    check_precision(fit.precision.value, fit.device)
    target = user_path(out)  # a Python caller's "~/models/ctcf"
    refuse_other_files(target, option("out"), "bundle.json", BundleError, KIND)
    check_output_dir(target, option("out"))
    d = cfg.data
    _inputs(
        (d.positives, option("positives"), "FASTA"),
        (d.negatives, option("negatives"), "FASTA"),
        (d.peaks, option("peaks"), "BED"),
        (d.genome, option("genome"), "FASTA"),
    )
    named = resolve_motifs(list(cfg.data.motifs), cfg.data.jaspar_release) if cfg.data.motifs else []
    plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
    data = training_set(cfg.data, named, cfg.fit.seed)
    stop = fit.patience > 0 and fit.val_fraction > 0
    trainer = TrainerConfig(
        epochs=fit.epochs,
        lr=fit.lr,
        device=fit.device,
        progress=progress,
        seed=fit.seed,
        # early stopping on the held-out AUROC (the best epoch's weights kept), the rate halved when it
        # stalls; a fixed number of epochs runs a cosine schedule
        scheduler="plateau" if stop else "cosine",
        gamma=0.5,
        step_size=10,  # plateau patience: 2 epochs
        patience=fit.patience if stop else None,
        restore_best=stop,
        monitor="val_auroc" if stop else "val_loss",  # steadier than the loss on small sets
        mode="max" if stop else "min",
        min_delta=1e-3,  # a gain under 0.001 AUROC is no improvement
        precision=fit.precision.value,  # autocast of forward and loss; recorded in the model's provenance
    )
    net = cfg.network
    shape = DanQConfig(
        n_outputs=data.y.shape[1],
        filters=net.filters,
        kernel=net.kernel,
        hidden=net.hidden,
        window=cfg.data.window,
    )
    info = {"command": command, "seed": fit.seed, "windows": int(data.x.shape[0]), "sources": data.sources}
    if any(m.source == d.jaspar_release for m in named):  # which JASPAR the named motifs came from
        info["jaspar_release"] = d.jaspar_release
    result = fit_model(
        data.x,
        data.y,
        data.tasks,
        shape,
        trainer,
        val_fraction=fit.val_fraction,
        batch_size=fit.batch_size,
        n_null=fit.n_null,
        null_source=data.null_source,
        seed=fit.seed,
        info=info,
        allow_no_motifs=True,
        init_motifs=data.seeds,
        shuffled_negatives=data.real_negatives and fit.shuffled_negatives,
        held_out_background=data.real_negatives,
        background_windows=data.background,
    )
    title = (
        f"bio train: DanQ ({net.filters} filters of {net.kernel} bases, {net.hidden} LSTM units) on "
        f"{data.x.shape[0]} windows of {cfg.data.window} bases, {data.y.shape[1]} task(s), negatives: "
        f"{data.negatives}"
    )
    report = history_writer(result, title, plot, kept=stop)  # core's: history.csv and training.png
    save_model(result.model, target, also=report)  # written beside the bundle
    return TrainResult(
        out=target,
        tasks=int(data.y.shape[1]),
        windows=int(data.x.shape[0]),
        motifs=[m.id for m in result.model.motifs],
        val={k: round(float(v), 4) if math.isfinite(v) else None for k, v in result.metrics.items()},
        epochs=len(result.history),
        negatives=data.negatives,
        history=result.history,
        precision=fit.precision.value,
    )


# ------------------------------------------------------------------------------------------ evaluate
@kept_unpacked()
def evaluate(cfg: EvaluateConfig) -> Evaluation:
    """``bio evaluate``: AUROC and AUPRC of a model and of the best single PWM on the same sequences.

    Raises:
        EvaluateConfigError: no positives or negatives, fewer than 10 sequences in a class, the same
            sequences on both sides, or PWMs only without motifs.
    """
    if cfg.positives is None or cfg.negatives is None:
        raise EvaluateConfigError(f"give both {option('positives')} and {option('negatives')} FASTA files")
    refuse_pwm_only_without_motifs(cfg.pwm_only, cfg.motifs, EvaluateConfigError)
    given = ((option("positives"), cfg.positives), (option("negatives"), cfg.negatives))
    _inputs(*((path, flag, "FASTA") for flag, path in given))
    sets = {named_path(path, flag): read_sequences(path) for flag, path in given}
    for where, (_, seqs) in sets.items():  # checked before the model is loaded
        check_count(len(seqs), MIN_EVAL_PER_CLASS, where, EvaluateConfigError, purpose="for AUROC and AUPRC")
    (pos_where, (_, pos_seqs)), (neg_where, (_, neg_seqs)) = sets.items()
    for note in check_overlap(pos_seqs, neg_seqs, f"{pos_where} and {neg_where}", EvaluateConfigError):
        logger.warning("%s", note)
    model = None
    if not cfg.pwm_only:
        model = load_model(cfg.model, device=cfg.device, precision=cfg.precision.value)
    pos, neg = evaluation_windows(
        [[encode(s, n) for n, s in zip(names, seqs, strict=True)] for names, seqs in sets.values()],
        model.window if model is not None else None,
    )
    requested = resolve_motifs(list(cfg.motifs), cfg.jaspar_release) if cfg.motifs else []
    motifs = requested or (model.motifs if model is not None else [])
    return evaluate_windows(model, pos, neg, motifs, cfg.task, requested)


# ------------------------------------------------------------------------------------------ enrich
def _sequence_set(path: str, where: str, mask_lower: bool) -> tuple[list[str], list[np.ndarray]]:
    """A FASTA's sequences and their codes (soft-masked bases as N with ``mask_lower``), refused when
    fewer than :data:`MIN_SEQUENCES`."""
    names, seqs = read_sequences(path, mask_lower)
    check_count(len(seqs), MIN_SEQUENCES, where, SequenceSetError, purpose="for an enrichment test")
    return seqs, [encode(s, n) for n, s in zip(names, seqs, strict=True)]


@kept_unpacked()
def enrich(
    cfg: EnrichConfig,
    out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> EnrichResult:
    """``bio enrich``: known-motif enrichment of ``cfg.targets`` over ``cfg.background`` (or, without
    one, over ``cfg.shuffles`` dinucleotide shuffles of each target), written to ``out`` as TSV.

    Args:
        cfg: the files, motifs and thresholds.
        out: TSV of every motif to write (atomically); None writes nothing.
        progress: called with 1 after each motif.
        total: called once with the number of motifs, before the scans.

    Raises:
        EnrichConfigError: no targets given.
        SequenceSetError: fewer than 10 target or background sequences.
        DataError: a FASTA that is missing, empty or not FASTA (and motif errors of the specs).
    """
    if cfg.targets is None:
        raise EnrichConfigError(
            f"give the target sequences ({option('targets', flag='TARGETS', metavar='FASTA')})"
        )
    out = user_path(out) if out is not None else None
    if out is not None:
        check_output_file(
            out, option("out"), inputs=[p for p in (cfg.targets, cfg.background) if p is not None]
        )
    t_flag, b_flag = option("targets", flag="TARGETS"), option("background")
    _inputs((cfg.targets, t_flag, "FASTA"), (cfg.background, b_flag, "FASTA"))
    t_seqs, targets = _sequence_set(cfg.targets, named_path(cfg.targets, t_flag), cfg.mask_lower)
    background = None
    if cfg.background is not None:
        same = os.path.realpath(cfg.background) == os.path.realpath(cfg.targets)
        if same:
            logger.warning("the background is the targets' file (%s): every fold is 1", cfg.background)
        b_seqs, background = _sequence_set(cfg.background, named_path(cfg.background, b_flag), cfg.mask_lower)
        shared = 0 if same else len(set(t_seqs) & set(b_seqs))
        if shared:
            logger.warning(
                "%d of %d target sequences are also in the background (%s); they count on both sides",
                *(shared, len(t_seqs), cfg.background),
            )
    motifs = resolve_motifs(list(cfg.motifs), cfg.jaspar_release)
    if total is not None:
        total(len(motifs))
    result = enrich_sets(cfg, motifs, targets, background, progress)
    result.targets, result.out = str(cfg.targets), str(out) if out is not None else None
    if out is not None:
        atomic_write_text(out, result.to_tsv())
    return result


# ------------------------------------------------------------------------------------------ discover
@kept_unpacked()
@check_args
def discover(cfg: DiscoverConfig, out: str | Path, progress: bool = False) -> Discovery:
    """``bio discover``: motifs from a model's filters, matched to JASPAR, written to ``out``.

    With ``cfg.sequences`` and no ``cfg.model`` a model is trained on them first (negatives:
    ``cfg.control`` or shuffled sequences) and saved in ``out/model``. The folder (``motifs.meme``,
    ``motifs.jaspar``, ``logos/ID.png``, ``report.md`` or ``report.html``, ``model/``) is written as a
    whole: a failed run leaves nothing, an earlier discover folder is replaced.

    Args:
        cfg: the model or the sequences to train on, the JASPAR set and the report's format.
        out: the folder written (new, empty, or an earlier discover folder, replaced).
        progress: show the trainer's bar on stderr while a model is trained here (as :func:`train`); the
            CLI turns it on on a terminal, not under ``--quiet``.

    Raises:
        DiscoverConfigError: neither a model nor sequences, or the model lies inside ``out``.
        MissingExtraError: logomaker / matplotlib (``carrousel-bio[discover]``) or pyjaspar is missing.
    """
    folder = user_path(out)
    if cfg.model is None and cfg.sequences is None:
        sequences = "SEQUENCES --control" if naming_flags() else "sequences, control"
        raise DiscoverConfigError(f"give a model ({option('model')}) or sequences to train on ({sequences})")
    if cfg.model is not None and Path(cfg.model).resolve().is_relative_to(folder.resolve()):
        raise DiscoverConfigError(
            f"{option('model', cfg.model)} lies inside {option('out', str(folder))}, which is replaced; use another "
            f"{option('out')}"
        )
    refuse_other_files(folder, option("out"), "motifs.meme", BundleError)
    check_output_dir(folder, option("out"))
    _inputs((cfg.sequences, None, "FASTA"), (cfg.control, option("control"), "FASTA"))
    logo_libraries()  # a missing extra stops the run before any training
    if cfg.model is None and cfg.sequences is not None:  # trained on windows of the default width
        w = TrainDataConfig().window
        fix = f"bio discover trains on {w}-base windows: give longer sequences, or a model trained on them "
        fix += f"({option('model')})"  # (model) from Python, (--model) in a command
        check_lengths([len(s) for s in read_sequences(cfg.sequences)[1]], w, str(cfg.sequences), fix)
    targets = resolve_motifs(cfg.collection, cfg.jaspar_release)
    with atomic_dir(folder) as tmp:
        if cfg.model is None:
            train_cfg = TrainConfig(
                data=TrainDataConfig(positives=cfg.sequences, negatives=cfg.control),
                fit=FitConfig(epochs=cfg.epochs or cfg.DEFAULT_EPOCHS, seed=cfg.seed),
            )
            # the training data's messages name the discover command's own inputs, not train's flags
            names = {"positives": option("sequences", flag="SEQUENCES"), "negatives": option("control")}
            with settings_from_file(names):
                run = train(
                    train_cfg, tmp / "model", command="bio discover (training step)", progress=progress
                )
            model = load_model(tmp / "model")
        else:
            model = load_model(cfg.model)
        given = [] if model.own_motifs else model.motifs  # its own: plain genome windows, none planted
        codes = discover_windows(model.window, cfg.sequences, given, cfg.seed)
        found = find_motifs(
            model.model,
            codes,
            targets,
            cfg.extraction,
            task_motifs=list(model.motifs),
            output_names=[m.name for m in model.motifs],
            task_filters=[task_filter(m, model.info) for m in model.motifs],
        )
        if cfg.model is None:
            found.trained = {"windows": run.windows, "epochs": run.epochs, "val": run.val}
        logos = write_logos(found.motifs, tmp / "logos", logo_captions(found)) if found.motifs else {}
        found.logos = {k: str(folder / "logos" / Path(v).name) for k, v in logos.items()}
        report = f"report.{cfg.report.value}"
        atomic_write_text(tmp / "motifs.meme", write_meme(found.motifs))
        atomic_write_text(tmp / "motifs.jaspar", write_jaspar(found.motifs))
        atomic_write_text(tmp / report, render_report(found, cfg.report))
        found.files = {
            name: str(folder / f)
            for name, f in (("meme", "motifs.meme"), ("jaspar", "motifs.jaspar"), ("report", report))
        }
        if cfg.model is None:
            found.files["model"] = str(folder / "model")
    return found
