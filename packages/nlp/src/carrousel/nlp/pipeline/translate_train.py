"""``nlp translate train``: :func:`train_translator` and the helpers :class:`Translator` shares with it.

Training reads and cleans the pairs (:mod:`carrousel.nlp.parallel`), splits them with a fixed seed,
trains one BPE vocabulary shared by both languages (or one per language,
:mod:`carrousel.nlp.pipeline.translate_vocab`) on the training pairs only, and fits the
:class:`~carrousel.nlp.seq2seq.Seq2Seq` network with core's Trainer (teacher forcing, label smoothing,
early stopping on the validation loss). The bundle (kind ``"nlp.translate"``) holds the weights, the
tokenizer, the word dictionary baseline learned from the same training pairs, and the split settings,
so that ``evaluate --split test`` scores exactly the pairs held out in training.

With ``members`` above 1, that many networks are trained on the same data and vocabulary with training
seeds ``fit.seed``, ``fit.seed + 1``... (member ``i`` is the network ``--train-seed fit.seed + i`` would
train alone), saved and decoded as one :class:`~carrousel.nlp.seq2seq_ensemble.Seq2SeqEnsemble`.

With ``rare_words`` (and placeholders) on, source words seen at most that often in the training
sources are masked as unseen-word placeholders in training and in decoding, and carried over whole:
the bundle stores the other, known, words (:mod:`carrousel.nlp.placeholders`); with ``caps_names``, so
are all-caps names never written otherwise (:mod:`carrousel.nlp.pipeline.translate_known`). With ``bpe_dropout``
training segments both sides anew each epoch with BPE-dropout (:mod:`carrousel.nlp.bpe_dropout`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from carrousel.core.bundle import BUNDLE_FILE, Bundle
from carrousel.core.curves import can_plot, member_rows, write_history
from carrousel.core.device import check_precision, pick_device, pin_memory_for
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import name_flags, naming_flags, option
from carrousel.core.train import FitResult, Trainer
from carrousel.core.train.distributed import detect
from carrousel.nlp.baselines import WordDictionary
from carrousel.nlp.config import TranslateDataConfig, TranslateTrainConfig
from carrousel.nlp.errors import NLPConfigError, TextDataError
from carrousel.nlp.evaluate_plot import PLOT_EXTRA
from carrousel.nlp.lexical_bias import LEXICON_FILE, fit_lexicon, lexicon_to_bytes
from carrousel.nlp.lexicon import ibm_model1
from carrousel.nlp.parallel import ParallelSplit, read_pairs, sift_pairs, split_pairs, vary_case
from carrousel.nlp.pipeline.common import check_converged, fit_checked, train_config
from carrousel.nlp.pipeline.translate_known import KNOWN_FILE, known_words, unknown_to, word_unknown
from carrousel.nlp.pipeline.translate_scores import SCORES, ValidScores, can_score
from carrousel.nlp.pipeline.translate_vocab import (
    DropoutPairs,
    Vocabularies,
    encode_pairs,
    pair_loader,
    train_vocabularies,
)
from carrousel.nlp.placeholders import ALPHABET, mask_pair
from carrousel.nlp.seq2seq import Seq2Seq, build_seq2seq
from carrousel.nlp.seq2seq_ensemble import ensemble_of
from carrousel.nlp.task import TranslationTask
from carrousel.nlp.train_record import train_record

__all__ = [
    "DICTIONARY_FILE",
    "KIND",
    "KNOWN_FILE",
    "MemberResult",
    "TranslateTrainResult",
    "known_words",
    "load_split",
    "member_workers",
    "train_translator",
    "unknown_to",
]

logger = logging.getLogger(__name__)

KIND = "nlp.translate"
DICTIONARY_FILE = "dictionary.json"


def load_split(data: TranslateDataConfig) -> ParallelSplit:
    """Reads, cleans and splits the pairs of ``data`` (the same split for the same settings)."""
    pairs, dropped = sift_pairs(read_pairs(data.pairs, data.src, data.tgt), data.max_ratio, data.max_words)
    return split_pairs(pairs, data.valid, data.test, data.seed, dropped)


@dataclass
class MemberResult:
    """One trained network of ``nlp translate train`` (one member of an ensemble)."""

    seed: int  # its training seed
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    valid_loss: float  # label-smoothed cross-entropy per target token on the validation pairs
    valid_curve: list[float] = field(default_factory=list)  # valid_loss after each epoch
    valid_bleu: list[float] = field(default_factory=list)  # greedy BLEU on the validation pairs after each
    valid_chrf: list[float] = field(default_factory=list)  # epoch, and chrF (none without sacrebleu)


@dataclass
class TranslateTrainResult:
    """What ``nlp translate train`` reports (the network's figures: member 0's in an ensemble)."""

    out: Path  # the bundle folder
    pairs: dict[str, int]  # clean pairs per split (train / valid / test)
    vocab_size: int  # the shared (or the source) subword vocabulary, specials included
    target_vocab_size: int  # the target's (the same as vocab_size when shared)
    parameters: int  # trainable weights (all members)
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    valid_loss: float  # label-smoothed cross-entropy per target token on the validation pairs
    seconds: float  # wall time
    valid_curve: list[float] = field(default_factory=list)  # valid_loss after each epoch
    valid_bleu: list[float] = field(default_factory=list)  # greedy BLEU / chrF on the validation pairs
    valid_chrf: list[float] = field(default_factory=list)  # after each epoch (ValidScores)
    members: list[MemberResult] = field(default_factory=list)  # every network trained, member 0 first
    precision: str = "fp32"  # training arithmetic: fp32, or bf16 / fp16 autocast (weights float32)


@dataclass
class _Prepared:
    """The data every member trains on (one split, one vocabulary, one segmentation)."""

    train_pairs: list[tuple[str, str]]  # masked, case-varied training pairs (what DropoutPairs segments)
    valid_items: list[tuple[np.ndarray, np.ndarray]]
    vocab: Vocabularies
    targets: np.ndarray | None  # source piece -> target piece (separate vocabularies)
    ibm: tuple[np.ndarray, np.ndarray] | None  # the pointer's IBM-1 lexicon (ids, probs), when on
    valid_pairs: list[tuple[str, str]] | None  # unmasked, scored each epoch (ValidScores); None: not scored
    known: set[str] | None  # the known source words of rare-word placeholders (None: no word masked)


_Trained = tuple[Seq2Seq, MemberResult, FitResult]  # a member's network, its figures, the trainer's result


def _network(cfg: TranslateTrainConfig, d: _Prepared) -> Seq2Seq:
    """A fresh network for ``d``'s vocabularies, with the pointer's copy ids and lexicon set."""
    src_size, tgt_size = d.vocab.source.vocab_size, d.vocab.target.vocab_size
    model = build_seq2seq(cfg.model, src_size, tgt_size, shared_embeddings=d.vocab.shared)
    if d.targets is not None and model.copy_ids is not None:  # the pointer copies a piece to the same piece
        model.set_copy_ids(torch.from_numpy(d.targets))
    if model.lex_ids is not None and d.ibm is not None:  # the IBM-1 lexicon of the training pairs
        model.set_lexicon(torch.from_numpy(d.ibm[0]), torch.from_numpy(d.ibm[1]))
    return model


def _train_member(cfg: TranslateTrainConfig, d: _Prepared, seed: int, label: str = "") -> _Trained:
    """One network trained with training seed ``seed`` (the same as a lone ``--train-seed seed`` run), its
    figures and the trainer's result (its history); ``label`` (``member 2/3``) goes before its bar's epoch."""
    fit = replace(cfg.fit, seed=seed)
    torch.manual_seed(seed)
    dropped = DropoutPairs(d.vocab, d.train_pairs, cfg.max_tokens, cfg.bpe_dropout, seed)
    model = _network(cfg, d)
    task = TranslationTask(d.vocab.target.bos_id, cfg.label_smoothing)
    pin = pin_memory_for(fit.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
    train = pair_loader(dropped, fit.batch_size, True, seed, pin)
    valid = pair_loader(d.valid_items, fit.batch_size, False, 0, pin)
    unknown = word_unknown(d.known, cfg.rare_words > 0, cfg.caps_names)
    scored = [ValidScores(d.vocab, d.valid_pairs, cfg, unknown)] if d.valid_pairs else []
    trainer = Trainer(model, task, train_config(fit), scored, progress_label=label)
    result = fit_checked(trainer, train, valid, fit.lr)
    return (
        model,
        MemberResult(
            seed=seed,
            epochs=len(result.history),
            best_epoch=result.best_epoch,
            valid_loss=float(result.best_score if result.best_score is not None else "nan"),
            valid_curve=[float(h.get("val_loss", math.nan)) for h in result.history],
            valid_bleu=[float(h["val_bleu"]) for h in result.history if "val_bleu" in h],
            valid_chrf=[float(h["val_chrf"]) for h in result.history if "val_chrf" in h],
        ),
        result,
    )


def _member_job(
    cfg: TranslateTrainConfig, d: _Prepared, seed: int, progress: bool, label: str
) -> tuple[dict[str, np.ndarray], MemberResult, FitResult]:
    """:func:`_train_member` in a worker process: its weights as arrays (no pickled module crosses back)."""
    model, score, fit = _train_member(replace(cfg, fit=replace(cfg.fit, progress=progress)), d, seed, label)
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}, score, fit


def member_workers(cfg: TranslateTrainConfig) -> int:
    """Processes that train ``cfg``'s members at once: ``cfg.workers``, or with 0 (auto) as many as the CPU
    cores hold at ``fit.threads`` threads each (at most one per member; 1 off the CPU or with fit.threads 0).
    Under ``torchrun`` 1: the members train one after another, each on every process.

    Raises:
        NLPConfigError: ``cfg.workers`` above 1 for several members under ``torchrun``.
    """
    if detect().enabled:  # spawned workers would join torchrun's process group as duplicate ranks
        if cfg.workers > 1 and cfg.members > 1:
            raise NLPConfigError(f"{option('workers', cfg.workers)} trains the members in processes of its own,"
                                 f" which cannot run under torchrun; give {option('workers', 1)} (each member then"
                                 " trains on every torchrun process)")  # fmt: skip
        return 1
    if cfg.workers:
        return min(cfg.workers, cfg.members)
    if cfg.members == 1 or not cfg.fit.threads or pick_device(cfg.fit.device).type != "cpu":
        return 1
    affinity = getattr(os, "sched_getaffinity", None)  # the cores this process may run on, where known
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, min(cfg.members, cores // cfg.fit.threads))


@contextlib.contextmanager
def _interrupts_left_to_parent() -> Iterator[None]:
    """Processes started in the body are born with Ctrl-C blocked (the mask passes to a spawned child and
    holds for its life): a terminal's Ctrl-C reaches every process of the command, and the parent alone
    handles it by ending the workers (:func:`_stop`), so one ``interrupted`` line is printed, not a
    traceback per worker. The parent's own Ctrl-C waits, blocked, until the body ends."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancels the members not started and terminates the running ones (``shutdown`` alone would wait for
    them to finish training)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=10)


