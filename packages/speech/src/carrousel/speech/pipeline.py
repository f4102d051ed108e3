"""One function per command, ``config -> result``: the only entry the CLI calls.

Each writes every file its command makes (the corpus folder of :func:`synth_corpus`, the model bundle
of :func:`train`), so a Python caller gets the same outputs as the CLI, and returns a result dataclass
the CLI renders. ``progress`` is an optional factory ``progress(description, total)`` -> context
manager yielding ``advance(n)`` (the CLI passes :func:`carrousel.core.cli.progress`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.bundle import BUNDLE_FILE
from carrousel.core.curves import can_plot, finite_history, history_writer
from carrousel.core.device import check_precision, pin_memory_for
from carrousel.core.files import check_output_dir
from carrousel.core.listed import check_listed
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.core.train import Callback, Trainer, fit_refusing, lr_fix
from carrousel.core.train import TrainConfig as CoreTrainConfig
from carrousel.speech import synth
from carrousel.speech.audio import audio_info, read_audio
from carrousel.speech.config import EvaluateConfig, StreamConfig, SynthConfig, TrainConfig, TranscribeConfig
from carrousel.speech.data import (
    SpeechDataset,
    Utterance,
    load_corpora,
    make_loader,
    split_utterances,
    trainable,
    with_durations,
)
from carrousel.speech.decoding import unusable_hotwords
from carrousel.speech.errors import AudioError, SilentAudioError
from carrousel.speech.features import FeatureExtractor
from carrousel.speech.lm import WordLM, load_lm
from carrousel.speech.longform import Progress, no_progress, transcription_progress
from carrousel.speech.metrics import ErrorCounts, UtteranceScore, error_rates, score_utterance
from carrousel.speech.models import CTCModelConfig, build_model
from carrousel.speech.plots import PLOT_EXTRA
from carrousel.speech.recognizer import KIND, Recognizer, shipped_model_path
from carrousel.speech.streaming import refuse_features, stream_file
from carrousel.speech.task import CTCTask
from carrousel.speech.text import UNWRITABLE_REFERENCE, UNWRITABLE_TRAINING, Alphabet, warn_unwritable
from carrousel.speech.train_checks import left_out, refuse_feature_files, refuse_no_training
from carrousel.speech.training_record import resolved_corpora
from carrousel.speech.transcripts import Partial, Transcript

__all__ = [
    "EvaluationResult",
    "TrainResult",
    "evaluate",
    "load_model",
    "stream",
    "synth_corpus",
    "train",
    "transcribe",
]

logger = logging.getLogger(__name__)
_CHUNKED = "longer than --chunk-seconds: read in chunks, without --nbest alternatives (raise --chunk-seconds)"


def _threads(n: int | None) -> None:
    if n is not None:
        torch.set_num_threads(n)


def load_model(path: str | Path | None = None, device: str = "cpu", precision: str = "fp32") -> Recognizer:
    """A recogniser bundle (None: the shipped English model), run in ``precision`` (fp32, bf16, fp16)."""
    return Recognizer.from_pretrained(path, device, precision)


def synth_corpus(cfg: SynthConfig, progress: Progress | None = None) -> synth.SynthResult:
    """``speech synth-corpus``: writes ``cfg.out`` (manifest.tsv + wav/) and returns what it holds."""
    with (progress or no_progress)("synthesising", float(cfg.utterances)) as advance:
        return synth.synth_corpus(cfg, advance)


# ------------------------------------------------------------------------------------------------ train
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
    _threads(cfg.threads)
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
    val_utts, _ = trainable(val_utts, alphabet, frame_seconds, cfg.max_seconds)
    if not train_utts:
        refuse_no_training(cfg.data, [] if cfg.val_data else val_utts, dropped)
    if any(dropped.values()):
        logger.warning("left out of training: %s", left_out(dropped))
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


# ------------------------------------------------------------------------------------ transcribe etc.
def _lm(cfg: TranscribeConfig, recognizer: Recognizer) -> WordLM | None:
    d = cfg.decode
    if d.lm:
        return load_lm(d.lm, d.lm_order)
    return recognizer.word_lm(d.lm_order) if d.uses_beam and d.model_lm else None


def _check_hotwords(cfg: TranscribeConfig, recognizer: Recognizer) -> None:
    """Warns once, naming them, of the hotwords the model cannot spell (the decoder ignores them)."""
    if bad := unusable_hotwords(cfg.decode.hotwords, recognizer.alphabet):
        named = "; ".join(f"{w!r} ({why})" for w, why in bad.items())
        logger.warning("hotwords ignored, the model cannot spell them: %s; check their spelling", named)


def _silent(path: str) -> bool:
    """True when the recording ``path`` holds no sound (digital silence or a constant level)."""
    with contextlib.suppress(SilentAudioError):
        read_audio(path, audio_info(path).sample_rate)  # another error is the file's, raised as such
        return False
    return True


@check_args
def transcribe(
    cfg: TranscribeConfig,
    paths: Sequence[str | os.PathLike[str]],
    progress: Progress | None = None,
    skip_errors: bool = False,
    recognizer: Recognizer | None = None,
    no_speech: frozenset[str] = frozenset(),
) -> list[Transcript]:
    """``speech transcribe``: every file's transcript, in order (``progress``: see ``transcription_progress``).

    ``skip_errors`` (the CLI's batches of several files): a file that cannot be read is returned in its
    place as a transcript with ``error`` set (the caller reports it), and the run goes on. ``recognizer``:
    the model of ``cfg`` already loaded (``evaluate``'s), not loaded again. ``no_speech``: paths whose right
    answer is nothing (``evaluate``'s empty transcripts); one that is silent is transcribed as nothing.

    Raises:
        AudioError: one path (or None) instead of a list; a file is empty, corrupt, silent or too long (the
            first one stops the run), unless ``skip_errors``.
        BundleError: the model cannot be loaded.
    """
    check_listed(paths, (str, bytes, os.PathLike), AudioError, "path", show=True)  # one: letter by letter
    files = [os.fspath(p) for p in paths]  # a Path was an AttributeError ('endswith') in the progress set-up
    _threads(cfg.threads)
    recognizer = recognizer or load_model(cfg.model, cfg.device, cfg.precision)
    lm = _lm(cfg, recognizer)
    _check_hotwords(cfg, recognizer)
    out: list[Transcript] = []
    skip = skip_errors or bool(no_speech)  # no_speech: each bad file judged below, the first other one raised
    with transcription_progress(progress, files, cfg.chunk_seconds) as (advance, on_chunk):
        args = (cfg.decode, lm, cfg.chunk_seconds, cfg.max_seconds, cfg.batch_size, cfg.trim, skip, on_chunk)
        for t in recognizer.transcribe_files(files, *args):
            if t.error is not None and t.path in no_speech and _silent(t.path):
                t = Transcript(t.path, "", (), audio_info(t.path).seconds)  # nothing, as its transcript says
            elif t.error is not None and not skip_errors:
                raise AudioError(t.error)  # the first file that cannot be read stops the run
            out.append(replace(t, **recognizer.precisions()))
            advance(1)
            if t.error is None and (n := len(t.alternatives)) < cfg.decode.nbest > 1:  # no more, or chunked
                why = f"{n} distinct transcripts exist, not {cfg.decode.nbest}" if n else _CHUNKED
                logger.warning("%s: %s", t.path, why)
    return out


@dataclass(frozen=True)
class EvaluationResult:
    """What :func:`evaluate` measured."""

    model: str  # the model folder ("shipped" for the packaged one)
    data: tuple[str, ...]  # corpora
    decoding: str  # "greedy" or "beam N (+ LM, hotwords)"
    utterances: int  # utterances scored
    totals: ErrorCounts  # corpus WER, CER and counts
    audio_seconds: float  # audio duration scored
    elapsed: float  # wall-clock seconds (loading included)
    real_time_factor: float  # transcription time / audio duration
    per_utterance: tuple[UtteranceScore, ...]  # every utterance's errors
    trained_precision: str | None = "fp32"  # the model's training arithmetic (its bundle's record)
    precision: str = "fp32"  # what the network ran in (the run's, or an exported bundle's ONNX file's)


def evaluate(cfg: EvaluateConfig, progress: Progress | None = None) -> EvaluationResult:
    """``speech evaluate``: transcribes a corpus and scores it against its transcripts."""
    start = time.perf_counter()
    t = cfg.transcribe
    utts = load_corpora(cfg.data, cfg.max_utterances)
    recognizer = load_model(t.model, t.device, t.precision)
    warn_unwritable((u.text for u in utts), recognizer.alphabet, "reference", UNWRITABLE_REFERENCE)
    silence = frozenset(u.path for u in utts if u.no_speech)  # a silent one is right: nothing was said
    transcripts = transcribe(t, [u.path for u in utts], progress, recognizer=recognizer, no_speech=silence)
    scores = tuple(
        score_utterance(u.path, u.text, tr.text, u.readings) for u, tr in zip(utts, transcripts, strict=True)
    )
    d = t.decode
    decoding = (
        "greedy"
        if not d.uses_beam
        else f"beam {d.beam}" + (" + LM" if d.lm else " + model LM" if d.model_lm else "")
    )
    decoding += " + hotwords" if d.hotwords else ""
    seconds = float(sum(tr.seconds for tr in transcripts))
    elapsed = time.perf_counter() - start
    return EvaluationResult(
        model=t.model or "shipped",
        data=cfg.data,
        decoding=decoding,
        utterances=len(scores),
        totals=error_rates(scores),
        audio_seconds=round(seconds, 3),
        elapsed=round(elapsed, 3),
        real_time_factor=round(elapsed / seconds, 4) if seconds else 0.0,
        per_utterance=scores,
        **{k: getattr(transcripts[0], k) for k in ("trained_precision", "precision") if transcripts},
    )


def stream(cfg: StreamConfig, path: str, progress: Progress | None = None) -> Iterator[Partial]:
    """``speech stream``: feeds a recording in ``cfg.chunk_ms`` chunks as if live; yields partial results
    (``progress``: a bar over its seconds of audio, see :func:`carrousel.speech.streaming.stream_file`).

    Raises:
        AudioError: ``path`` is a Sphinx ``.mfc`` feature file (``speech transcribe`` reads those), or not audio.
    """
    refuse_features(path)
    _threads(cfg.threads)
    recognizer = load_model(cfg.model or shipped_model_path("stream"), cfg.device)
    precisions = recognizer.precisions()  # every update says it, the partials too (before: null in them)
    for update in stream_file(recognizer, path, cfg.chunk_ms, cfg.max_seconds, progress):
        yield replace(update, **precisions)
