"""The configs every nlp pipeline shares (tokenizer, labelled texts, optimisation) and the choice lists."""

from __future__ import annotations

import math
from dataclasses import dataclass

from carrousel.core.config import MAX_EPOCHS, MAX_THREADS, check_device, check_numbers
from carrousel.core.export.choices import InferencePrecision, check_precision_name
from carrousel.core.option_names import option
from carrousel.nlp.config._checks import fraction, need, positive
from carrousel.nlp.errors import NLPConfigError

__all__ = [
    "CELLS",
    "POOLINGS",
    "TEACHERS",
    "THRESHOLDS",
    "TOKENIZER_KINDS",
    "FitConfig",
    "TextDataConfig",
    "TokenizerConfig",
]


TOKENIZER_KINDS = ("bpe", "unigram", "word", "char")
POOLINGS = ("attention", "mean", "last", "max")
CELLS = ("lstm", "gru")
TEACHERS = ("minilm",)
THRESHOLDS = ("prior", "accuracy", "f1", "none")  # = carrousel.nlp.decision.CRITERIA


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes token ids (HF ``tokenizers``, trained on the training split only)."""

    kind: str = "bpe"  # bpe | unigram (subwords) | word | char
    vocab_size: int = 8000  # most tokens kept, specials included (char: a cap on distinct characters)
    min_frequency: int = 2  # bpe/word/char: rarer merges, words or characters become [UNK]
    lowercase: bool = True  # lowercase after NFKC normalisation (accents, emoji and CJK are kept)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        need(
            self.kind in TOKENIZER_KINDS,
            f"unknown tokenizer {self.kind!r}; use one of {', '.join(TOKENIZER_KINDS)}",
        )
        need(8 <= self.vocab_size <= 1_000_000, f"vocab_size must be in [8, 1000000], got {self.vocab_size}")
        need(self.min_frequency >= 1, f"min_frequency must be >= 1, got {self.min_frequency}")


@dataclass(frozen=True)
class TextDataConfig:
    """Where labelled texts come from: a local CSV/TSV/JSONL/text file or a HuggingFace hub name."""

    source: str  # a file (.csv, .tsv, .jsonl/.json, .txt in fastText `__label__x text` form) or hub name
    text_col: str = "text"  # column holding the text
    label_col: str = "label"  # column holding the label (strings or integers)
    split: str = "train"  # hub data sets: the split to read
    header: bool = True  # CSV/TSV: the first row names the columns (False: columns are 0, 1, ...)
    max_length: int = 256  # tokens kept per text; longer texts are truncated with a warning

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="source")
        need(
            bool(self.source.strip()),
            f"give a data file or hub name ({option('data.source', flag='--data')})",
        )
        need(bool(self.text_col) and bool(self.label_col), "text and label column names must not be empty")
        need(self.text_col != self.label_col, f"text and label columns are both {self.text_col!r}")
        need(1 <= self.max_length <= 100_000, f"max_length must be in [1, 100000], got {self.max_length}")


@dataclass(frozen=True)
class FitConfig:
    """Optimisation settings shared by both trainers (mapped onto core's TrainConfig)."""

    epochs: int = 15  # most passes over the training data
    batch_size: int = 32  # texts (sentiment) or parallel streams (language model) per batch
    lr: float = 2e-3  # AdamW learning rate
    weight_decay: float = 1e-4  # AdamW weight decay
    patience: int = 3  # epochs without a better validation loss before stopping early
    val_fraction: float = 0.1  # share held out for early stopping (sentiment: stratified; LM: the tail)
    seed: int = 0  # seeds the split, the initialisation and the batch order
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    threads: int = 0  # CPU threads for torch (0: torch's default)
    progress: bool = True  # progress bar on stderr (the CLI turns it off under --quiet)
    lr_decay: float = 0.0  # when the validation loss stops improving, multiply the lr by this (0: constant)
    ema_decay: float = 0.0  # weight averaging (core's TrainConfig.ema_decay): EMA decay per step (0: off)
    # fp32 | bf16 | fp16: the trainer's autocast (core's TrainConfig.precision); the weights stay float32;
    # fp16 needs a GPU (core's check_precision, before any work)
    precision: InferencePrecision = InferencePrecision.FP32

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError))
        positive(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, patience=self.patience)
        need(math.isfinite(self.weight_decay) and self.weight_decay >= 0, "weight_decay must be >= 0")
        fraction("val_fraction", self.val_fraction, low_open=True)
        need(0 <= self.threads <= MAX_THREADS, f"threads must be within 0-{MAX_THREADS}, got {self.threads}")
        need(self.epochs <= MAX_EPOCHS, f"epochs must be at most {MAX_EPOCHS}, got {self.epochs}")
        fraction("lr_decay", self.lr_decay)
        fraction("ema_decay", self.ema_decay)