def _train_members(cfg: TranslateTrainConfig, d: _Prepared) -> list[_Trained]:
    """Every member, member ``k`` from training seed ``fit.seed + k``; in :func:`member_workers` processes
    (spawned, each as a lone run would train it, so the weights do not depend on the number of workers)."""
    seeds = [cfg.fit.seed + k for k in range(cfg.members)]
    labels = [f"member {k + 1}/{cfg.members}" if cfg.members > 1 else "" for k in range(cfg.members)]
    workers = member_workers(cfg)
    if workers <= 1:
        out = []
        for k, seed in enumerate(seeds):
            if cfg.members > 1:
                logger.info("training member %d of %d (training seed %d)", k + 1, cfg.members, seed)
            out.append(_train_member(cfg, d, seed, labels[k]))
        return out
    logger.info("training %d members in %d processes (progress of member 1 shown)", cfg.members, workers)
    pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), name_flags, (naming_flags(),))
    try:
        with _interrupts_left_to_parent():  # submit starts the worker processes
            jobs = [
                pool.submit(_member_job, cfg, d, seed, cfg.fit.progress and k == 0, labels[k])
                for k, seed in enumerate(seeds)
            ]
        done = [job.result() for job in jobs]
    except BaseException:  # Ctrl-C, SIGTERM or a failed member: end now, not after every member trained
        _stop(pool)
        raise
    pool.shutdown()
    out = []
    for state, score, fit in done:
        model = _network(cfg, d)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        out.append((model, score, fit))
    return out


