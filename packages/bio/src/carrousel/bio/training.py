"""Fitting a DanQ model with :class:`carrousel.core.train.Trainer` on arrays of windows, and calibrating
it against background: dinucleotide-shuffled windows (the null a genome scan re-derives from its own
sequence) and, when the negatives are real sequence, the held-out negatives themselves (the null a scan of
a peak set needs: shuffles keep the peaks' composition, which the model also reads).

The held-out split is stratified by GC content within each class, so validation (early stopping, the
figures reported, the stored background null) sees the composition training saw. Optional
dinucleotide-shuffled copies of the training positives are added as negatives, so the network cannot
separate the classes by composition alone and has to read the motifs."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.discover import task_motif
from carrousel.bio.dna import gc_fraction
from carrousel.bio.errors import TrainingDataError
from carrousel.bio.fasta import one_hot
from carrousel.bio.models import DanQ, DanQConfig, MotifModel, predict_logits
from carrousel.bio.motifs import Motif, log_odds
from carrousel.bio.synth import dinucleotide_shuffle
from carrousel.bio.task import MotifTask
from carrousel.core.args import check_args
from carrousel.core.device import pin_memory_for
from carrousel.core.errors import DataError
from carrousel.core.metrics import roc_auc
from carrousel.core.train import Callback, Trainer, finite_parameters, fit_refusing, lr_fix, refuse_diverged
from carrousel.core.train import FitResult as TrainerResult
from carrousel.core.train import TrainConfig as TrainerConfig
from carrousel.core.train.distributed import leave_to_rank_zero

__all__ = ["MIN_BACKGROUND", "FitResult", "calibrate", "fit_model", "gc_stratified_split", "windows_loader"]

logger = logging.getLogger(__name__)

MIN_BACKGROUND = 50  # held-out background windows needed for a stored background null


class _LogEpochs(Callback):
    """Logs each epoch's figures at INFO level (``bio train -v`` shows them)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        shown = {k: round(v, 4) for k, v in logs.items() if k in ("train_loss", "val_loss", "val_auroc")}
        logger.info("epoch %d: %s", epoch + 1, shown)


@dataclass
class FitResult:
    """What fitting returns: the trained model (with motifs and calibration), its history and held-out
    figures."""

    model: MotifModel
    history: list[dict[str, float]]
    metrics: dict[str, float]
    best_epoch: int | None = None  # the epoch (from 1) with the best monitored figure
    monitor: str = "val_loss"  # the figure the trainer monitored (the learning curve draws it)


