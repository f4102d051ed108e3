"""The pruned variant of ``speech export --prune F``: the acoustic model with fewer LSTM units, fine-tuned
with CTC on its training corpus.

Steps: core's :func:`~carrousel.core.prune.prune_and_finetune` (shared with ``nlp sentiment export``,
``bio export`` and ``finance export``) removes the share ``F`` of the BiLSTM's units in every layer and
direction (the next layer's input columns and the CTC head's columns that read them sliced; the
convolutional front end and the layer norm kept), then fine-tunes the smaller network with the training
task (:class:`~carrousel.speech.task.CTCTask`) through the Trainer, with early stopping on the held-out
character error rate and the best epoch's weights kept. The corpus is, in order of preference, the
``--train-data`` given or the corpora the model records that it was trained on (``speech train`` writes
them to the bundle), split as training split it (its validation corpora, or its seeded held-out share).
The alphabet, front end and feature statistics stay the full model's, so the pruned recogniser reads the
same features and writes the same characters. Fine-tuning runs on clean audio (no augmentation): a few
epochs recover what pruning lost rather than teach anything new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import torch

from carrousel.core.device import pin_memory_for
from carrousel.core.errors import DataError
from carrousel.core.nn import RecurrentConfig
from carrousel.core.option_names import option
from carrousel.core.prune import prune_and_finetune
from carrousel.core.train import TrainConfig
from carrousel.speech.config import SpeechExportConfig
from carrousel.speech.data import (
    SpeechDataset,
    Utterance,
    load_corpora,
    make_loader,
    split_utterances,
    trainable,
    with_durations,
)
from carrousel.speech.errors import CorpusError
from carrousel.speech.models import CTCModel
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.task import CTCTask
from carrousel.speech.train_checks import left_out_of_both, no_usable_training
from carrousel.speech.training_record import recorded_corpora

__all__ = ["VariantTraining", "finetune_corpus", "pruned_recognizer", "recorded_config", "variant_training"]

logger = logging.getLogger(__name__)

LR = 1e-3  # fine-tuning learning rate (a third of speech train's peak), cosine schedule
PATIENCE = 2  # epochs without a lower held-out CER before fine-tuning stops (best epoch kept)
VAL_FRACTION = 0.1  # held-out share of --train-data (or of a recorded corpus without a recorded share)
BATCH_SECONDS = 32.0  # audio seconds per batch, as speech train
DEVICE = "auto"  # on a GPU where there is one; the smaller model comes back on CPU


def recorded_config(provenance: dict[str, Any]) -> dict[str, Any]:
    """The ``speech train`` settings the bundle records (empty when it records none)."""
    recorded = provenance.get("config")
    return recorded if isinstance(recorded, dict) else {}


def finetune_corpus(
    full: Recognizer, provenance: dict[str, Any], cfg: SpeechExportConfig
) -> tuple[list[Utterance], list[Utterance], str]:
    """The training and held-out utterances the pruned network is fine-tuned on, and where they came from.

    Args:
        full: the recogniser being pruned (its alphabet filters the transcripts).
        provenance: the bundle's training record (``corpora`` and ``config``, as ``speech train`` writes).
        cfg: the export settings (``train_data``).

    Raises:
        CorpusError: no corpus (a model that records none, or records files that are gone, without
            ``--train-data``), or no usable training utterance.
    """
    recorded = recorded_config(provenance)
    seed = int(recorded.get("seed", 0) or 0)
    if cfg.train_data:
        specs, fraction = cfg.train_data, VAL_FRACTION
        val_specs: tuple[str, ...] = ()
        # --train-data a.tsv, b.tsv in a command; train_data=('a.tsv', 'b.tsv') to a Python caller
        where, limit = option("train_data", cfg.train_data), None
    else:
        specs = recorded_corpora(provenance)  # each absolute where its file is (training_record)
        if not specs:
            raise CorpusError(
                "the model records no training corpus; give the corpus to fine-tune the pruned network on "
                f"with {option('train_data', metavar='CORPUS')}"
            )
        val_specs = recorded_corpora(provenance, "val_data")
        fraction = float(recorded.get("val_fraction") or VAL_FRACTION)
        where, limit = f"the model's training corpora ({', '.join(specs)})", recorded.get("max_utterances")
    try:
        utts = with_durations(load_corpora(specs, limit, seed, "train_data" if cfg.train_data else "data"))
        held = with_durations(load_corpora(val_specs)) if val_specs else None
    except DataError as exc:
        if cfg.train_data:
            raise
        raise CorpusError(
            f"{where} cannot be read ({exc}); give the corpus to fine-tune on with {option('train_data', metavar='CORPUS')}"
        ) from None
    train_utts, val_utts = (utts, held) if held is not None else split_utterances(utts, fraction, seed)
    max_seconds = float(recorded.get("max_seconds", 30.0) or 30.0)
    train_utts, dropped = trainable(train_utts, full.alphabet, full.frame_seconds, max_seconds)
    split_off = 0 if held is not None else len(val_utts)  # before any is left out: all went there
    val_utts, val_dropped = trainable(val_utts, full.alphabet, full.frame_seconds, max_seconds)
    if not train_utts:  # the rows left out of both parts of a split corpus (before: the training part's)
        why = left_out_of_both(dropped, {} if held is not None else val_dropped)
        raise CorpusError(_no_training_line(where, why, split_off, max_seconds))
    return train_utts, val_utts, where


def _no_training_line(where: str, why: str, held_out: int, max_seconds: float) -> str:
    """The one line refusing a fine-tuning corpus with no usable training utterance: where they went, and
    the fix. Before: ``...: no usable training utterance for this model (dropped: {'too_long': 0, ...})``,
    a Python dict (all zeros when the split had held every utterance out) naming no fix."""
    give = option("train_data", metavar="CORPUS")
    if why:  # the rows left out, in words (left_out_of_both)
        return no_usable_training(where, why, max_seconds, corpus=give)
    if held_out:
        return (
            f"{where}: its {held_out} utterance(s) all went to validation (at least one is held out); give "
            f"a corpus of more recordings with {give}"
        )
    return f"{where}: no utterance to fine-tune on; give a corpus of recordings with {give}"


@dataclass(frozen=True)
class VariantTraining:
    """What a smaller variant (pruned or distilled) trains on: the loaders of the fine-tuning corpus, the
    Trainer settings (the recorded seed, cosine schedule, early stopping on held-out CER) and the corpus'
    summary ``{"train": n, "held_out": n, "source": where}``."""

    loader: Any
    val_loader: Any | None
    config: TrainConfig
    utterances: dict[str, Any]


def variant_training(
    full: Recognizer, provenance: dict[str, Any], cfg: SpeechExportConfig, doing: str
) -> VariantTraining:
    """The corpus (:func:`finetune_corpus`) as batches and the training settings of ``--prune`` and
    ``--distill`` alike; ``doing`` names the step in the log ("fine-tuning", "distilling")."""
    train_utts, val_utts, where = finetune_corpus(full, provenance, cfg)
    recorded = recorded_config(provenance)
    seed = int(recorded.get("seed", 0) or 0)
    batch_seconds = float(recorded.get("batch_seconds", BATCH_SECONDS) or BATCH_SECONDS)
    logger.info("%s on %d utterances of %s (%d held out)", doing, len(train_utts), where, len(val_utts))
    fx, pin = full.extractor, pin_memory_for(DEVICE)  # pinned for the trainer's non-blocking copy to CUDA
    loader = make_loader(
        SpeechDataset(train_utts, fx, full.alphabet), batch_seconds, True, seed, pin_memory=pin
    )
    val_set = SpeechDataset(val_utts, fx, full.alphabet) if val_utts else None
    val_loader = make_loader(val_set, batch_seconds, False, pin_memory=pin) if val_set is not None else None
    config = TrainConfig(
        epochs=cfg.finetune_epochs,
        lr=LR,
        scheduler="cosine",
        grad_clip_norm=5.0,
        device=DEVICE,
        monitor="val_cer" if val_loader is not None else "train_loss",
        tie_break="val_loss" if val_loader is not None else None,  # as pipeline.train: of one CER, lower loss
        patience=PATIENCE,
        restore_best=True,
        seed=seed,
        progress=False,
    )
    utterances = {"train": len(train_utts), "held_out": len(val_utts), "source": where}
    return VariantTraining(loader, val_loader, config, utterances)


def pruned_recognizer(
    full: Recognizer, provenance: dict[str, Any], cfg: SpeechExportConfig
) -> tuple[Recognizer, dict[str, Any]]:
    """``full`` with ``cfg.prune`` of its LSTM units removed and fine-tuned on its training corpus.

    Returns:
        The pruned recogniser (same alphabet, front end, statistics and word LM) and a JSON-ready summary:
        core's (units, parameters, epochs, held-out loss and CER right after pruning and after
        fine-tuning) plus the utterances used and their source.

    Raises:
        CorpusError / AudioError: see :func:`finetune_corpus`.
    """
    run = variant_training(full, provenance, cfg, "fine-tuning")
    loader, val_loader, trainer, seed = run.loader, run.val_loader, run.config, run.config.seed
    net = full.model

    def rebuild(encoder: RecurrentConfig) -> CTCModel:
        return CTCModel(replace(net.config, hidden=encoder.hidden_size))

    torch.manual_seed(seed)
    pruned = prune_and_finetune(
        net,
        cfg.prune,
        CTCTask(full.alphabet),
        loader,
        val_loader,
        trainer,
        rebuild=rebuild,
        readers={"head.weight": 0},
    )
    student = pruned.model
    assert isinstance(student, CTCModel)
    summary = {
        **pruned.summary,
        "utterances": run.utterances,
    }
    small = Recognizer(student, full.alphabet, full.features, full.mean, full.std, full.lm_text)
    return small, summary
