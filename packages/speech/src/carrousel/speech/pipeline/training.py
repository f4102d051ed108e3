"""``speech train``: fits a CTC recogniser (or fine-tunes one, ``init_from``) and writes its bundle."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from carrousel.core.bundle import BUNDLE_FILE
from carrousel.core.curves import can_plot, finite_history, history_writer
from carrousel.core.device import check_precision, pin_memory_for
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.core.train import Callback, Trainer, fit_refusing, lr_fix
from carrousel.core.train import TrainConfig as CoreTrainConfig
from carrousel.speech.audio import read_audio
from carrousel.speech.config import TrainConfig
from carrousel.speech.data import (
    SpeechDataset,
    Utterance,
    load_corpora,
    make_loader,
    split_utterances,
    trainable,
    with_durations,
)
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.longform import Progress, no_progress
from carrousel.speech.models import CTCModelConfig, build_model
from carrousel.speech.pipeline.common import use_threads
from carrousel.speech.plots import PLOT_EXTRA
from carrousel.speech.recognizer import KIND, Recognizer
from carrousel.speech.task import CTCTask
from carrousel.speech.text import UNWRITABLE_TRAINING, Alphabet, warn_unwritable
from carrousel.speech.train_checks import left_out, refuse_feature_files, refuse_no_training
from carrousel.speech.training_record import resolved_corpora

__all__ = ["TrainResult", "train"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` did."""

    out: str  # model folder (a bundle)
    utterances: int  # training utterances used
    val_utterances: int  # validation utterances
    dropped: dict[str, int]  # training utterances left out, by reason
    audio_hours: float  # training audio per epoch
    epochs: int  # epochs run
    steps: int  # optimiser steps
    best_epoch: int | None  # epoch whose weights were kept (lowest val CER, then val loss)
    val_cer: float | None  # validation CER (greedy) of the kept weights
    parameters: int  # model parameters
    elapsed: float  # wall-clock seconds
    audio_seconds_per_second: float  # training throughput
    history: list[dict[str, float | None]]  # per-epoch logs (None: a non-finite figure)
    precision: str = "fp32"  # training arithmetic (fp32, or bf16/fp16 autocast; the weights stay float32)


class _Progress(Callback):
    needs_batch_figures = False  # advances a bar: no batch figure is read for it (no host read a step)

    def __init__(self, advance: Callable[[float], None]) -> None:
        self.advance = advance

    def on_batch_end(self, trainer: Trainer, batch_idx: int, logs: dict[str, float]) -> None:
        self.advance(1)

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        shown = {k: round(v, 4) for k, v in logs.items() if k in ("train_loss", "val_loss", "val_cer")}
        logger.info("epoch %d: %s", epoch + 1, shown)


def _feature_stats(utts: list[Utterance], fx: FeatureExtractor, seed: int) -> tuple[np.ndarray, np.ndarray]:
    picked = random.Random(seed).sample(utts, min(len(utts), 200))
    frames = [fx.raw(read_audio(u.path, fx.config.sample_rate, allow_silent=True)) for u in picked]
    allf = torch.cat([f for f in frames if len(f)]).double()
    return allf.mean(0).float().numpy(), allf.std(0).clamp_min(1e-3).float().numpy()


def _init_model(path: str | None) -> Recognizer | None:
    """The recogniser to fine-tune (``--init-from``), or None."""
    if path is None:
        return None
    return Recognizer.from_pretrained(path, "cpu")