def _report(folder: Path, cfg: TranslateTrainConfig, fits: list[FitResult], train: int, plot: bool) -> None:
    """history.csv (every member's epochs) and training.png (member 1's: the figures the command reports)."""
    net, first, n = cfg.model, fits[0], len(fits)
    title = (
        f"nlp translate train {cfg.data.src}->{cfg.data.tgt}: BiLSTM encoder, LSTM decoder ({net.hidden_size} "
        f"units{', pointer' if net.pointer else ''}) on {train:,} training pairs"
        + (f"; member 1 of {n} (seed {cfg.fit.seed}), every member in history.csv" if n > 1 else "")
    )
    table = member_rows([f.history for f in fits])
    write_history(folder, first.history, title, plot, first.monitor, first.best_epoch, True, table, SCORES)


def train_translator(cfg: TranslateTrainConfig, out: str | Path) -> TranslateTrainResult:
    """Trains a translator (``cfg.members`` networks) on the training split of ``cfg.data``; saves it in ``out``."""
    start = time.perf_counter()
    out = check_output_dir(out, option("out"), marker=BUNDLE_FILE, kind=KIND)  # before any work
    check_precision(cfg.fit.precision, cfg.fit.device)  # before any work: e.g. fp16 on the CPU is refused
    plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
    scored = can_score()  # the per-epoch validation BLEU and chrF, decided before any training
    split = load_split(cfg.data)
    # the case variation is part of the data (the split's seed), so training seeds share one vocabulary
    # and their models can be decoded as one ensemble (carrousel.nlp.seq2seq_ensemble)
    train_pairs = (
        vary_case(split.train, cfg.case_variation, cfg.data.seed) if cfg.case_variation else split.train
    )
    valid_pairs = split.valid
    lexicon_pairs = split.train  # the lexicon of the bias (no case variation: as refitted from a bundle)
    dictionary = WordDictionary.fit(split.train)
    words = cfg.placeholders and (cfg.rare_words > 0 or cfg.caps_names)
    known = known_words(split.train, cfg.rare_words, cfg.caps_names) if words else None
    if cfg.placeholders:
        unknown = word_unknown(known, cfg.rare_words > 0, cfg.caps_names)
        table = dictionary.table if known is not None else None
        train_pairs = [mask_pair(s, t, unknown, table) for s, t in train_pairs]
        valid_pairs = [mask_pair(s, t, unknown, table) for s, t in valid_pairs]
        lexicon_pairs = [mask_pair(s, t, unknown, table) for s, t in lexicon_pairs]
    vocab = train_vocabularies(
        train_pairs, cfg.tokenizer, cfg.shared_vocab, ALPHABET if cfg.placeholders else ()
    )
    src_size, tgt_size, targets = vocab.source.vocab_size, vocab.target.vocab_size, vocab.copy_targets()
    train_items = encode_pairs(vocab, train_pairs, cfg.max_tokens)  # the deterministic segmentation
    valid_items = encode_pairs(vocab, valid_pairs, cfg.max_tokens)
    if len(train_items) < 2 or not valid_items:
        raise TextDataError(f"too few pairs survive tokenisation ({len(train_items)} training, {len(valid_items)} "
                            f"validation of <= {cfg.max_tokens} subwords a side); give more or shorter pairs")  # fmt: skip
    lexicon = fit_lexicon(
        [(s.tolist(), t[:-1].tolist()) for s, t in encode_pairs(vocab, lexicon_pairs, cfg.max_tokens)],
        src_size, targets=targets, tgt_vocab_size=tgt_size,
    )  # fmt: skip
    ibm = None  # the IBM-1 lexicon of the training pairs (Arthur et al. 2016), for the pointer's lexicon
    if cfg.model.pointer and cfg.model.lexicon:
        ibm = ibm_model1(
            [(s.tolist(), t[:-1].tolist()) for s, t in train_items], src_size, cfg.model.lexicon,
            targets=targets, tgt_vocab_size=tgt_size,
        )  # fmt: skip
    prepared = _Prepared(
        train_pairs, valid_items, vocab, targets, ibm, split.valid if scored else None, known
    )
    trained = _train_members(cfg, prepared)
    for i, (_, member, fitted) in enumerate(trained):  # before anything is saved
        check_converged(member.valid_loss, fitted, cfg.fit.lr, f"network {i + 1}'s validation loss")
    models, scores = [m.cpu() for m, _, _ in trained], [r for _, r, _ in trained]
    network: nn.Module = models[0] if len(models) == 1 else ensemble_of(models, cfg.fit.seed)
    first = scores[0]
    report = TranslateTrainResult(
        out=Path(out),
        pairs=split.sizes(),
        vocab_size=src_size,
        target_vocab_size=tgt_size,
        parameters=sum(p.numel() for p in network.parameters() if p.requires_grad),
        epochs=first.epochs,
        best_epoch=first.best_epoch,
        valid_loss=first.valid_loss,
        seconds=time.perf_counter() - start,
        valid_curve=first.valid_curve,
        valid_bleu=first.valid_bleu,
        valid_chrf=first.valid_chrf,
        members=scores,
        precision=cfg.fit.precision,
    )
    data = cfg.data
    extra = {KNOWN_FILE: json.dumps(sorted(known), ensure_ascii=False).encode("utf-8")} if known else {}
    Bundle(
        kind=KIND,
        model=network,
        assets={
            "src": data.src,
            "tgt": data.tgt,
            "tokenizer_kind": vocab.source.kind,
            "shared_vocab": vocab.shared,
            "split": {"valid": data.valid, "test": data.test, "seed": data.seed},
            "cleaning": {"max_ratio": data.max_ratio, "max_words": data.max_words},
            "max_tokens": cfg.max_tokens,
            "placeholders": cfg.placeholders,
            "bpe_dropout": cfg.bpe_dropout,  # training only: decoding segments deterministically
            **(
                {"caps_names": True, "rare_words": cfg.rare_words}
                if known is not None and cfg.caps_names
                else {}
            ),
        },
        files={
            **vocab.files(),
            DICTIONARY_FILE: json.dumps(dictionary.table, ensure_ascii=False).encode("utf-8"),
            LEXICON_FILE: lexicon_to_bytes(*lexicon),
            **extra,
        },
        data={
            "pairs": list(data.pairs),
            "sizes": split.sizes(),
            "seed": cfg.fit.seed,
            "precision": cfg.fit.precision,  # the training arithmetic (absent in older bundles: fp32)
            **train_record(cfg, report, ("out", "valid_curve")),  # settings, printed figures: -q loses none
        },
    ).save(
        out, also=partial(_report, cfg=cfg, fits=[f for *_, f in trained], train=len(train_items), plot=plot)
    )
    return report
