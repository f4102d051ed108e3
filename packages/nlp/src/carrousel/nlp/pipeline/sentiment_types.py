"""The sentiment pipelines' results: what ``train_sentiment`` reports and what
:class:`carrousel.nlp.pipeline.SentimentModel` answers for one text (both re-exported by
:mod:`carrousel.nlp.pipeline.sentiment`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carrousel.nlp.repeats import TextRepeats

__all__ = ["SentimentPrediction", "SentimentTrainResult"]


@dataclass
class SentimentTrainResult:
    """What ``nlp sentiment train`` reports."""

    out: Path  # the bundle folder
    labels: list[str]  # the classes, in the model's order
    train_rows: int  # texts trained on
    val_rows: int  # texts held out for early stopping
    vocab_size: int  # tokenizer entries
    epochs: int  # epochs run
    best_epoch: int | None  # epoch whose weights were kept
    val_loss: float  # held-out loss of the kept weights
    # held-out accuracy and F1 (binary for two classes, else macro) of the trainer's last pass: the argmax of
    # each text cut at max_length, a training figure (not the stored cut nor prediction's by-sentence reading)
    val_accuracy: float
    val_f1: float
    majority_accuracy: float  # accuracy of always answering the most frequent training class
    seconds: float  # wall time
    teacher_val_accuracy: float | None = None  # --teacher: the teacher's held-out accuracy
    transfer_rows: int = 0  # --teacher: unlabelled and augmented texts the teacher scored
    threshold: float | None = None  # two classes: the cut on P(second label) chosen on the held-out rows
    # two classes: the held-out accuracy and F1 of the saved model, its cut applied to the rows read as
    # prediction reads them (val_accuracy / val_f1 are the argmax's); None otherwise
    val_at_threshold: dict[str, float] | None = None
    precision: str = "fp32"  # training arithmetic: fp32, or bf16 / fp16 autocast (weights float32)
    repeats: TextRepeats = field(default_factory=TextRepeats)  # repeated texts (copies: one side)


@dataclass
class SentimentPrediction:
    """One text's prediction."""

    text: str  # the input
    label: str  # the most probable class
    probabilities: dict[str, float]  # every class's probability
    # the text of each token the model saw (read by sentence: those of the most decided sentence)
    tokens: list[str] = field(default_factory=list)
    attention: list[float] | None = None  # per-token attention weights (sum to 1), attention pooling only
    truncated: bool = False  # what the model read was cut at its max_length (read by sentence: a sentence)
    unknown_words_mapped: int | None = None  # words outside the vocabulary read through the OOV fallback
    # (carrousel.nlp.oov; None: the model has none)
    # "whole", or "sentences": read sentence by sentence, the mean of their log probabilities
    # (carrousel.nlp.long_texts; by default a text longer than the model's max_length)
    read: str = "whole"
    sentences: int = 1  # sentences read on their own ("whole": 1)
    unknown_only: bool = False  # the model knows no word of the text, only [UNK]: its label means nothing
