"""The configs of ``nlp sentiment``: its network, distillation, and the train, predict, evaluate and export
commands."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carrousel.core.config import check_device, check_numbers
from carrousel.core.export.choices import check_precision_name
from carrousel.core.option_names import naming_flags, option
from carrousel.nlp.char_fold import FOLD_MODES
from carrousel.nlp.config._checks import (
    check_export_options,
    check_label_map,
    check_unk,
    fraction,
    need,
    positive,
)
from carrousel.nlp.config.common import (
    CELLS,
    POOLINGS,
    TEACHERS,
    THRESHOLDS,
    FitConfig,
    TextDataConfig,
    TokenizerConfig,
)
from carrousel.nlp.emoji_names import EMOJI_MODES
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.long_texts import DEFAULT_READING, check_reading

__all__ = [
    "SentimentEvaluateConfig",
    "SentimentExportConfig",
    "SentimentNetConfig",
    "SentimentPredictConfig",
    "SentimentTrainConfig",
    "TeacherConfig",
]


@dataclass(frozen=True)
class SentimentNetConfig:
    """Embedding -> BiLSTM -> pooling over valid tokens -> classifier."""

    embed_dim: int = 128  # embedding size
    hidden_size: int = 128  # LSTM units per direction
    num_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # lstm | gru
    bidirectional: bool = True  # BiLSTM (True) or a forward-only LSTM
    pooling: str = "attention"  # attention | mean | last | max over valid tokens
    dropout: float = 0.4  # dropout on the pooled features (and between layers)
    embed_dropout: float = 0.3  # dropout on the embeddings
    attention_size: int = 0  # attention pooling's scoring layer (0: the encoder's output; pruning keeps it)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        need(self.attention_size >= 0, f"attention_size must be >= 0, got {self.attention_size}")
        need(self.cell in CELLS, f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        need(self.pooling in POOLINGS, f"unknown pooling {self.pooling!r}; use one of {', '.join(POOLINGS)}")
        fraction("dropout", self.dropout)
        fraction("embed_dropout", self.embed_dropout)


@dataclass(frozen=True)
class TeacherConfig:
    """Distillation of ``nlp sentiment train --teacher``: a teacher head on a frozen sentence encoder, whose
    soft targets over the labelled texts, unlabelled texts and augmented copies train the student."""

    name: str = "minilm"  # the frozen encoder (all-MiniLM-L6-v2 from carrousel-nlp[teacher])
    unlabelled: tuple[str, ...] = ()  # text files, one text per line, scored by the teacher only
    augment: int = 4  # augmented copies of each training text (word masking, n-gram sampling)
    temperature: float = 2.0  # softmax temperature of the soft term
    alpha: float = 0.9  # weight of the soft term (1 - alpha weighs the hard labels of labelled rows)
    c: float = 1.0  # inverse L2 strength of the teacher's logistic regression (scikit-learn's C)
    init_embeddings: bool = (
        True  # start the student's embeddings from MiniLM's word pieces (PCA to embed_dim, at most)
    )
    max_unlabelled: int = 200_000  # most unlabelled texts read (the rest are skipped with a warning)
    ruled: tuple[str, ...] = ()  # labelled files (as --data) whose labels stand in for the teacher's soft
    # targets: rule-made rows the teacher misreads (e.g. negation pairs, carrousel.nlp.negation)
    ruled_margin: float = 4.0  # logit gap given to a ruled row's label (4: P 0.98 at T 1, 0.88 at T 2)
    balance: bool = True  # keep a subset of the unlabelled texts whose teacher-predicted class shares
    # equal the training prior (a transfer set leaning to one class biases the student on held-out text)
    # word tokens: store a map from MiniLM's word pieces to the trained embeddings, so a word outside the
    # vocabulary gets a vector instead of [UNK] (carrousel.nlp.oov; other tokenizers spell such words in
    # pieces and ignore it)
    oov_fallback: bool = False
    hint: float = 0.0  # weight beta of the hint term: the student's pooled vector, through a training-only
    # projection, regresses the teacher's MiniLM embedding, beta * (1 - cosine) (core's train.hint; 0: off)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="unlabelled ruled")
        need(self.name in TEACHERS, f"unknown teacher {self.name!r}; use one of {', '.join(TEACHERS)}")
        need(0 <= self.augment <= 100, f"augment must be in [0, 100], got {self.augment}")
        positive(
            temperature=self.temperature,
            c=self.c,
            max_unlabelled=self.max_unlabelled,
            margin=self.ruled_margin,
        )
        need(
            math.isfinite(self.alpha) and 0.0 <= self.alpha <= 1.0,
            f"alpha must be in [0, 1], got {self.alpha}",
        )
        need(math.isfinite(self.hint) and self.hint >= 0, f"hint must be a number >= 0, got {self.hint}")


@dataclass(frozen=True)
class SentimentTrainConfig:
    """``nlp sentiment train``."""

    data: TextDataConfig  # the labelled texts
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)  # trained on the training split
    model: SentimentNetConfig = field(default_factory=SentimentNetConfig)  # the network
    fit: FitConfig = field(default_factory=FitConfig)  # the optimisation
    exclude: str | None = (
        None  # texts kept out of training, e.g. a test set: a table (its text column; no labels
    )
    # needed), a fastText file or a data set, as --data reads them
    embeddings: str | None = None  # GloVe/word2vec text file initialising the embeddings (sets embed_dim)
    freeze_embeddings: bool = False  # keep pretrained embeddings fixed during training (those of
    # --embeddings, or the MiniLM word-piece start of --teacher minilm)
    embedding_lr_scale: float = 1.0  # the embeddings learn at lr times this (1: as the rest of the network)
    teacher: TeacherConfig | None = None  # distil from a frozen sentence encoder (None: labels only)
    threshold: str = "prior"  # two classes: how the decision cut is chosen on the held-out rows (prior:
    # predicted-positive share = training share, on the held-out rows + any unlabelled texts | accuracy |
    # f1: maximised | none: argmax); carrousel.nlp.decision
    emoji: str = "names"  # names: emoji read as their Unicode names, in training and prediction alike
    # (carrousel.nlp.emoji_names; recorded in the bundle) | keep: as written (each unseen one is [UNK])
    fold: str = "unknown"  # unknown: in every encoding once the tokenizer is trained (training rows too),
    # characters its vocabulary lacks are folded to known ones (’ -> ', é -> e; carrousel.nlp.char_fold;
    # recorded in the bundle) | none: each is [UNK]
    unk: str = "drop"  # drop: prediction leaves the [UNK] ids out before the network (the decision cut is
    # placed reading them so; recorded in the bundle as the asset unk) | keep: the network reads them.
    # Training reads them either way. A bundle without the asset (from before) keeps them

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="embeddings")
        need(self.emoji in EMOJI_MODES, f"emoji must be one of {', '.join(EMOJI_MODES)}, not {self.emoji!r}")
        need(self.fold in FOLD_MODES, f"fold must be one of {', '.join(FOLD_MODES)}, not {self.fold!r}")
        check_unk(self.unk)
        need(
            self.threshold in THRESHOLDS,
            f"unknown threshold criterion {self.threshold!r}; use one of {', '.join(THRESHOLDS)}",
        )
        need(
            math.isfinite(self.embedding_lr_scale) and self.embedding_lr_scale > 0,
            f"embedding_lr_scale must be a number > 0, got {self.embedding_lr_scale}",
        )
        freeze = option("freeze_embeddings", True, "--freeze-embeddings")  # freeze_embeddings=True in Python
        teacher = option("teacher", "minilm") if naming_flags() else "teacher=TeacherConfig()"
        need(
            not (self.freeze_embeddings and self.embeddings is None and self.teacher is None),
            f"freeze_embeddings keeps pretrained embeddings fixed, and there are none: give "
            f"{option('embeddings', metavar='FILE')} or {teacher}, or leave {freeze} out",
        )
        # embedding_lr_scale is Python only (no flag, no --config key): its field name in both
        scale = f"embedding_lr_scale={self.embedding_lr_scale}"
        need(
            not (self.freeze_embeddings and self.embedding_lr_scale != 1.0),
            f"frozen embeddings do not learn: give {freeze} or {scale}, not both",
        )


@dataclass(frozen=True)
class SentimentPredictConfig:
    """``nlp sentiment predict``."""

    model: str | None = None  # a bundle folder written by ``nlp sentiment train`` (None: the shipped model)
    batch_size: int = 64  # texts per forward pass
    max_length: int | None = None  # tokens kept per text (None: the model's training setting)
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)
    unk: str | None = None  # keep | drop: [UNK] ids read or left out before the network (None: the bundle's)
    long: str = DEFAULT_READING  # which texts are read sentence by sentence: as SentimentEvaluateConfig.long

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        positive(batch_size=self.batch_size)
        need(self.max_length is None or self.max_length >= 1, "max_length must be >= 1")
        check_unk(self.unk)
        check_reading(self.long)


@dataclass(frozen=True)
class SentimentEvaluateConfig:
    """``nlp sentiment evaluate``."""

    model: str | None  # a bundle folder (None: the shipped model)
    data: TextDataConfig  # labelled texts; their labels must be ones the model knows
    batch_size: int = 64  # texts per forward pass
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    example: int = 0  # row whose attention is drawn in attention.png
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)
    # "pos=positive,neg=negative": data label -> model label ("3=-" drops rows, "1..2=negative" maps a range;
    # None: the model's labels, or an unambiguous reading of pos/neg, 0/1, neutral, or grades of a known
    # scale such as 1..5 stars; see carrousel.nlp.label_map)
    label_map: str | None = None
    unk: str | None = None  # keep | drop: [UNK] ids read or left out before the network (None: the bundle's)
    # whole | truncated | sentences: which texts are read sentence by sentence, the mean of their sentences'
    # log probabilities (carrousel.nlp.long_texts): none, those longer than the model's max_length, all
    long: str = DEFAULT_READING

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        positive(batch_size=self.batch_size)
        need(self.example >= 0, "example must be >= 0")
        check_label_map(self.label_map)
        check_unk(self.unk)
        check_reading(self.long)


@dataclass(frozen=True)
class SentimentExportConfig:
    """``nlp sentiment export``: a model with its network as ONNX (fp32 / dynamic int8) and a report."""

    model: str | None = None  # a bundle folder (None: the shipped model)
    data: TextDataConfig | None = None  # labelled texts: accuracy before and after (None: not measured)
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)
    prune: float = 0.0  # share of the LSTM's units to remove before export (0: none), then fine-tune
    unlabelled: tuple[str, ...] = ()  # texts (one per line) the pruned model learns the full one's outputs on
    # the pruned model's fine-tuning (chosen by agreement with the full model on held-out unlabelled texts)
    finetune: FitConfig = FitConfig(epochs=12, batch_size=64, lr=1e-3, patience=3)  # noqa: RUF009 (frozen)
    label_map: str | None = None  # data label -> model label for ``data`` (as SentimentEvaluateConfig's)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model unlabelled")
        check_export_options(self.precision, self.exporter)
        fraction("prune", self.prune)
        need(
            self.label_map is None or self.data is not None,
            f"{option('label_map')} is for {option('data')} (the labelled texts scored before and after the "
            "export)",
        )
        check_label_map(self.label_map)
        need(
            self.prune == 0.0 or bool(self.unlabelled),
            f"{option('prune')} needs {option('unlabelled', metavar='FILE')}: texts (one per line, no labels "
            "needed) on which the pruned model is fine-tuned to give the full model's outputs",
        )