def train(cfg: TrainConfig, out: str | Path, progress: Progress | None = None) -> TrainResult:
    """``speech train``: fits a CTC model and writes it to ``out`` as a bundle.

    With ``cfg.init_from`` it fine-tunes that model: its weights, architecture, alphabet, front end and
    feature statistics are kept (transcripts with other characters are left out), the rest of ``cfg``
    (data, epochs, learning rate, augmentation) applies as for a new model.

    Raises:
        ConfigError: a ``cfg.precision`` that ``cfg.device`` cannot run (before any work).
        CorpusError: no usable training utterance.
        BundleError: ``cfg.init_from`` is not a recogniser bundle.
    """
    out = user_path(out)  # a Python caller's "~/models/asr" (as a shell expands it)
    start = time.perf_counter()
    check_precision(cfg.precision, cfg.device)
    check_output_dir(out, option("out"), marker=BUNDLE_FILE, kind=KIND)  # before any work
    plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
    use_threads(cfg.threads)
    utts = with_durations(load_corpora(cfg.data, cfg.max_utterances, cfg.seed))
    refuse_feature_files(utts, cfg.data)  # before: "not readable audio" on the first .mfc
    if cfg.val_data:
        train_utts, val_utts = utts, with_durations(load_corpora(cfg.val_data, name="val_data"))
    else:
        train_utts, val_utts = split_utterances(utts, cfg.val_fraction, cfg.seed)
    init = _init_model(cfg.init_from)
    alphabet = init.alphabet if init else Alphabet.from_texts((u.text for u in train_utts), cfg.subwords)
    fx0 = FeatureExtractor(init.features if init else cfg.features)
    frame_seconds = fx0.frame_seconds * (init.model.subsample if init else cfg.subsample)
    if init:  # its alphabet is kept: another letter is left out of the targets (before: silently)
        fix = UNWRITABLE_TRAINING.format(init_from=option("init_from"))
        warn_unwritable((u.text for u in train_utts), alphabet, "training", fix)
    train_utts, dropped = trainable(train_utts, alphabet, frame_seconds, cfg.max_seconds)
    split_off = [] if cfg.val_data else val_utts
    val_utts, val_dropped = trainable(val_utts, alphabet, frame_seconds, cfg.max_seconds)
    if not train_utts:
        refuse_no_training(
            cfg.data, split_off, dropped, cfg.max_seconds, None if cfg.val_data else val_dropped
        )
    if any(dropped.values()):
        logger.warning("left out of training: %s", left_out(dropped))
    if any(val_dropped.values()):  # before: silently
        logger.warning("left out of validation: %s", left_out(val_dropped))
    mean, std = (init.mean, init.std) if init else _feature_stats(train_utts, fx0, cfg.seed)
    features = fx0.config
    fx = FeatureExtractor(features, torch.from_numpy(mean), torch.from_numpy(std))
    train_set = SpeechDataset(train_utts, fx, alphabet, cfg.augment, cfg.seed)
    pin = pin_memory_for(cfg.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
    loader = make_loader(train_set, cfg.batch_seconds, True, cfg.seed, cfg.workers, pin)
    val_set = SpeechDataset(val_utts, fx, alphabet) if val_utts else None
    val_loader = (
        make_loader(val_set, cfg.batch_seconds, False, pin_memory=pin) if val_set is not None else None
    )
    torch.manual_seed(cfg.seed)
    model_cfg = CTCModelConfig(
        n_features=cfg.features.size,
        n_classes=alphabet.size,
        hidden=cfg.hidden,
        layers=cfg.layers,
        bidirectional=cfg.bidirectional,
        conv_channels=cfg.conv_channels,
        subsample=cfg.subsample,
        dropout=cfg.dropout,
    )
    if init:
        model_cfg = replace(init.model.config, dropout=cfg.dropout)
    model = build_model(model_cfg)
    if init:
        model.load_state_dict(init.model.state_dict())
        logger.info("fine-tuning %s (its architecture, alphabet and front end)", cfg.init_from)
    core_cfg = CoreTrainConfig(
        epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        lr=cfg.lr,
        scheduler="onecycle",
        warmup_pct=0.15,
        grad_clip_norm=5.0,
        device=cfg.device,
        monitor="val_cer" if val_loader is not None else "train_loss",
        tie_break="val_loss" if val_loader is not None else None,  # epochs of one CER: the lower loss
        seed=cfg.seed,
        progress=False,
        precision=cfg.precision,  # type: ignore[arg-type]  # checked by TrainConfig: fp32 | bf16 | fp16
    )
    steps = min(cfg.epochs * len(loader), cfg.max_steps or math.inf)
    with (progress or no_progress)("training", float(steps)) as advance:
        trainer = Trainer(model, CTCTask(alphabet), core_cfg, callbacks=[_Progress(advance)])
        fix = lr_fix("lr", cfg.lr)  # a diverged fit: one line naming lr (--lr in a command)
        fit = fit_refusing(trainer, loader, val_loader, fix)
    lm_text = "".join(f"{u.text}\n" for u in train_utts if u.text)  # the model's own word LM: its transcripts
    recognizer = Recognizer(model.to("cpu").eval(), alphabet, features, mean, std, lm_text)
    seconds = float(sum(u.seconds or 0.0 for u in train_utts))
    elapsed = time.perf_counter() - start
    epochs_run = len(fit.history)
    fitted = sum(h.get("epoch_time", 0.0) for h in fit.history) or elapsed
    best = fit.history[fit.best_epoch - 1] if fit.best_epoch else {}
    result = TrainResult(
        out=str(out),
        utterances=len(train_utts),
        val_utterances=len(val_utts),
        dropped=dropped,
        audio_hours=round(seconds / 3600, 3),
        epochs=epochs_run,
        steps=fit.steps,
        best_epoch=fit.best_epoch,
        val_cer=round(best["val_cer"], 4) if "val_cer" in best else None,
        parameters=sum(p.numel() for p in model.parameters()),
        elapsed=round(elapsed, 1),
        audio_seconds_per_second=round(seconds * epochs_run / fitted, 1),
        history=finite_history(fit.history, digits=6),  # an epoch of skipped steps: None, never NaN
        precision=cfg.precision,
    )
    provenance = {"corpora": list(cfg.data), "train": {k: v for k, v in asdict(result).items() if k != "out"}}
    provenance["config"] = {k: v for k, v in asdict(cfg).items() if k not in ("data",)}
    provenance["resolved"] = {
        "corpora": resolved_corpora(cfg.data),
        "val_data": resolved_corpora(cfg.val_data),
    }
    net = model_cfg
    title = (
        f"speech train: CTC {'Bi' if net.bidirectional else ''}LSTM ({net.layers} x {net.hidden} units, "
        f"{alphabet.size} output units) on {', '.join(cfg.data)} ({len(train_utts)} "
        f"utterances, {seconds / 3600:.2f} h)" + (f", fine-tuned from {cfg.init_from}" if init else "")
    )
    report = history_writer(fit, title, plot)  # history.csv and training.png, written with the bundle
    recognizer.to_bundle(provenance).save(out, also=report)
    return result
