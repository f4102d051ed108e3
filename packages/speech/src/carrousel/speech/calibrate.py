"""Calibration features for ``speech export --precision int8``: the activations' ranges of the front end's
convolutions, which int8 then quantizes statically (:func:`carrousel.core.export.quantize_static_int8`).

The features are, in order of preference, a seeded sample of ``--train-data`` (a pruned model's
fine-tuning corpus) or of the corpora the model records that it was trained on (``speech train`` writes them to the bundle) or, when it records none or they are gone (the
shipped model: its corpora were paths on the training machine), a small corpus synthesised with the
training voices (``speech synth-corpus``: what the shipped model was trained on; never a held-out or
evaluation set). Without a synthesiser either, there is no calibration and the export keeps its
convolutions float32 (the reason is recorded in the bundle's ``export`` asset).
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import torch
from torch import Tensor

from carrousel.core.errors import DataError
from carrousel.speech.config import SynthConfig
from carrousel.speech.data import load_corpora
from carrousel.speech.errors import SynthesisError
from carrousel.speech.recognizer import Recognizer
from carrousel.speech.synth import synth_corpus
from carrousel.speech.training_record import recorded_corpora

__all__ = ["CALIBRATION_BATCH", "CALIBRATION_UTTERANCES", "calibration_batches"]

logger = logging.getLogger(__name__)

CALIBRATION_UTTERANCES = 48  # utterances whose features calibrate the convolutions
CALIBRATION_BATCH = 16  # utterances per calibration batch (padded as the recogniser pads)
SYNTH_SEED = 16_016  # seed of the synthesised calibration corpus (training voices)


def _features(rec: Recognizer, paths: list[str]) -> tuple[tuple[Tensor, Tensor], ...]:
    """Batches of :data:`CALIBRATION_BATCH` utterances, all padded to the longest (percentile calibration
    needs one shape; padding frames are zeros, which the model masks as the recogniser's padding)."""
    feats = sorted((rec.file_features(p).cpu() for p in paths), key=len)
    frames = max(max(len(f) for f in feats), 1)
    batches = []
    for i in range(0, len(feats), CALIBRATION_BATCH):
        group = feats[i : i + CALIBRATION_BATCH]
        lengths = torch.tensor([max(len(f), 1) for f in group])
        x = torch.zeros(len(group), frames, rec.features.size)
        for j, f in enumerate(group):
            x[j, : len(f)] = f
        batches.append((x, lengths))
    return tuple(batches)


def calibration_batches(
    rec: Recognizer, provenance: dict[str, Any], train_data: tuple[str, ...] = ()
) -> tuple[tuple[tuple[Tensor, Tensor], ...], str]:
    """``(x (B, T, F), lengths (B,))`` batches of training features for ``rec``, and where they came from.

    Args:
        rec: the recogniser exported (its front end and statistics compute the features).
        provenance: its bundle's training record (``corpora``, ``config.seed``).
        train_data: corpora given instead (``--train-data``: what a pruned model was fine-tuned on).

    Returns:
        The batches (empty when neither the recorded corpora nor a synthesiser is available) and a
        description of the source (``none (why)`` when empty).
    """
    recorded = provenance.get("config")
    seed = int((recorded if isinstance(recorded, dict) else {}).get("seed", 0) or 0)
    specs = train_data or recorded_corpora(provenance)
    why = "the model records no training corpus"
    if specs:
        try:
            utts = load_corpora(specs, CALIBRATION_UTTERANCES, seed, "train_data" if train_data else "data")
            where = f"{len(utts)} utterances of the training corpora ({', '.join(specs)})"
            return _features(rec, [u.path for u in utts]), where
        except DataError as exc:
            if train_data:
                raise
            why = f"its training corpora cannot be read ({str(exc).splitlines()[0]})"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = synth_corpus(
                SynthConfig(out=f"{tmp}/calib", utterances=CALIBRATION_UTTERANCES, seed=SYNTH_SEED, workers=1)
            )
            utts = load_corpora((corpus.manifest,))
            batches = _features(rec, [u.path for u in utts])
    except (SynthesisError, DataError) as exc:
        logger.warning("no calibration data: %s; the convolutions stay float32", exc)
        return (), f"none ({why}; no synthesiser: {str(exc).splitlines()[0]})"
    where = f"{len(utts)} synthesised utterances, training voices, seed {SYNTH_SEED} ({why})"
    logger.info("calibration: %s", where)
    return batches, where
