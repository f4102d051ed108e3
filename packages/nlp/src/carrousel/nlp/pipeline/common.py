"""What the pipelines share: core's TrainConfig from a FitConfig, the tokenizer's file name in bundles,
the classes of training rows, dropping excluded texts, the batch layout of token ids for core's batched inference, a call's token limit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from carrousel.core.args import check_args
from carrousel.core.config import as_int
from carrousel.core.data import pad_sequences
from carrousel.core.option_names import option
from carrousel.core.train import FitResult, TrainConfig, Trainer, check_held_out, fit_refusing, lr_fix
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import is_table, label_order, load_texts, read_as, read_column
from carrousel.nlp.errors import NLPConfigError, TextDataError
from carrousel.nlp.hf_data import is_hf_source

__all__ = [
    "TOKENIZER_FILE",
    "check_converged",
    "class_labels",
    "drop_excluded",
    "embedding_lr_scales",
    "excluded_texts",
    "fit_checked",
    "lengths_and_ids",
    "token_limit",
    "train_config",
]

logger = logging.getLogger(__name__)

TOKENIZER_FILE = "tokenizer.json"  # the tokenizer inside every nlp bundle (assets/)


@check_args
def embedding_lr_scales(
    trained: torch.nn.Module, embedding: torch.nn.Module, scale: float
) -> tuple[tuple[str, float], ...]:
    """Core's ``lr_scales`` for an ``embedding`` learning at the learning rate times ``scale``: its weight's
    name in ``trained`` (the model, or with ``--hint`` the wrapper holding it beside a training-only
    projection); () at 1."""
    if scale == 1.0:
        return ()
    name = next(n for n, p in trained.named_parameters() if p is embedding.weight)
    return ((name, scale),)


def train_config(fit: Any, monitor: str = "val_loss", **extra: Any) -> TrainConfig:
    """Core's TrainConfig from a :class:`~carrousel.nlp.config.FitConfig` (its ``precision``: the trainer's
    autocast around forward and loss, weights float32; checked against the device by the pipelines before
    any work, :func:`carrousel.core.device.check_precision`)."""
    if fit.threads:
        torch.set_num_threads(fit.threads)
    if fit.lr_decay > 0:  # ReduceLROnPlateau after one epoch without improvement (core: step_size // 5)
        extra = {"scheduler": "plateau", "gamma": fit.lr_decay, "step_size": 5, **extra}
    return TrainConfig(
        epochs=fit.epochs,
        lr=fit.lr,
        weight_decay=fit.weight_decay,
        patience=fit.patience,
        monitor=monitor,
        seed=fit.seed,
        device=fit.device,
        progress=fit.progress,
        ema_decay=fit.ema_decay,
        precision=fit.precision,
        **extra,
    )


def check_converged(held_out: float, result: FitResult, lr: float, what: str = "the held-out loss") -> None:
    """Refuses, before the model is saved, a training whose held-out loss is not finite: it diverged (the
    trainer skips the steps whose loss or gradient is NaN/inf, not the finite steps of a far too large
    learning rate that make every later forward pass overflow), and its bundle would only give NaN.

    Args:
        held_out: the held-out loss (or perplexity) of the weights that would be saved.
        result: the trainer's result (its epochs and skipped steps name the damage).
        lr: the learning rate, named in the fix.
        what: the figure's name in the message.

    Raises:
        NonFiniteLossError: ``held_out`` is NaN or infinite, in core's one line naming the fix.
    """
    check_held_out(held_out, result, lr_fix("fit.lr", lr), what)


def fit_checked(trainer: Trainer, train: Any, val: Any, lr: float) -> FitResult:
    """``trainer.fit(train, val)``, an optimiser step past float32's largest value (``--lr`` near 1e38) or a
    finite held-out loss more than 10x the untrained model's (``--lr 1e30``) refused as a diverged training
    naming ``--lr`` (core's :func:`~carrousel.core.train.fit_refusing`; a non-finite held-out loss,
    :func:`check_converged`, is nlp's signal for the rest).

    Raises:
        NonFiniteLossError: either, in core's one line naming the fix.
    """
    return fit_refusing(trainer, train, val, lr_fix("fit.lr", lr), weights=False)


def _same(text: str) -> str:  # as the model reads it ("don&#039;t" is "don't"), whitespace and case aside
    return " ".join(read_as(text).split()).lower()


def class_labels(labels: Sequence[str]) -> list[str]:
    """The classes of training rows (:func:`~carrousel.nlp.data.label_order`), with one warning for labels
    that differ only in case (``Positive`` and ``positive``, two spreadsheets merged): each is trained as a
    class of its own, which is what the data says but seldom what its writer meant."""
    classes = label_order(labels)
    spellings: dict[str, list[str]] = {}
    for label in classes:
        spellings.setdefault(label.casefold(), []).append(label)
    if twins := [" and ".join(map(repr, group)) for group in spellings.values() if len(group) > 1]:
        logger.warning(
            "labels %s differ only in case: each is trained as a class of its own (%d classes); write them "
            "alike if they are one class",
            "; ".join(twins),
            len(classes),
        )
    return classes


def excluded_texts(source: str) -> list[str]:
    """The texts of ``--exclude``: a table's or a saved or hub data set's text column (``text``, or the one
    usual text column: labels are not needed to keep texts out), a fastText file's texts.

    Raises:
        TextDataError, ColumnNotFoundError, EmptyTextError: as :func:`~carrousel.nlp.data.read_column`
            and :func:`~carrousel.nlp.data.load_texts` raise them, naming ``--exclude`` (and no column
            option: --text-col and --label-col are --data's).
    """
    if is_hf_source(source) or is_table(source):  # a folder is a data set (is_hf_source), never a table
        return read_column(source, "text", option("exclude"), col_flag=None)  # no option names its column
    return load_texts(TextDataConfig(source), option("exclude")).texts


def drop_excluded(
    texts: Sequence[str], labels: Sequence[str], banned: Sequence[str], source: str
) -> tuple[list[str], list[str]]:
    """The rows whose text (as read, HTML references unescaped; whitespace and case ignored) is not one of
    ``banned`` (read from ``source``).

    Raises:
        TextDataError: no row is left (before: an IndexError further on, "internal error"), or one label
            only (before: "--data X: every row has label 'a'", of a file holding both).
    """
    ban = {_same(t) for t in banned}
    keep = [i for i, t in enumerate(texts) if _same(t) not in ban]
    logger.info("excluded %d texts found in %s", len(texts) - len(keep), source)
    if texts and not keep:
        raise TextDataError(
            f"{option('exclude', str(source))} holds every text of the training data ({len(texts)} rows): none is"
            f" left to train on; give {option('exclude')} the texts to keep out (a test set), not the training data"
        )
    if len(left := {labels[i] for i in keep}) == 1 < len(set(labels)):  # else: the caller's one-class error
        raise TextDataError(
            f"{option('exclude', str(source))} leaves rows of one label only ({next(iter(left))!r}, {len(keep)} of "
            f"{len(texts)} rows); need two classes or more: give {option('exclude')} the texts to keep out (a test set)"
        )
    return [texts[i] for i in keep], [labels[i] for i in keep]


def lengths_and_ids(chunk: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A slice of token-id arrays as one ``(B, 1 + T)`` tensor: each text's length, then its ids padded
    with 0 (the ``prepare`` of :func:`carrousel.core.train.predict` for texts; ``x[:, 0]`` and ``x[:, 1:]``
    split it again)."""
    padded, lengths = pad_sequences([torch.from_numpy(x) for x in chunk], 0)
    return torch.cat([lengths.unsqueeze(1), padded], dim=1)


@check_args
def token_limit(max_length: object, own: int) -> int:
    """The tokens kept per text of a call: ``max_length``, or the model's ``own`` limit when it is None.

    Raises:
        NLPConfigError: ``max_length`` is not an integer (a float, a bool, a string) or is below 1 (0 used to
            mean the model's limit, silently).
    """
    if max_length is None:
        return own
    limit = as_int(max_length, "max_length", NLPConfigError, own)
    if limit < 1:
        raise NLPConfigError(
            f"max_length={limit} must be at least 1 token; give e.g. max_length={own}, or None for the "
            "model's own limit"
        )
    return limit
