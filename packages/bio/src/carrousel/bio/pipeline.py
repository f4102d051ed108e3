"""Training pipelines and the model bundle.

A bundle is a folder: the DanQ network (``config.json`` + ``model.safetensors`` through
:func:`carrousel.core.io.save_module`), its motifs (``motifs.jaspar``, one per output) and the null
calibration (``calibration.safetensors``: model logits on dinucleotide-shuffled background windows).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save
from torch.utils.data import DataLoader, TensorDataset

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import SynthConfig
from carrousel.bio.errors import ModelFileError, ScanConfigError
from carrousel.bio.fasta import one_hot
from carrousel.bio.models import DanQ, DanQConfig
from carrousel.bio.motifs import Motif, load_motif_file, write_jaspar
from carrousel.bio.synth import dinucleotide_shuffle
from carrousel.bio.task import MotifTask, rc_one_hot
from carrousel.core.io import atomic_write_bytes, atomic_write_text, load_module, read_config, save_module
from carrousel.core.train import Callback, TrainConfig, Trainer

__all__ = [
    "Bundle",
    "TrainOutcome",
    "default_model_path",
    "load_bundle",
    "predict_logits",
    "train_bundle",
]

logger = logging.getLogger(__name__)

MOTIFS_FILE = "motifs.jaspar"
CALIBRATION_FILE = "calibration.safetensors"


def default_model_path() -> Path:
    """Folder of the panel model shipped inside the package."""
    return Path(str(resources.files("carrousel.bio").joinpath("data", "panel")))


@dataclass
class Bundle:
    """A trained model with its motifs (one per output) and its null calibration."""

    model: DanQ
    motifs: list[Motif]
    calibration: NullCalibration
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def window(self) -> int:
        """Input window in bases."""
        return self.model.config.window

    def save(self, folder: str | Path) -> Path:
        """Writes the bundle atomically (file by file) into ``folder``."""
        out = Path(folder)
        save_module(self.model, out, extra={"bio": self.info})
        atomic_write_text(out / MOTIFS_FILE, write_jaspar(self.motifs))
        atomic_write_bytes(
            out / CALIBRATION_FILE, st_save({"null": self.calibration.null.astype(np.float32)})
        )
        return out

    def logits(self, codes: np.ndarray, batch_size: int = 512, rc_average: bool = True) -> np.ndarray:
        """``(N, W)`` codes -> ``(N, K)`` logits (mean of both strands' probabilities, as a logit)."""
        return predict_logits(self.model, codes, batch_size, rc_average)


def load_bundle(folder: str | Path, device: str = "cpu") -> Bundle:
    """Loads a bundle written by :meth:`Bundle.save`.

    Raises:
        ModelFileError: the folder is missing or incomplete.
    """
    p = Path(folder)
    if not (p / MOTIFS_FILE).is_file() or not (p / CALIBRATION_FILE).is_file():
        raise ModelFileError(
            f"{p} is not a carrousel-bio model folder (needs {MOTIFS_FILE}, {CALIBRATION_FILE})"
        )
    model = load_module(p, map_location=device)
    if not isinstance(model, DanQ):
        raise ModelFileError(f"{p} holds a {type(model).__name__}, not a DanQ model")
    model.eval()
    motifs = load_motif_file(p / MOTIFS_FILE)
    null = st_load((p / CALIBRATION_FILE).read_bytes())["null"].astype(np.float64)
    info = read_config(p).get("extra", {}).get("bio", {})
    return Bundle(model, motifs, NullCalibration(null), info)


@torch.no_grad()
def predict_logits(
    model: DanQ, codes: np.ndarray, batch_size: int = 512, rc_average: bool = True
) -> np.ndarray:
    """Runs the model over windows of codes, averaging probabilities over both strands.

    Args:
        model: the network (evaluation mode is set here).
        codes: ``(N, W)`` uint8 codes.
        batch_size: windows per forward pass.
        rc_average: also run the reverse complement and average the probabilities.

    Returns:
        ``(N, K)`` float64 logits.
    """
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, codes.shape[0], batch_size):
        x = torch.from_numpy(one_hot(codes[i : i + batch_size])).to(device)
        p = torch.sigmoid(model(x).float())
        if rc_average:
            p = 0.5 * (p + torch.sigmoid(model(rc_one_hot(x)).float()))
        out.append(torch.logit(p.clamp(1e-7, 1 - 1e-7), eps=None).double().cpu().numpy())
    if not out:
        return np.zeros((0, model.config.n_outputs))
    return np.concatenate(out)


