"""The commands of carrousel-bio as functions: :func:`scan`, :func:`train`, :func:`evaluate` and
:func:`discover` take their config (and output paths), write every file the run makes, and return a
result; the ``bio`` CLI only parses flags and renders what they return. This module also saves and loads
models (:func:`save_model`, :func:`load_model`).

A saved model is a core bundle (:mod:`carrousel.core.bundle`) of kind ``"bio.danq"``::

    model/
      bundle.json               kind bio.danq, the DanQ config, assets (outputs, calibration settings)
                                and data (provenance: command, seed, windows, trainer settings,
                                validation figures, input files' sha256)
      model.safetensors         the network's weights
      arrays.safetensors        "null": (K, N) float32 logits on shuffled background (the calibration)
      assets/motifs.jaspar      one motif per output, JASPAR format

Example:
    >>> from carrousel.bio import pipeline
    >>> from carrousel.bio.config import ScanConfig
    >>> result = pipeline.scan(ScanConfig(motifs=("CTCF",)), "genome.fa", out="hits.gff3")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import (
    DiscoverConfig,
    EvaluateConfig,
    FitConfig,
    HitFormat,
    Method,
    ScanConfig,
    TrainConfig,
    TrainDataConfig,
)
from carrousel.bio.data import discover_windows, sequences_to_windows, training_set
from carrousel.bio.discover import Discovery, find_motifs, logo_libraries, render_report, write_logos
from carrousel.bio.errors import DiscoverConfigError, EvaluateConfigError
from carrousel.bio.evaluate import Evaluation, evaluate_windows
from carrousel.bio.formats import format_for, write_hits
from carrousel.bio.hits import ScanResult
from carrousel.bio.models import DanQ, DanQConfig, MotifModel
from carrousel.bio.motifs import parse_motifs, resolve_motifs, write_jaspar, write_meme
from carrousel.bio.scan import scan_genome
from carrousel.bio.training import fit_model
from carrousel.core.bundle import Bundle, is_bundle, load_bundle
from carrousel.core.errors import BundleError
from carrousel.core.io import atomic_dir, atomic_write_text
from carrousel.core.train import TrainConfig as TrainerConfig

__all__ = [
    "KIND",
    "TrainResult",
    "default_model_path",
    "discover",
    "evaluate",
    "from_pretrained",
    "load_model",
    "save_model",
    "scan",
    "train",
]

logger = logging.getLogger(__name__)

KIND = "bio.danq"
MOTIFS_FILE = "motifs.jaspar"
NULL_ARRAY = "null"


def default_model_path() -> Path:
    """Folder of the panel model shipped inside the package."""
    return Path(str(resources.files("carrousel.bio").joinpath("panel")))


# ------------------------------------------------------------------------------------------ models
def save_model(model: MotifModel, folder: str | Path) -> Path:
    """Saves a trained model as a ``bio.danq`` bundle, the folder written as a whole.

    Raises:
        BundleError: ``folder`` holds something other than a bundle, or a value is not finite.
        OutputError: the folder cannot be written.
    """
    bundle = Bundle(
        kind=KIND,
        model=model.model,
        assets={
            "outputs": [{"id": m.id, "name": m.name} for m in model.motifs],
            "calibration": {"tail_fraction": model.calibration.tail_fraction},
        },
        arrays={NULL_ARRAY: model.calibration.null.astype(np.float32)},
        files={MOTIFS_FILE: write_jaspar(model.motifs).encode("utf-8")},
        data=model.info,
    )
    return bundle.save(folder)


def load_model(path: str | Path | None = None, device: str = "cpu") -> MotifModel:
    """Loads a model saved by :func:`save_model` (default: the packaged 24-factor panel).

    Args:
        path: the model folder.
        device: where the network runs: ``"cpu"``, ``"cuda"`` or ``"auto"``.

    Raises:
        BundleError: the folder is missing, damaged, changed or not a carrousel-bio model.
    """
    folder = Path(path) if path is not None else default_model_path()
    if folder.is_dir() and not is_bundle(folder):
        old = (
            " (a model saved by an older carrousel: train it again)"
            if (folder / "config.json").is_file()
            else ""
        )
        raise BundleError(
            f"{folder} is not a carrousel-bio model folder (no bundle.json){old}; "
            "train one with 'bio train -o DIR', or leave out --model for the packaged panel"
        )
    bundle = load_bundle(folder, kind=KIND, map_location=device)
    network = bundle.model
    if not isinstance(network, DanQ) or MOTIFS_FILE not in bundle.files or NULL_ARRAY not in bundle.arrays:
        raise BundleError(
            f"{folder} lacks the network, motifs or calibration of a bio.danq model; train again"
        )
    source = str(folder / "assets" / MOTIFS_FILE)
    motifs = parse_motifs(bundle.files[MOTIFS_FILE].decode("utf-8"), ".jaspar", source)
    outputs = bundle.assets.get("outputs")
    if isinstance(outputs, list) and len(outputs) == len(motifs):
        # IDs and names as saved: a JASPAR header ends the name at its first space
        motifs = [
            replace(m, id=str(o.get("id", m.id)), name=str(o.get("name", m.name)))
            for m, o in zip(motifs, outputs, strict=True)
        ]
    null = np.asarray(bundle.arrays[NULL_ARRAY]).astype(np.float64)
    k = network.config.n_outputs
    if len(motifs) != k or null.ndim != 2 or null.shape[0] != k:
        raise BundleError(
            f"{folder}: {len(motifs)} motifs and a null of shape {null.shape} for {k} outputs; train again"
        )
    cal = bundle.assets.get("calibration", {})
    calibration = NullCalibration(null, float(cal.get("tail_fraction", 0.05)))
    return MotifModel(network, motifs, calibration, dict(bundle.data))


from_pretrained = load_model
"""Alias of :func:`load_model` (``from_pretrained(path)``, as other libraries name it)."""


# ------------------------------------------------------------------------------------------ scan
def scan(
    cfg: ScanConfig,
    genome: str | Path,
    out: str | Path | None = None,
    fmt: HitFormat | str | None = None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> ScanResult:
    """``bio scan``: finds sites in ``genome`` and writes the hits to ``out`` (when given).

    The model (``cfg.model``, or the packaged panel) is loaded for the model and both methods, and for a
    PWM scan without ``cfg.motifs`` (its motifs are scanned).

    Args:
        cfg: the scan options.
        genome: FASTA or FASTA.gz.
        out: hit file to write (atomically); None writes nothing.
        fmt: bed | gff3 | tsv | json (default: from ``out``'s extension, else BED).
        progress: called with the bases just scanned, after each chunk.
        total: called once with the genome's total bases.

    Returns:
        The :class:`~carrousel.bio.hits.ScanResult` (render it with :mod:`carrousel.bio.formats`).
    """
    kind = format_for(out, fmt)
    model = None
    if cfg.method is not Method.pwm or not cfg.motifs:
        model = load_model(cfg.model, device=cfg.device.value)
    result = scan_genome(genome, cfg, model=model, progress=progress, total=total)
    if out is not None:
        write_hits(result, kind, out)
    return result


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
    history: list[dict[str, float]] = field(default_factory=list, repr=False)  # per-epoch figures

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (without the history)."""
        return {
            "out": str(self.out),
            "tasks": self.tasks,
            "windows": self.windows,
            "motifs": self.motifs,
            "val": self.val,
            "epochs": self.epochs,
        }


def _check_out(out: Path, what: str, marker: str) -> None:
    """Refuses, before any work, an output folder that holds something other than an earlier output."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).exists())):
        raise BundleError(f"{out} exists and is not {what}; give a new or empty folder")


def train(cfg: TrainConfig, out: str | Path, command: str = "") -> TrainResult:
    """``bio train``: builds the training windows, fits and calibrates a DanQ model, saves it to ``out``.

    Nothing is written unless the whole run succeeds (the model folder is written as a whole).

    Args:
        cfg: data sources, network shape and fit settings.
        out: the model folder (new, empty, or an earlier model, replaced).
        command: the command line, kept in the model's provenance.
    """
    target = Path(out)
    _check_out(target, "a carrousel model", "bundle.json")
    named = resolve_motifs(list(cfg.data.motifs)) if cfg.data.motifs else []
    data = training_set(cfg.data, named, cfg.fit.seed)
    fit = cfg.fit
    trainer = TrainerConfig(
        epochs=fit.epochs,
        lr=fit.lr,
        device=fit.device.value,
        progress=False,
        seed=fit.seed,
        scheduler="cosine",
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
    )
    save_model(result.model, target)
    return TrainResult(
        out=target,
        tasks=int(data.y.shape[1]),
        windows=int(data.x.shape[0]),
        motifs=[m.id for m in result.model.motifs],
        val={k: round(float(v), 4) if math.isfinite(v) else None for k, v in result.metrics.items()},
        epochs=len(result.history),
        history=result.history,
    )


# ------------------------------------------------------------------------------------------ evaluate
def evaluate(cfg: EvaluateConfig) -> Evaluation:
    """``bio evaluate``: AUROC and AUPRC of a model and of the best single PWM on the same sequences.

    Raises:
        EvaluateConfigError: no positives or negatives, or PWMs only without motifs.
    """
    if cfg.positives is None or cfg.negatives is None:
        raise EvaluateConfigError("give both --positives and --negatives FASTA files")
    if cfg.pwm_only and not cfg.motifs:
        raise EvaluateConfigError("--pwm-only needs --motif")
    model = None if cfg.pwm_only else load_model(cfg.model, device=cfg.device.value)
    window = model.window if model is not None else 200
    _, pos = sequences_to_windows(cfg.positives, window)
    _, neg = sequences_to_windows(cfg.negatives, window)
    motifs = resolve_motifs(list(cfg.motifs)) if cfg.motifs else (model.motifs if model is not None else [])
    return evaluate_windows(model, pos, neg, motifs, cfg.task)


# ------------------------------------------------------------------------------------------ discover
def discover(cfg: DiscoverConfig, out: str | Path) -> Discovery:
    """``bio discover``: motifs from a model's filters, matched to JASPAR, written to ``out``.

    With ``cfg.sequences`` and no ``cfg.model`` a model is trained on them first (negatives:
    ``cfg.control`` or shuffled sequences) and saved in ``out/model``. The folder (``motifs.meme``,
    ``motifs.jaspar``, ``logos/ID.png``, ``report.md`` or ``report.html``, ``model/``) is written as a
    whole: a failed run leaves nothing, an earlier discover folder is replaced.

    Raises:
        DiscoverConfigError: neither a model nor sequences, or the model lies inside ``out``.
        MissingExtraError: logomaker / matplotlib (``carrousel-bio[discover]``) or pyjaspar is missing.
    """
    folder = Path(out)
    if cfg.model is None and cfg.sequences is None:
        raise DiscoverConfigError("give a model (--model) or sequences to train on (SEQUENCES --control)")
    if cfg.model is not None and Path(cfg.model).resolve().is_relative_to(folder.resolve()):
        raise DiscoverConfigError(
            f"--model {cfg.model} lies inside --out {folder}, which is replaced; use another --out"
        )
    _check_out(folder, "a bio discover folder", "motifs.meme")
    logo_libraries()  # a missing extra stops the run before any training
    targets = resolve_motifs(cfg.collection)
    with atomic_dir(folder) as tmp:
        if cfg.model is None:
            train_cfg = TrainConfig(
                data=TrainDataConfig(positives=cfg.sequences, negatives=cfg.control),
                fit=FitConfig(epochs=cfg.epochs, seed=cfg.seed),
            )
            train(train_cfg, tmp / "model", command="bio discover (training step)")
            model = load_model(tmp / "model")
        else:
            model = load_model(cfg.model)
        codes = discover_windows(model.window, cfg.sequences, model.motifs, cfg.seed)
        found = find_motifs(model.model, codes, targets, cfg.extraction)
        logos = write_logos(found.motifs, tmp / "logos") if found.motifs else {}
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
