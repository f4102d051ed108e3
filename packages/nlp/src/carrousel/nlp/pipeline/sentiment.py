"""Sentiment pipelines: ``train_sentiment`` here, :class:`SentimentModel` (predict) in
:mod:`carrousel.nlp.pipeline.sentiment_model` (and here too); ``evaluate_sentiment``
is in :mod:`carrousel.nlp.pipeline.sentiment_eval`. Every file a run makes is written by the pipelines (the
bundle here, ``metrics.json`` and the PNG charts by the evaluation), so Python callers get the CLI's outputs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from carrousel.core.bundle import BUNDLE_FILE, Bundle
from carrousel.core.curves import can_plot, history_writer
from carrousel.core.device import check_precision, pin_memory_for
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import option
from carrousel.core.train import Task, Trainer, leave_to_rank_zero
from carrousel.nlp.config import SentimentTrainConfig
from carrousel.nlp.data import (
    TextClassDataset,
    encode_texts,
    load_texts,
    make_loader,
    read_as,
)
from carrousel.nlp.decision import place_threshold
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.evaluate_plot import PLOT_EXTRA
from carrousel.nlp.long_texts import DEFAULT_READING
from carrousel.nlp.models import build_classifier
from carrousel.nlp.pipeline import common, distill
from carrousel.nlp.pipeline.common import (
    TOKENIZER_FILE,
    check_converged,
    drop_excluded,
    fit_checked,
    train_config,
)
from carrousel.nlp.pipeline.sentiment_model import KIND, SentimentModel, shipped_model_path
from carrousel.nlp.pipeline.sentiment_reading import (
    reading_assets,
)
from carrousel.nlp.pipeline.sentiment_types import SentimentPrediction, SentimentTrainResult
from carrousel.nlp.repeats import text_split
from carrousel.nlp.task import SentimentTask
from carrousel.nlp.tokenization import train_tokenizer
from carrousel.nlp.train_record import train_record
from carrousel.nlp.vectors import init_embedding, pretrained_rows, teacher_vectors

__all__ = [
    "KIND",
    "SentimentModel",
    "SentimentPrediction",
    "SentimentTrainResult",
    "shipped_model_path",
    "train_sentiment",
]

logger = logging.getLogger(__name__)


def train_sentiment(cfg: SentimentTrainConfig, out: str | Path) -> SentimentTrainResult:
    """Trains a sentiment classifier and saves it as a bundle in ``out``.

    Raises:
        TextDataError: unreadable data, fewer than two classes, a class with one row.
        ColumnNotFoundError, EmptyTextError: see :func:`carrousel.nlp.data.load_texts`.
    """
    out = check_output_dir(out, option("out"), marker=BUNDLE_FILE, kind=KIND)  # before any work
    check_precision(cfg.fit.precision, cfg.fit.device)  # before any work: e.g. fp16 on the CPU is refused
    plot = can_plot(PLOT_EXTRA)  # the learning curve (training.png), decided before any training
    start, data = time.perf_counter(), load_texts(cfg.data)
    texts, raw_labels = data.texts, data.labels
    if cfg.exclude:
        banned = common.excluded_texts(cfg.exclude)  # a table's text column; labels are not needed
        texts, raw_labels = drop_excluded(texts, raw_labels, banned, cfg.exclude)
    labels = common.class_labels(raw_labels)  # warns of labels that differ only in case
    if len(labels) < 2:
        raise TextDataError(f"{option('data.source', cfg.data.source, '--data')}: every row has label "
                            f"{labels[0]!r}; need two classes or more")  # fmt: skip
    index = {name: i for i, name in enumerate(labels)}
    y = np.asarray([index[label] for label in raw_labels])
    fit = cfg.fit
    train_idx, val_idx, repeats = text_split(texts, raw_labels, fit.val_fraction, fit.seed)  # copies: 1 side
    torch.manual_seed(fit.seed)
    soft = None
    if cfg.teacher is not None:  # the teacher scores the transfer set; its words join the vocabulary
        soft = distill.teacher_transfer_set(
            cfg,
            [texts[i] for i in train_idx],
            y[train_idx],
            [texts[i] for i in val_idx],
            y[val_idx],
            labels,
        )
    train_texts = [texts[i] for i in train_idx] + (soft.extra if soft else [])
    tokenizer = train_tokenizer(map(read_as, train_texts), cfg.tokenizer, emoji=cfg.emoji, fold=cfg.fold)
    if soft is not None:  # the teacher scores again the rows the student's tokenizer folds
        soft = distill.read_as_student(soft, tokenizer, train_texts, [texts[i] for i in val_idx], y[val_idx])
    ids = encode_texts(tokenizer, texts, cfg.data.max_length)
    net, vectors = cfg.model, None
    if cfg.embeddings:
        vectors = pretrained_rows(tokenizer, cfg.embeddings)
        net = replace(net, embed_dim=vectors.shape[1])
    elif soft is not None and soft.encoder is not None and cfg.teacher and cfg.teacher.init_embeddings:
        vectors = teacher_vectors(tokenizer, soft.encoder.word_embeddings, soft.encoder.tok, net.embed_dim)
    model = build_classifier(net, tokenizer.vocab_size, len(labels))
    if vectors is not None:
        init_embedding(model.embedding, vectors, cfg.freeze_embeddings)
    pin = pin_memory_for(fit.device)  # page-locked batches for the trainer's non-blocking copy to CUDA
    val_ids, val_y = [ids[i] for i in val_idx], y[val_idx].tolist()
    if soft is None:
        task: Task = SentimentTask(len(labels))
        train_set = TextClassDataset([ids[i] for i in train_idx], y[train_idx].tolist())
        train_loader = make_loader(train_set, fit.batch_size, True, fit.seed, pin)
        val_loader = make_loader(TextClassDataset(val_ids, val_y), 256, False, 0, pin)
    else:
        task = distill.distillation_task(cfg, len(labels))
        extra = encode_texts(tokenizer, soft.extra, cfg.data.max_length, unread=False)  # no one's rows
        hard = y[train_idx].tolist() + soft.extra_labels
        train_ids = [ids[i] for i in train_idx] + extra
        train_loader = distill.make_distill_loader(
            train_ids, hard, soft.train_logits, fit.batch_size, True, fit.seed, soft.train_features, pin
        )
        val_loader = distill.make_distill_loader(
            val_ids, val_y, soft.val_logits, 256, False, 0, soft.val_features, pin
        )
    trained = model if soft is None or soft.train_features is None else distill.hint_student(model, soft)
    scales = common.embedding_lr_scales(trained, model.embedding, cfg.embedding_lr_scale)
    trainer = Trainer(trained, task, train_config(fit, lr_scales=scales))  # --hint: a projection trains too
    result = fit_checked(trainer, train_loader, val_loader, fit.lr)
    final = trainer.evaluate(val_loader)
    check_converged(final["loss"], result, fit.lr)  # before anything is saved (teacher or not)
    leave_to_rank_zero()  # the threshold's predictions below: rank zero's alone under torchrun
    counts = np.bincount(y[train_idx], minlength=len(labels))
    bundle = Bundle(
        kind=KIND,
        model=model,
        assets={"labels": labels, **reading_assets(tokenizer, cfg.data.max_length, cfg.unk)},
        files={TOKENIZER_FILE: tokenizer.to_bytes()},
        data={
            "source": data.source,
            "text_col": data.columns[0],
            "label_col": data.columns[1],
            "rows": len(texts),
            "train_rows": len(train_idx),
            "val_rows": len(val_idx),
            "repeats": asdict(repeats),  # repeated texts (absent in older bundles)
            "seed": fit.seed,
            "precision": fit.precision,  # the training arithmetic (absent in older bundles: fp32)
            **({"ema_decay": fit.ema_decay} if fit.ema_decay else {}),  # weight averaging (absent: off)
            "class_counts": {name: int(c) for name, c in zip(labels, counts, strict=True)},
            "teacher": distill.provenance(cfg, soft),
            "embeddings": {"file": cfg.embeddings, "frozen": cfg.freeze_embeddings}
            if cfg.embeddings or (cfg.freeze_embeddings and vectors is not None)  # file None: the teacher's
            else None,
            **({"embedding_lr_scale": cfg.embedding_lr_scale} if cfg.embedding_lr_scale != 1.0 else {}),
        },
    )
    threshold, at_cut = None, None
    if len(labels) == 2:  # the decision threshold, chosen on the held-out rows (carrousel.nlp.decision)
        split = ([texts[i] for i in val_idx], y[val_idx], [texts[i] for i in train_idx], y[train_idx])
        read = partial(SentimentModel(bundle).predict_proba, long=DEFAULT_READING, warn=False)  # warned above
        threshold, rows, at_cut = place_threshold(read, *split, cfg.threshold, soft)
        # read as prediction reads by default (long texts by sentence); "long" absent: read whole
        made = {"threshold": {"criterion": cfg.threshold, "rows": rows, "long": DEFAULT_READING}}
        assets, provenance = {**bundle.assets, "threshold": threshold}, {**bundle.data, **made}
        bundle = replace(bundle, assets=assets, data=provenance)
    if soft is not None and cfg.teacher and cfg.teacher.oov_fallback and tokenizer.kind == "word":
        bundle = distill.with_oov_fallback(bundle, soft.encoder)  # after the cut: weights and cut unchanged
    title = (
        f"nlp sentiment train: {net.cell.upper()} classifier ({net.hidden_size} units, {net.pooling} pooling) "
        f"on {data.source} ({len(train_idx)} training / {len(val_idx)} held-out rows, "
        f"{len(labels)} classes)"
        + (f", distilled from the {cfg.teacher.name} teacher" if cfg.teacher is not None else "")
    )
    report = SentimentTrainResult(
        out=Path(out),
        labels=labels,
        train_rows=len(train_idx),
        val_rows=len(val_idx),
        vocab_size=tokenizer.vocab_size,
        epochs=len(result.history),
        best_epoch=result.best_epoch,
        val_loss=final["loss"],
        val_accuracy=final["accuracy"],
        val_f1=final["f1"],
        majority_accuracy=float(np.mean(y[val_idx] == counts.argmax())),
        seconds=time.perf_counter() - start,
        teacher_val_accuracy=soft.teacher_val_accuracy if soft else None,
        transfer_rows=len(soft.extra) if soft else 0,
        threshold=threshold,
        val_at_threshold=at_cut,
        precision=fit.precision,
        repeats=repeats,
    )
    record = train_record(cfg, report, ("out", "labels", "repeats"))
    bundle = replace(bundle, data={**bundle.data, **record})  # the settings and figures: -q loses nothing
    bundle.save(out, also=history_writer(result, title, plot))  # with history.csv and training.png
    return report