class _LogEpochs(Callback):
    """Logs each epoch's figures at INFO level (``bio -v train`` shows them)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        shown = {k: round(v, 4) for k, v in logs.items() if k in ("train_loss", "val_loss", "val_auroc")}
        logger.info("epoch %d: %s", epoch + 1, shown)


@dataclass
class TrainOutcome:
    """What training returns: the bundle, its history and held-out figures."""

    bundle: Bundle
    history: list[dict[str, float]]
    metrics: dict[str, float]


def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    ds = TensorDataset(torch.from_numpy(one_hot(x)), torch.from_numpy(y.astype(np.float32)))
    g = torch.Generator().manual_seed(seed)
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=g if shuffle else None)


def train_bundle(
    x: np.ndarray,
    y: np.ndarray,
    motifs: list[Motif],
    model_config: DanQConfig | None = None,
    train_config: TrainConfig | None = None,
    val_fraction: float = 0.1,
    batch_size: int = 128,
    n_null: int = 4000,
    null_source: np.ndarray | None = None,
    seed: int = 0,
    info: dict[str, Any] | None = None,
    allow_no_motifs: bool = False,
    init_filters: bool = True,
    init_motifs: list[Motif] | None = None,
) -> TrainOutcome:
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
        info: extra metadata stored in the bundle (e.g. the command that trained it).
        allow_no_motifs: with no motifs, derive one per task from the trained filters.
        init_filters: seed the first convolution filters with the motifs' log-odds (both strands).
        init_motifs: motifs to seed the filters with instead of ``motifs``.

    Returns:
        A :class:`TrainOutcome` with validation ROC-AUC / PR-AUC.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ScanConfigError(f"training windows {x.shape} and labels {y.shape} do not match")
    if y.shape[1] != len(motifs) and not (allow_no_motifs and not motifs):
        raise ScanConfigError(f"{y.shape[1]} label columns but {len(motifs)} motifs")
    rng = np.random.default_rng(seed)
    W = x.shape[1]
    mcfg = model_config or DanQConfig(n_outputs=y.shape[1], window=W)
    tcfg = train_config or TrainConfig(epochs=8, lr=2e-3, device="cpu", progress=False, seed=seed)
    order = rng.permutation(x.shape[0])
    n_val = max(round(val_fraction * x.shape[0]), 1) if val_fraction > 0 else 0
    val_idx, tr_idx = order[:n_val], order[n_val:]
    torch.manual_seed(seed)
    model = DanQ(mcfg)
    seeds = init_motifs if init_motifs is not None else motifs
    if seeds and init_filters:
        from carrousel.bio.motifs import log_odds

        model.init_from_log_odds([torch.from_numpy(log_odds(m)).float() for m in seeds])
    trainer = Trainer(model, MotifTask(), tcfg, callbacks=[_LogEpochs()])
    val_loader = _loader(x[val_idx], y[val_idx], 512, False, seed) if n_val else None
    result = trainer.fit(_loader(x[tr_idx], y[tr_idx], batch_size, True, seed), val_loader)
    metrics = trainer.evaluate(val_loader) if val_loader is not None else {}
    model = model.cpu()
    if n_val and y.shape[1] > 1:  # the trainer's AUROC pools all tasks; add the mean of per-task AUROCs
        from carrousel.core.metrics import roc_auc

        lv, yv = predict_logits(model, x[val_idx]), y[val_idx]
        per = [
            roc_auc(torch.from_numpy(lv[:, k]), torch.from_numpy(yv[:, k]).long())
            for k in range(y.shape[1])
            if 0 < yv[:, k].sum() < yv.shape[0]
        ]
        if per:
            metrics["macro_auroc"] = float(np.mean(per))
    if not motifs:
        from carrousel.bio.discover import task_motif

        motifs = [task_motif(model, x[y[:, k] > 0], x[y[:, k] == 0], k) for k in range(y.shape[1])]
    src = null_source if null_source is not None else x[y.sum(axis=1) == 0]
    if src.shape[0] == 0:
        src = x
    picks = src[rng.integers(src.shape[0], size=n_null)]
    null_x = np.stack([dinucleotide_shuffle(w, rng) for w in picks])
    cal = NullCalibration.from_scores(predict_logits(model, null_x))
    meta = {"train": {k: v for k, v in asdict(tcfg).items() if isinstance(v, (int, float, str, type(None)))}}
    meta.update(info or {})
    meta["val"] = {k: float(v) for k, v in metrics.items()}
    return TrainOutcome(Bundle(model, list(motifs), cal, meta), result.history, metrics)


def motifs_to_json(motifs: list[Motif]) -> str:
    """Motif IDs and names as JSON (for summaries)."""
    buf = io.StringIO()
    json.dump([{"id": m.id, "name": m.name, "length": m.length} for m in motifs], buf)
    return buf.getvalue()


def train_from_sources(
    out: str | Path,
    motifs: list[str] | None = None,
    positives: str | Path | None = None,
    negatives: str | Path | None = None,
    peaks: str | Path | None = None,
    genome: str | Path | None = None,
    window: int = 200,
    per_motif: int = 400,
    n_negatives: int = 0,
    epochs: int = 8,
    lr: float = 2e-3,
    batch_size: int = 128,
    filters: int = 64,
    kernel: int = 19,
    hidden: int = 32,
    seed: int = 0,
    device: str = "cpu",
    command: str = "",
) -> dict[str, Any]:
    """``bio train``: builds the training windows from one of three sources, trains, saves the bundle.

    Sources: planted motifs (``motifs`` + ``genome``), ``positives`` + ``negatives`` FASTA (negatives
    default to dinucleotide-shuffled positives), or ``peaks`` + ``genome`` (GC-matched background).

    Returns:
        A JSON-ready summary (tasks, windows, validation metrics, output folder).
    """
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.synth import gc_matched_windows, genome_windows, merge_intervals, planted_dataset
    from carrousel.bio.train import peak_windows, read_bed, sequences_to_windows

    rng = np.random.default_rng(seed)
    named = resolve_motifs(motifs) if motifs else []
    null_source = None
    if positives is not None or peaks is not None:
        if positives is not None:
            _, pos = sequences_to_windows(positives, window)
        else:
            if genome is None:
                raise ScanConfigError("--peaks needs --genome to read the peak sequences from")
            pos = peak_windows(peaks, genome, window)  # type: ignore[arg-type]
        if negatives is not None:
            _, neg = sequences_to_windows(negatives, window)
        elif genome is not None:
            # Background windows never overlap a peak.
            exclude = (
                merge_intervals([(c, a, b) for c, a, b, _ in read_bed(peaks)]) if peaks is not None else None
            )
            neg = gc_matched_windows(genome, pos, 1, rng, exclude)
        else:
            neg = np.stack([dinucleotide_shuffle(w, rng) for w in pos])
        x = np.concatenate([pos, neg])
        y = np.concatenate([np.ones((pos.shape[0], 1)), np.zeros((neg.shape[0], 1))]).astype(np.float32)
        null_source = neg
        task_motifs = named[:1]  # the task's motif; every named motif seeds the filters
    else:
        if not named:
            raise ScanConfigError(
                "give --motif IDs (planted training), --positives/--negatives or --peaks/--genome"
            )
        if genome is None:
            raise ScanConfigError("planted training needs --genome for the background")
        n_neg = n_negatives or max(per_motif * len(named) // 4, 500)
        scfg = SynthConfig(
            window=window,
            n_per_motif=per_motif,
            n_shuffled=n_neg,
            n_background=n_neg,
            n_decoy=n_neg // 2,
            seed=seed,
        )
        x, y = planted_dataset(named, genome, scfg)
        # calibration null from fresh genome windows (not seen in training), shuffled in train_bundle
        null_source = genome_windows(genome, window, 4000, np.random.default_rng(seed + 1))
        task_motifs = named
    tcfg = TrainConfig(epochs=epochs, lr=lr, device=device, progress=False, seed=seed, scheduler="cosine")
    mcfg = DanQConfig(n_outputs=y.shape[1], filters=filters, kernel=kernel, hidden=hidden, window=window)
    info = {"command": command, "seed": seed, "windows": int(x.shape[0])}
    outcome = train_bundle(
        x,
        y,
        task_motifs or [],
        mcfg,
        tcfg,
        batch_size=batch_size,
        null_source=null_source,
        seed=seed,
        info=info,
        allow_no_motifs=True,
        init_motifs=named,
    )
    outcome.bundle.save(out)
    return {
        "out": str(out),
        "tasks": int(y.shape[1]),
        "windows": int(x.shape[0]),
        "motifs": [m.id for m in outcome.bundle.motifs],
        "val": {k: round(float(v), 4) for k, v in outcome.metrics.items()},
        "epochs": len(outcome.history),
    }
