"""The pruned variant of ``nlp sentiment export --prune F``: fewer LSTM units, fine-tuned to match the full
model, so the deployed graph runs smaller dense matrices (ONNX Runtime's LSTM at batch 64 is bound by them).

Steps (core's :func:`carrousel.core.prune.prune_and_finetune`, shared with ``bio`` and ``finance
export``): structured pruning removes the share ``F`` of each layer's units with the smallest weights (both
directions, the pooling and classifier inputs sliced); the smaller network then learns the full model's class probabilities on the user's unlabelled texts (Hinton et
al.'s soft targets through core's :class:`~carrousel.core.train.DistillationTask`, no labels needed), with
early stopping on a held-out tenth of those texts. The full model is the teacher, so its decision threshold
still applies. The report of the export compares the full model in PyTorch with the pruned one deployed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from carrousel.core.bundle import Bundle
from carrousel.core.nn import RecurrentConfig
from carrousel.core.option_names import option
from carrousel.core.prune import prune_and_finetune, prune_units
from carrousel.core.text import percent
from carrousel.core.train import DistillationTask, DistillConfig, predict
from carrousel.nlp.config import SentimentExportConfig
from carrousel.nlp.data import encode_texts
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.models import SentimentClassifier
from carrousel.nlp.pipeline.common import lengths_and_ids, train_config
from carrousel.nlp.pipeline.distill import make_distill_loader
from carrousel.nlp.pipeline.sentiment import SentimentModel
from carrousel.nlp.task import SentimentTask
from carrousel.nlp.transfer import read_unlabelled

__all__ = ["MAX_TEXTS", "PrunedVariant", "prune_classifier", "pruned_variant"]

logger = logging.getLogger(__name__)

MAX_TEXTS = 100_000  # most unlabelled texts read for fine-tuning
TEMPERATURE = 2.0  # softens the full model's probabilities (Hinton et al.)


@dataclass(frozen=True)
class PrunedVariant:
    """The pruned bundle and how it was made."""

    bundle: Bundle  # the pruned, fine-tuned model with the full model's tokenizer, labels and threshold
    summary: dict[str, Any]  # units before/after, parameters, texts, epochs, held-out agreement


def _rebuild(model: SentimentClassifier) -> Callable[[RecurrentConfig], SentimentClassifier]:
    """Builds ``model``'s kind of classifier around a smaller encoder; attention pooling keeps its scoring
    size (only its inputs shrink), so the smaller model computes the same function restricted to the kept
    units."""
    net = model.config.net
    width = model.encoder.output_size

    def rebuild(encoder: RecurrentConfig) -> SentimentClassifier:
        attention = (net.attention_size or width) if net.pooling == "attention" else net.attention_size
        smaller = replace(net, hidden_size=encoder.hidden_size, attention_size=attention)
        return SentimentClassifier(replace(model.config, net=smaller))

    return rebuild


def prune_classifier(model: SentimentClassifier, amount: float) -> SentimentClassifier:
    """A copy of ``model`` with the share ``amount`` of its LSTM units removed (weights kept, not tuned)."""
    pruned = prune_units(model, amount=amount, rebuild=_rebuild(model))
    assert isinstance(pruned, SentimentClassifier)
    return pruned


def _logits(model: SentimentClassifier, ids: list[np.ndarray]) -> np.ndarray:
    """The model's logits ``(N, C)`` (eval mode), through core's batched inference."""
    items = np.empty(len(ids), dtype=object)
    items[:] = ids

    def forward(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return net.forward_with_weights(x[:, 1:], x[:, 0]).logits.float()  # type: ignore[operator]

    return predict(
        model,
        items,
        256,
        forward=forward,
        prepare=lengths_and_ids,
        out_dtype=np.float32,
        empty_shape=(model.config.num_classes,),
    )


def pruned_variant(full: SentimentModel, cfg: SentimentExportConfig) -> PrunedVariant:
    """Prunes ``full``'s network by ``cfg.prune`` and fine-tunes it on ``cfg.unlabelled`` against the full
    model's soft targets.

    Raises:
        TextDataError: the unlabelled files are missing, unreadable or hold fewer than 20 texts.
        ConfigError: a network core's structured pruning cannot shrink.
    """
    texts = list(dict.fromkeys(read_unlabelled(cfg.unlabelled, MAX_TEXTS)))
    if len(texts) < 20:
        # --unlabelled a.txt, b.txt in a command; unlabelled=('a.txt', 'b.txt') to a Python caller
        raise TextDataError(
            f"{option('unlabelled', cfg.unlabelled)}: {len(texts)} distinct texts; give at least 20 (more "
            "is better: a few thousand sentences of the kind the model will see)"
        )
    teacher = full.model
    ids = encode_texts(full.tokenizer, texts, full.max_length)
    soft = _logits(teacher, ids)
    fit = cfg.finetune
    order = np.random.default_rng(fit.seed).permutation(len(ids))
    n_val = max(round(len(ids) * fit.val_fraction), 1)
    val, train = order[:n_val], order[n_val:]
    # no labels: the full model's class stands in (its weight is 0 at alpha 1; the metrics read agreement)
    hard = soft.argmax(1).tolist()
    train_loader = make_distill_loader(
        [ids[i] for i in train], [hard[i] for i in train], soft[train], fit.batch_size, True, fit.seed
    )
    val_loader = make_distill_loader([ids[i] for i in val], [hard[i] for i in val], soft[val], 256, False, 0)
    task = DistillationTask(
        SentimentTask(teacher.config.num_classes),
        DistillConfig(temperature=TEMPERATURE, alpha=1.0),
        targets=lambda batch: batch[2],
        teacher_logits=lambda batch: batch[3],
    )
    logger.info(
        "pruning %s of the units; fine-tuning on %d texts (%d held out)",
        percent(cfg.prune),
        len(train),
        len(val),
    )
    pruned = prune_and_finetune(
        teacher, cfg.prune, task, train_loader, val_loader, train_config(fit), rebuild=_rebuild(teacher)
    )
    student = pruned.model
    assert isinstance(student, SentimentClassifier)
    agree = float(
        np.mean(_logits(student, [ids[i] for i in val]).argmax(1) == soft[val].argmax(1))
    )  # held-out texts where the pruned model picks the full model's class (at the argmax)
    summary = {
        **{k: pruned.summary[k] for k in ("amount", "hidden_size", "parameters")},
        "texts": {"train": len(train), "held_out": len(val)},
        **{k: pruned.summary[k] for k in ("epochs", "best_epoch")},
        "held_out_agreement": round(agree, 4),
    }
    logger.info("pruned model agrees with the full one on %.1f%% of held-out texts", 100 * agree)
    data = {**dict(full.bundle.data), "pruned": summary}
    return PrunedVariant(replace(full.bundle, model=student, data=data), summary)
