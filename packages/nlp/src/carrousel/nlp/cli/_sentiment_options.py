"""Options of ``nlp sentiment`` beyond its data flags: the model, the decision cut, the label map."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carrousel.nlp.label_map import LabelMapError, parse_label_map

if TYPE_CHECKING:
    from carrousel.nlp.config import SentimentEvaluateConfig
    from carrousel.nlp.pipeline.sentiment_eval import SentimentEvaluation

__all__ = [
    "Emoji",
    "EmojiReading",
    "Fold",
    "FoldReading",
    "FreezeEmbeddings",
    "Hint",
    "LabelMap",
    "LongReading",
    "LongTexts",
    "Model",
    "OovFallback",
    "Threshold",
    "Unk",
    "UnkOverride",
    "UnkReading",
    "checked_label_map",
    "evaluate_mapped",
    "map_misfit_is_usage",
]


class Threshold(enum.StrEnum):
    """How the decision cut of a two-class model is chosen on the held-out rows."""

    prior = "prior"
    accuracy = "accuracy"
    f1 = "f1"
    none = "none"


class Emoji(enum.StrEnum):
    """How a new model reads emoji (carrousel.nlp.emoji_names)."""

    names = "names"
    keep = "keep"


class Fold(enum.StrEnum):
    """Whether a new model folds the characters its vocabulary lacks (carrousel.nlp.char_fold.FOLD_MODES)."""

    unknown = "unknown"
    none = "none"


class LongTexts(enum.StrEnum):
    """Which texts prediction and evaluation read sentence by sentence (carrousel.nlp.long_texts.READINGS)."""

    whole = "whole"
    truncated = "truncated"
    sentences = "sentences"


class Unk(enum.StrEnum):
    """What prediction does with ``[UNK]`` ids (carrousel.nlp.char_fold.UNK_MODES)."""

    keep = "keep"
    drop = "drop"


FreezeEmbeddings = Annotated[
    bool,
    typer.Option(
        "--freeze-embeddings",
        help="Keep the pretrained embeddings (--embeddings, or --teacher minilm's start) fixed in training.",
    ),
]
EmojiReading = Annotated[
    Emoji,
    typer.Option(
        "--emoji",
        help="names: read each emoji as its Unicode name, lower case (😡 -> 'pouting face'), in training and "
        "prediction alike (recorded in the bundle); keep: as written, an emoji the vocabulary lacks is [UNK].",
    ),
]
FoldReading = Annotated[
    Fold,
    typer.Option(
        "--fold",
        help="unknown: each character the trained vocabulary lacks is folded to a known one before tokenizing "
        "(’ -> ', é -> e), training rows and prediction alike (recorded in the bundle); none: each is [UNK].",
    ),
]
UnkReading = Annotated[
    Unk,
    typer.Option(
        "--unk",
        help="drop: prediction leaves [UNK] ids out before the network, as if never written (recorded in the "
        "bundle; the decision cut is placed reading them so); keep: the network reads them. Training reads "
        "them either way.",
    ),
]
LongReading = Annotated[
    LongTexts,
    typer.Option(
        "--long",
        help="truncated: a text longer than the model's max_length tokens is read sentence by sentence (the "
        "mean of its sentences' log probabilities; its tokens and attention: its most decided sentence's) "
        "instead of cut; sentences: every text of several sentences is; whole: none is (cut, as before).",
    ),
]
UnkOverride = Annotated[
    Unk | None,
    typer.Option(
        "--unk",
        help="keep: the network reads [UNK] ids; drop: they are left out before it. Default: the model's "
        "own reading (its bundle's asset unk; absent: keep).",
        show_default=False,
    ),
]
OovFallback = Annotated[
    bool | None,
    typer.Option(
        "--oov-fallback/--no-oov-fallback",
        help="--teacher, word tokens: a word outside the vocabulary gets a vector mapped from MiniLM's word "
        "pieces instead of [UNK] (the bundle carries the map; [teacher] oov_fallback) "
        "[default: --no-oov-fallback].",
    ),
]
Hint = Annotated[
    float | None,
    typer.Option(
        "--hint",
        metavar="BETA",
        min=0.0,
        help="--teacher: weight of the hint term, the student's pooled vector regressing the teacher's MiniLM "
        "embedding through a training-only projection, BETA * (1 - cosine); not saved ([teacher] hint) "
        "[default: 0, off].",
    ),
]
Model = Annotated[
    Path | None,
    typer.Option(
        "--model", help="Model folder written by 'nlp sentiment train' (default: the shipped model)."
    ),
]
LabelMap = Annotated[
    str | None,
    typer.Option(
        "--label-map",
        metavar="DATA=MODEL,...",
        help="The data's labels as the model's, e.g. 'pos=positive,neg=negative'; '3=-' drops the rows "
        "labelled 3, '1..2=negative' maps a range of whole numbers. Default: the model's own; for a "
        "negative/positive (or negative/neutral/positive) model, with one warning: pos/neg, 0/1, "
        "Positive/Negative...; neutral (dropped for a two-class model); grades 1..5 stars "
        "('1..2=negative,3=-,4..5=positive'), 1..10 ('1..4=negative,5..6=-,7..10=positive'), 0..4 SST-5 "
        "('0..1=negative,2=-,3..4=positive') and -1..1 when the grades reach both ends with 3+ values "
        "(the middle is neutral for a three-class model). Scores (0.7) are never guessed.",
    ),
]


def checked_label_map(label_map: str | None) -> str | None:
    """``--label-map`` as given, or a usage error naming the flag when it is not ``DATA=MODEL,...``."""
    if label_map is not None:
        with map_misfit_is_usage():
            parse_label_map(label_map)
    return label_map


@contextmanager
def map_misfit_is_usage() -> Iterator[None]:
    """Runs its block; a ``--label-map`` that is malformed or does not fit the data and the model is a usage
    error (exit 2) naming the problem (``sentiment evaluate`` and ``sentiment export --data`` score through
    it, :func:`checked_label_map` parses through it)."""
    try:
        yield
    except LabelMapError as e:
        raise typer.BadParameter(str(e).removeprefix("--label-map "), param_hint="'--label-map'") from None


def evaluate_mapped(cfg: SentimentEvaluateConfig, out: Path | None) -> SentimentEvaluation:
    """:func:`~carrousel.nlp.pipeline.sentiment_eval.evaluate_sentiment` under :func:`map_misfit_is_usage`."""
    from carrousel.nlp.pipeline.sentiment_eval import evaluate_sentiment

    with map_misfit_is_usage():
        return evaluate_sentiment(cfg, out)