def gc_stratified_split(
    x: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Splits windows into ``(validation, training)`` indices, ``fraction`` of each class held out.

    Within each class (each distinct label row) the windows are ordered by GC content and every
    ``1/fraction``-th one is held out (random phase, ties in random order), so both sides share the
    class's GC distribution.

    Args:
        x: ``(N, W)`` uint8 codes.
        y: ``(N, K)`` labels.
        fraction: held-out fraction in [0, 1).
        rng: random generator.

    Returns:
        ``(val_idx, train_idx)``, each sorted.
    """
    if fraction <= 0 or x.shape[0] < 2:
        return np.zeros(0, dtype=np.int64), np.arange(x.shape[0])
    gc = gc_fraction(x)
    _, cls = np.unique(y > 0, axis=0, return_inverse=True)
    val: list[np.ndarray] = []
    for c in np.unique(cls):
        idx = np.flatnonzero(cls == c)
        idx = idx[np.lexsort((rng.random(idx.size), gc[idx]))]
        n = max(round(fraction * idx.size), 1) if idx.size > 1 else 0
        if n:
            picks = np.floor((np.arange(n) + rng.random()) * idx.size / n).astype(np.int64)
            val.append(idx[np.minimum(picks, idx.size - 1)])
    v = np.unique(np.concatenate(val)) if val else np.zeros(0, dtype=np.int64)
    return v, np.setdiff1d(np.arange(x.shape[0]), v)


@check_args
def windows_loader(
    x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int, pin_memory: bool = False
) -> DataLoader:
    """Batches ``(one-hot (B, 4, W), labels (B, K))`` of ``(N, W)`` codes and ``(N, K)`` labels, page-locked
    with ``pin_memory`` (for a trainer on CUDA: :func:`carrousel.core.device.pin_memory_for`)."""
    ds = TensorDataset(torch.from_numpy(one_hot(x)), torch.from_numpy(y.astype(np.float32)))
    g = torch.Generator().manual_seed(seed)
    return DataLoader(
        ds, batch_size=batch_size, shuffle=shuffle, generator=g if shuffle else None, pin_memory=pin_memory
    )


def _plain(value: Any) -> Any:
    """A trainer setting as strict JSON (non-finite numbers as None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@check_args
def calibrate(
    model: DanQ,
    null_source: np.ndarray,
    n_null: int,
    rng: np.random.Generator,
    background_windows: np.ndarray | None = None,
    want_background: bool = False,
) -> tuple[NullCalibration, NullCalibration | None]:
    """The model's nulls: its logits on ``n_null`` dinucleotide shuffles of windows drawn from
    ``null_source``, and on ``background_windows`` (real background never trained on) when there are at
    least :data:`MIN_BACKGROUND` of them (else None, with a warning when they were given or wanted)."""
    picks = null_source[rng.integers(null_source.shape[0], size=n_null)]
    null_x = np.stack([dinucleotide_shuffle(w, rng) for w in picks])
    cal = NullCalibration.from_scores(predict_logits(model, null_x))
    if background_windows is not None and background_windows.shape[0] >= MIN_BACKGROUND:
        return cal, NullCalibration.from_scores(predict_logits(model, background_windows))
    if want_background or background_windows is not None:
        logger.warning(
            "only %d held-out background windows (need %d): the model keeps no background null",
            0 if background_windows is None else background_windows.shape[0],
            MIN_BACKGROUND,
        )
    return cal, None


_DATA_SUFFIXES = frozenset(
    [
        ".gz",
        ".bgz",
        ".fa",
        ".fasta",
        ".fna",
        ".fas",
        ".seq",
        ".txt",
        ".bed",
        ".narrowpeak",
        ".broadpeak",
        ".bb",
        ".bigbed",
    ]
)


def _named_after_source(motifs: list[Motif], sources: Any) -> list[Motif]:
    """A single task motif read from the filters named after the positives (or peak) file it was trained
    on, its suffixes dropped (``ctcf_peaks`` of ``ctcf_peaks.fa.gz``, spaces as ``_``); its ID keeps the
    filter (``task0_filter24``), which discovery reads. Unchanged otherwise (several tasks, no file)."""
    src = sources.get("positives") or sources.get("peaks") if isinstance(sources, dict) else None
    path = src.get("path") if isinstance(src, dict) else None
    if len(motifs) != 1 or not isinstance(path, str):
        return motifs
    name = Path(path).name
    while Path(name).suffix.lower() in _DATA_SUFFIXES and Path(name).stem:
        name = Path(name).stem
    name = "_".join(name.split())
    m = motifs[0]
    return [Motif(m.id, name, m.counts, m.source)] if name else motifs


def _check_finite(model: DanQ, result: TrainerResult, fix: str, windows: np.ndarray) -> None:
    """Refuses a diverged network: weights, or its logits of some (finite, one-hot) ``windows``, NaN/inf (the
    trainer skips the steps whose loss or gradient is not finite, not a finite step so large that the
    weights, or the activations they make, overflow)."""
    finite = finite_parameters(model)
    if finite and windows.shape[0]:
        finite = bool(np.isfinite(predict_logits(model, windows[:512])).all())
    if not finite:
        refuse_diverged(result, "the network's weights or outputs are NaN or infinite", fix)


@check_args
def fit_model(
    x: np.ndarray,
    y: np.ndarray,
    motifs: list[Motif],
    model_config: DanQConfig | None = None,
    train_config: TrainerConfig | None = None,
    val_fraction: float = 0.1,
    batch_size: int = 128,
    n_null: int = 4000,
    null_source: np.ndarray | None = None,
    seed: int = 0,
    info: dict[str, Any] | None = None,
    allow_no_motifs: bool = False,
    init_filters: bool = True,
    init_motifs: list[Motif] | None = None,
    shuffled_negatives: bool = False,
    held_out_background: bool = False,
    background_windows: np.ndarray | None = None,
) -> FitResult:
    """Trains a DanQ model on windows and calibrates it against dinucleotide-shuffled background.

    Args:
        x: ``(N, W)`` uint8 codes.
        y: ``(N, K)`` 0/1 labels, one column per motif/task.
        motifs: one motif per task (used to report PWM p-values of model sites and for discovery).
        model_config: network shape (default: ``DanQConfig(K, window=W)``).
        train_config: trainer options (default: 8 epochs, lr 2e-3, on CPU unless set).
        val_fraction: held-out fraction for validation metrics and early stopping.
        batch_size: windows per batch.
        n_null: shuffled background windows for the calibration.
        null_source: ``(M, W)`` windows to shuffle for the null (default: the negatives of ``x``).
        seed: seed for the split, the shuffles and training.
        info: provenance stored with the model (e.g. the command that trained it).
        allow_no_motifs: with no motifs, derive one per task from the trained filters (ID
            ``task{k}_filter{f}``; one task trained on a positives FASTA or a peak file that ``info``'s
            ``sources`` names is named after the file: ``ctcf_peaks`` of ``ctcf_peaks.fa.gz``).
        init_filters: seed the first convolution filters with the motifs' log-odds (both strands).
        init_motifs: motifs to seed the filters with instead of ``motifs``.
        shuffled_negatives: add a dinucleotide shuffle of every training positive as a negative.
        held_out_background: the negatives are real sequence: their held-out part is stored as the
            model's background null (what a scan of a peak set is calibrated against).
        background_windows: ``(M, W)`` real background windows never trained on, stored (as scored) as
            the background null in preference to the held-out negatives (fresh genome windows).

    Returns:
        A :class:`FitResult` with validation ROC-AUC / PR-AUC (and the mean per-task ROC-AUC).

    Raises:
        TrainingDataError: windows, labels and motifs that do not match.
        NonFiniteLossError: the trained weights or outputs are NaN or infinite, or an optimiser step
            overflowed them (a diverged training), naming --lr.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise TrainingDataError(f"training windows {x.shape} and labels {y.shape} do not match")
    if y.shape[1] != len(motifs) and not (allow_no_motifs and not motifs):
        raise TrainingDataError(f"{y.shape[1]} label columns but {len(motifs)} motifs")
    rng = np.random.default_rng(seed)
    W = x.shape[1]
    mcfg = model_config or DanQConfig(n_outputs=y.shape[1], window=W)
    tcfg = train_config or TrainerConfig(epochs=8, lr=2e-3, device="cpu", progress=False, seed=seed)
    val_idx, tr_idx = gc_stratified_split(x, y, val_fraction, rng)
    n_val = int(val_idx.size)
    x_tr, y_tr = x[tr_idx], y[tr_idx]
    if shuffled_negatives:
        pos = x_tr[y_tr.sum(axis=1) > 0]
        shuffled = np.stack([dinucleotide_shuffle(w, rng) for w in pos]) if pos.size else pos
        x_tr = np.concatenate([x_tr, shuffled])
        y_tr = np.concatenate([y_tr, np.zeros((shuffled.shape[0], y.shape[1]), dtype=y.dtype)])
    torch.manual_seed(seed)
    model = DanQ(mcfg)
    seeds = init_motifs if init_motifs is not None else motifs
    if seeds and init_filters:
        model.init_from_log_odds([torch.from_numpy(log_odds(m)).float() for m in seeds])
    logs = [] if tcfg.progress else [_LogEpochs()]  # the progress bar logs each epoch itself
    trainer = Trainer(model, MotifTask(), tcfg, callbacks=logs)
    pin = pin_memory_for(trainer.device)
    val_loader = windows_loader(x[val_idx], y[val_idx], 512, False, seed, pin) if n_val else None
    fix = lr_fix("fit.lr", tcfg.lr)  # fit.lr, --lr in a command
    try:  # weights and outputs checked below (_check_finite)
        result = fit_refusing(
            trainer, windows_loader(x_tr, y_tr, batch_size, True, seed, pin), val_loader, fix, False
        )
    except DataError:  # the validation scores are NaN/inf: the one-hot windows are finite, the network?
        _check_finite(model, trainer.result(), fix, x[val_idx])
        raise
    _check_finite(model, result, fix, x[val_idx] if n_val else x_tr)
    metrics = trainer.evaluate(val_loader) if val_loader is not None else {}
    leave_to_rank_zero()  # the per-task AUROCs, motifs and null calibration below: rank zero's alone
    model = model.cpu()
    if n_val and y.shape[1] > 1:  # the trainer's AUROC pools all tasks; add the mean of per-task AUROCs
        lv, yv = predict_logits(model, x[val_idx]), y[val_idx]
        per = [
            roc_auc(torch.from_numpy(lv[:, k]), torch.from_numpy(yv[:, k]).long())
            for k in range(y.shape[1])
            if 0 < yv[:, k].sum() < yv.shape[0]
        ]
        if per:
            metrics["macro_auroc"] = float(np.mean(per))
    from_filters = not motifs  # recorded: discovery then reads plain genome windows, not planted ones
    if not motifs:
        motifs = [task_motif(model, x[y[:, k] > 0], x[y[:, k] == 0], k) for k in range(y.shape[1])]
        motifs = _named_after_source(motifs, (info or {}).get("sources"))
    src = null_source if null_source is not None else x[y.sum(axis=1) == 0]
    bg_windows = background_windows
    if bg_windows is None and held_out_background and n_val:
        bg_windows = x[val_idx][y[val_idx].sum(axis=1) == 0]
    cal, background = calibrate(
        model, src if src.shape[0] else x, n_null, rng, bg_windows, held_out_background
    )
    trainer_settings = {
        k: _plain(v) for k, v in asdict(tcfg).items() if isinstance(v, int | float | str | type(None))
    }
    meta: dict[str, Any] = {"train": trainer_settings}
    meta.update(info or {})
    meta["motifs_from_filters"] = from_filters
    meta["val"] = {k: _plain(float(v)) for k, v in metrics.items()}
    if background is not None:
        meta["background_null"] = int(background.null.shape[1])
    model_out = MotifModel(model, list(motifs), cal, meta, background)
    return FitResult(model_out, result.history, metrics, result.best_epoch, result.monitor)
