"""The pruned variant of ``bio export --prune F``: a DanQ network with fewer LSTM units, fine-tuned on its
training windows, with its nulls recomputed.

Steps: core's :func:`~carrousel.core.prune.prune_and_finetune` (shared with ``nlp sentiment export`` and
``finance export``) removes the share ``F`` of the BiLSTM's units (both directions; the head's columns
that read them sliced, its convolution-feature columns kept) and fine-tunes the smaller network with the
training task (:class:`~carrousel.bio.task.MotifTask`, the labels of the windows) through the Trainer,
with early stopping on a GC-stratified held-out fifth. The windows are, in order of preference: the
``--train-positives`` (and ``--train-negatives``) FASTA given; the files the model records that it was
trained on (positives/negatives FASTA, or peaks on a genome; when still there with the same checksum); or
the model's motifs planted in the genome it records (default: the E. coli sample), as ``bio train
--motif`` (and the packaged panel) trains. A p-value reads the model's logits
against its nulls, so both are recomputed for the pruned network: the shuffled null from the same source
of windows and, where the full model has one, the background null from real background windows never
trained on (the planted set's fresh genome windows or the held-out negatives): a background null changes
how a peak-set scan calls, so the pruned model keeps the full one's kind of calls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.config import ExportConfig, TrainDataConfig
from carrousel.bio.data import TrainingSet, training_set
from carrousel.bio.errors import ExportConfigError
from carrousel.bio.models import DanQ, MotifModel
from carrousel.bio.task import MotifTask
from carrousel.bio.training import calibrate, gc_stratified_split, windows_loader
from carrousel.core.args import check_args
from carrousel.core.bundle import file_sha256
from carrousel.core.device import pin_memory_for
from carrousel.core.nn import RecurrentConfig
from carrousel.core.option_names import named_path, option
from carrousel.core.prune import prune_and_finetune
from carrousel.core.train import TrainConfig

__all__ = ["PrunedMotifModel", "finetune_windows", "pruned_model", "with_nulls"]

logger = logging.getLogger(__name__)

VAL_FRACTION = 0.2  # held-out share of the fine-tuning windows (bio train's default)
LR = 1e-3  # fine-tuning learning rate (a fifth of the panel's training rate), cosine schedule
PATIENCE = 2  # epochs without a lower held-out loss before fine-tuning stops (best epoch kept)
BATCH = 128  # windows per batch


@dataclass(frozen=True)
class PrunedMotifModel:
    """The pruned model (network, motifs, recomputed nulls) and how it was made."""

    model: MotifModel
    summary: dict[str, Any]


_ROLES = ("positives", "negatives", "peaks", "genome")  # the training files a model's provenance records


def _recorded(model: MotifModel) -> dict[str, str] | None:
    """The files the model records as its training data (``positives``, ``negatives``, ``peaks``,
    ``genome``), when every one is still there unchanged; None when one is gone or changed."""
    sources = model.info.get("sources")
    paths: dict[str, str] = {}
    for role in _ROLES:
        entry = sources.get(role) if isinstance(sources, dict) else None
        if not isinstance(entry, dict):
            continue
        path = str(entry.get("path", ""))
        if not Path(path).is_file() or file_sha256(path) != entry.get("sha256"):
            logger.info("the model's training %s %s is gone or changed; not used", role, path)
            return None
        paths[role] = path
    return paths


def finetune_windows(model: MotifModel, cfg: ExportConfig) -> tuple[TrainingSet, str]:
    """The labelled windows the pruned network is fine-tuned on, and a line saying where they came from.

    Raises:
        ExportConfigError: windows whose labels do not match the model's outputs, or no source of
            windows (a model trained on FASTA files that are gone, without ``--train-positives``).
        TrainingDataError / FastaFormatError: unusable FASTA files.
    """
    seed = int(model.info.get("seed", 0))
    k = model.model.config.n_outputs
    if cfg.train_positives is not None:
        if k != 1:
            raise ExportConfigError(
                f"{option('train_positives')}: FASTA windows fine-tune a one-output model only; this model has {k} "
                "outputs (leave the option out: it is fine-tuned on its recorded or planted windows)"
            )
        data = TrainDataConfig(
            positives=cfg.train_positives, negatives=cfg.train_negatives, window=model.window
        )
        where = named_path(cfg.train_positives, option("train_positives")) + (
            f" and {named_path(cfg.train_negatives, option('train_negatives'))}"
            if cfg.train_negatives
            else ""
        )
    elif (files := _recorded(model)) is not None and ("positives" in files or "peaks" in files):
        data = TrainDataConfig(window=model.window, **files)  # type: ignore[arg-type]
        where = f"the model's training files ({', '.join(files.values())})"
    elif files is not None and all(m.source != "model" for m in model.motifs):
        data = TrainDataConfig(window=model.window, genome=files.get("genome"))
        genome = files.get("genome", "the E. coli sample")
        where = f"the model's {k} motifs planted in {genome} (as bio train --motif)"
    else:
        raise ExportConfigError(
            "the model's training files are gone or changed; give the windows to fine-tune "
            f"the pruned network on with {option('train_positives', metavar='FILE')} "
            f"[{option('train_negatives', metavar='FILE')}]"
        )
    named = list(model.motifs) if data.positives is None and data.peaks is None else []
    windows = training_set(data, named, seed)
    if windows.y.shape[1] != k:
        raise ExportConfigError(
            f"{where}: windows of {windows.y.shape[1]} task(s) for a model of {k} outputs; FASTA files "
            "fine-tune a one-output model only"
        )
    return windows, where


@check_args
def pruned_model(full: MotifModel, cfg: ExportConfig, progress: bool = False) -> PrunedMotifModel:
    """``full``'s network with ``cfg.prune`` of its LSTM units removed, fine-tuned on its training windows
    (:func:`finetune_windows`), with its nulls recomputed; ``progress``: the trainer's bar on stderr while it
    fine-tunes (as :func:`carrousel.bio.pipeline.train`).

    Raises:
        ExportConfigError: see :func:`finetune_windows`.
    """
    data, where = finetune_windows(full, cfg)
    seed = int(full.info.get("seed", 0))
    rng = np.random.default_rng(seed)
    val, train = gc_stratified_split(data.x, data.y, VAL_FRACTION, rng)
    logger.info("fine-tuning on %d windows of %s (%d held out)", train.size, where, val.size)
    net = full.model
    trainer = TrainConfig(
        epochs=cfg.finetune_epochs,
        lr=LR,
        scheduler="cosine",
        device="auto",  # fine-tuning on a GPU where there is one; the pruned model comes back on CPU
        progress=progress,
        seed=seed,
        patience=PATIENCE,
        restore_best=True,
    )

    def rebuild(encoder: RecurrentConfig) -> DanQ:
        return DanQ(replace(net.config, hidden=encoder.hidden_size))

    pin = pin_memory_for(trainer.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
    pruned = prune_and_finetune(
        net,
        cfg.prune,
        MotifTask(),
        windows_loader(data.x[train], data.y[train], BATCH, True, seed, pin),
        windows_loader(data.x[val], data.y[val], 512, False, seed, pin),
        trainer,
        rebuild=rebuild,
        encoder="rnn",
        readers={"head.weight": 0},  # the head reads [LSTM max over time (2H), detector maxima (F)]
    )
    student = pruned.model
    assert isinstance(student, DanQ)
    return with_nulls(full, student, data, val, train, where, rng, "pruned", pruned.summary)


def with_nulls(
    full: MotifModel,
    student: DanQ,
    data: TrainingSet,
    val: np.ndarray,
    train: np.ndarray,
    where: str,
    rng: np.random.Generator,
    key: str,
    summary: dict[str, Any],
) -> PrunedMotifModel:
    """``full`` with the smaller ``student`` network and its nulls recomputed (the pruned and the distilled
    variants): the shuffled null from the same source of windows and, only where ``full`` has one, the
    background null; ``summary`` (with the windows and nulls added) recorded in the model's info under
    ``key``."""
    background = None  # a background null only where the full model has one (it sets the scan's rule)
    if full.background is not None:
        background = data.background
        if background is None and data.real_negatives:
            background = data.x[val][data.y[val].sum(axis=1) == 0]
    n_null = int(full.calibration.null.shape[1])
    cal, bg = calibrate(student, data.null_source, n_null, rng, background, full.background is not None)
    summary = {
        **summary,
        "windows": {"train": int(train.size), "held_out": int(val.size), "source": where},
        "nulls": {"shuffled": n_null, "background": None if bg is None else int(bg.null.shape[1])},
    }
    info = {**full.info, key: summary}
    if bg is not None:
        info["background_null"] = int(bg.null.shape[1])
    else:
        info.pop("background_null", None)
    return PrunedMotifModel(MotifModel(student, list(full.motifs), cal, info, bg), summary)
