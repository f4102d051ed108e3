"""Configurations of the nlp commands: frozen dataclasses, one per command, composed of sub-configs.

Each is built once from the CLI flags (or from ``--config run.toml`` through
:func:`carrousel.core.config.load_toml`, then :func:`dataclasses.replace` with the flags given) and checked
in ``__post_init__``; a bad value raises :class:`~carrousel.nlp.errors.NLPConfigError` (exit 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carrousel.core.config import MAX_EPOCHS, MAX_THREADS, check_device, check_numbers
from carrousel.core.export.choices import InferencePrecision, check_precision_name
from carrousel.core.option_names import naming_flags, option
from carrousel.nlp.char_fold import FOLD_MODES, UNK_MODES
from carrousel.nlp.emoji_names import EMOJI_MODES
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.label_map import LabelMapError, parse_label_map
from carrousel.nlp.long_texts import DEFAULT_READING, check_reading

__all__ = [
    "MAX_LENGTH_PENALTY",
    "TEACHERS",
    "TOKENIZER_KINDS",
    "DecodeConfig",
    "FitConfig",
    "GenerateConfig",
    "LMDataConfig",
    "LMEvaluateConfig",
    "LMExportConfig",
    "LMNetConfig",
    "LMTrainConfig",
    "SentimentEvaluateConfig",
    "SentimentExportConfig",
    "SentimentNetConfig",
    "SentimentPredictConfig",
    "SentimentTrainConfig",
    "TeacherConfig",
    "TextDataConfig",
    "TokenizerConfig",
    "TranslateDataConfig",
    "TranslateEvaluateConfig",
    "TranslateExportConfig",
    "TranslateNetConfig",
    "TranslateTrainConfig",
]


TOKENIZER_KINDS = ("bpe", "unigram", "word", "char")
POOLINGS = ("attention", "mean", "last", "max")
CELLS = ("lstm", "gru")
TEACHERS = ("minilm",)
THRESHOLDS = ("prior", "accuracy", "f1", "none")  # = carrousel.nlp.decision.CRITERIA


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise NLPConfigError(message)


def _label_map(text: str | None) -> None:
    """A ``--label-map`` that is not ``DATA=MODEL,...`` as an :class:`NLPConfigError`."""
    if text is not None:
        try:
            parse_label_map(text)
        except LabelMapError as e:
            raise NLPConfigError(str(e)) from None


def _export_options(precision: str, exporter: str) -> None:
    """The ``export`` commands' shared checks of ``--precision`` and ``--exporter``."""
    _need(precision in ("fp32", "int8"), f"precision must be fp32 or int8, not {precision!r}")
    _need(exporter in ("torchscript", "dynamo"), f"exporter must be torchscript or dynamo, not {exporter!r}")


def _unk(unk: str | None) -> None:
    """An ``[UNK]`` reading (None: the bundle's) that is not one of :data:`UNK_MODES` as an NLPConfigError."""
    _need(unk is None or unk in UNK_MODES, f"unk must be one of {', '.join(UNK_MODES)}, not {unk!r}")


def _positive(**values: int | float) -> None:
    for name, value in values.items():
        _need(
            math.isfinite(value) and value > 0,
            f"{name} must be > 0, got {value}",
        )


def _fraction(name: str, value: float, low_open: bool = False) -> None:
    ok = math.isfinite(value) and (value > 0.0 if low_open else value >= 0.0) and value < 1.0
    _need(ok, f"{name} must be in {'(' if low_open else '['}0, 1), got {value}")


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes token ids (HF ``tokenizers``, trained on the training split only)."""

    kind: str = "bpe"  # bpe | unigram (subwords) | word | char
    vocab_size: int = 8000  # most tokens kept, specials included (char: a cap on distinct characters)
    min_frequency: int = 2  # bpe/word/char: rarer merges, words or characters become [UNK]
    lowercase: bool = True  # lowercase after NFKC normalisation (accents, emoji and CJK are kept)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        _need(
            self.kind in TOKENIZER_KINDS,
            f"unknown tokenizer {self.kind!r}; use one of {', '.join(TOKENIZER_KINDS)}",
        )
        _need(8 <= self.vocab_size <= 1_000_000, f"vocab_size must be in [8, 1000000], got {self.vocab_size}")
        _need(self.min_frequency >= 1, f"min_frequency must be >= 1, got {self.min_frequency}")


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
        _need(
            bool(self.source.strip()),
            f"give a data file or hub name ({option('data.source', flag='--data')})",
        )
        _need(bool(self.text_col) and bool(self.label_col), "text and label column names must not be empty")
        _need(self.text_col != self.label_col, f"text and label columns are both {self.text_col!r}")
        _need(1 <= self.max_length <= 100_000, f"max_length must be in [1, 100000], got {self.max_length}")


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
        _positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        _need(self.attention_size >= 0, f"attention_size must be >= 0, got {self.attention_size}")
        _need(self.cell in CELLS, f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        _need(self.pooling in POOLINGS, f"unknown pooling {self.pooling!r}; use one of {', '.join(POOLINGS)}")
        _fraction("dropout", self.dropout)
        _fraction("embed_dropout", self.embed_dropout)


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
        _positive(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, patience=self.patience)
        _need(math.isfinite(self.weight_decay) and self.weight_decay >= 0, "weight_decay must be >= 0")
        _fraction("val_fraction", self.val_fraction, low_open=True)
        _need(0 <= self.threads <= MAX_THREADS, f"threads must be within 0-{MAX_THREADS}, got {self.threads}")
        _need(self.epochs <= MAX_EPOCHS, f"epochs must be at most {MAX_EPOCHS}, got {self.epochs}")
        _fraction("lr_decay", self.lr_decay)
        _fraction("ema_decay", self.ema_decay)


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
        _need(self.name in TEACHERS, f"unknown teacher {self.name!r}; use one of {', '.join(TEACHERS)}")
        _need(0 <= self.augment <= 100, f"augment must be in [0, 100], got {self.augment}")
        _positive(
            temperature=self.temperature,
            c=self.c,
            max_unlabelled=self.max_unlabelled,
            margin=self.ruled_margin,
        )
        _need(
            math.isfinite(self.alpha) and 0.0 <= self.alpha <= 1.0,
            f"alpha must be in [0, 1], got {self.alpha}",
        )
        _need(math.isfinite(self.hint) and self.hint >= 0, f"hint must be a number >= 0, got {self.hint}")


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
        _need(self.emoji in EMOJI_MODES, f"emoji must be one of {', '.join(EMOJI_MODES)}, not {self.emoji!r}")
        _need(self.fold in FOLD_MODES, f"fold must be one of {', '.join(FOLD_MODES)}, not {self.fold!r}")
        _unk(self.unk)
        _need(
            self.threshold in THRESHOLDS,
            f"unknown threshold criterion {self.threshold!r}; use one of {', '.join(THRESHOLDS)}",
        )
        _need(
            math.isfinite(self.embedding_lr_scale) and self.embedding_lr_scale > 0,
            f"embedding_lr_scale must be a number > 0, got {self.embedding_lr_scale}",
        )
        freeze = option("freeze_embeddings", True, "--freeze-embeddings")  # freeze_embeddings=True in Python
        teacher = option("teacher", "minilm") if naming_flags() else "teacher=TeacherConfig()"
        _need(
            not (self.freeze_embeddings and self.embeddings is None and self.teacher is None),
            f"freeze_embeddings keeps pretrained embeddings fixed, and there are none: give "
            f"{option('embeddings', metavar='FILE')} or {teacher}, or leave {freeze} out",
        )
        # embedding_lr_scale is Python only (no flag, no --config key): its field name in both
        scale = f"embedding_lr_scale={self.embedding_lr_scale}"
        _need(
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
        _positive(batch_size=self.batch_size)
        _need(self.max_length is None or self.max_length >= 1, "max_length must be >= 1")
        _unk(self.unk)
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
        _positive(batch_size=self.batch_size)
        _need(self.example >= 0, "example must be >= 0")
        _label_map(self.label_map)
        _unk(self.unk)
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
    finetune: FitConfig = FitConfig(epochs=12, batch_size=64, lr=1e-3, patience=3)
    label_map: str | None = None  # data label -> model label for ``data`` (as SentimentEvaluateConfig's)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model unlabelled")
        _export_options(self.precision, self.exporter)
        _fraction("prune", self.prune)
        _need(
            self.label_map is None or self.data is not None,
            f"{option('label_map')} is for {option('data')} (the labelled texts scored before and after the "
            "export)",
        )
        _label_map(self.label_map)
        _need(
            self.prune == 0.0 or bool(self.unlabelled),
            f"{option('prune')} needs {option('unlabelled', metavar='FILE')}: texts (one per line, no labels "
            "needed) on which the pruned model is fine-tuned to give the full model's outputs",
        )


@dataclass(frozen=True)
class LMDataConfig:
    """Plain-text files for a language model; the last ``holdout`` share is held out."""

    files: tuple[str, ...]  # UTF-8 text files, read in order and joined
    holdout: float = 0.1  # share of the text at the end kept for validation / perplexity

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="files")
        _need(len(self.files) > 0, f"give at least one text file ({option('data.files', flag='--text')})")
        _fraction("holdout", self.holdout, low_open=True)


@dataclass(frozen=True)
class LMNetConfig:
    """Embedding -> LSTM -> projection -> tied output layer."""

    embed_dim: int = 128  # embedding size (the output layer shares these weights)
    hidden_size: int = 256  # recurrent units
    num_layers: int = 1  # stacked layers
    cell: str = "lstm"  # lstm | gru
    dropout: float = 0.2  # dropout on embeddings, between layers and before the output layer

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        _positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        _need(self.cell in CELLS, f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        _fraction("dropout", self.dropout)


@dataclass(frozen=True)
class LMTrainConfig:
    """``nlp generate train``."""

    data: LMDataConfig  # the text
    tokenizer: TokenizerConfig = field(
        default_factory=lambda: TokenizerConfig(kind="char", vocab_size=512, min_frequency=1, lowercase=False)
    )  # char level by default
    model: LMNetConfig = field(default_factory=LMNetConfig)  # the network
    fit: FitConfig = field(
        default_factory=lambda: FitConfig(epochs=30, batch_size=32, lr=3e-3, lr_decay=0.25)
    )
    bptt: int = 100  # truncated back-propagation length in tokens
    segment: int = 400  # tokens per stream per batch (cut into bptt chunks, state carried)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        _positive(bptt=self.bptt, segment=self.segment)
        _need(self.segment >= self.bptt, f"segment ({self.segment}) must be >= bptt ({self.bptt})")


@dataclass(frozen=True)
class GenerateConfig:
    """``nlp generate run``."""

    model: str  # a bundle folder written by ``nlp generate train``
    prompt: str = ""  # text the generation continues ("" starts from nothing)
    max_tokens: int = 200  # tokens to generate
    temperature: float = 0.8  # < 1 sharper, > 1 flatter; 0 means greedy
    top_k: int = 0  # sample among the k most likely tokens (0: all)
    top_p: float = 1.0  # sample from the smallest set of tokens holding this probability (1: all)
    seed: int | None = None  # fixes the sampling for reproducible output
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        _need(1 <= self.max_tokens <= 100_000, f"max_tokens must be in [1, 100000], got {self.max_tokens}")
        _need(math.isfinite(self.temperature) and self.temperature >= 0, "temperature must be >= 0")
        _need(self.top_k >= 0, f"top_k must be >= 0, got {self.top_k}")
        _need(
            math.isfinite(self.top_p) and 0.0 < self.top_p <= 1.0,
            f"top_p must be in (0, 1], got {self.top_p}",
        )


@dataclass(frozen=True)
class LMEvaluateConfig:
    """``nlp generate evaluate``: perplexity on the held-out tail against n-gram baselines."""

    model: str  # a bundle folder
    data: LMDataConfig  # the text (the same files and holdout as in training for the same split)
    orders: tuple[int, ...] = (1, 3, 5)  # n-gram baselines (interpolated Kneser-Ney; 1 = unigram)
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        _need(len(self.orders) > 0 and all(1 <= n <= 10 for n in self.orders), "orders must be in [1, 10]")


@dataclass(frozen=True)
class LMExportConfig:
    """``nlp generate export``: a language model with its step (tokens + state -> logits + state) as ONNX."""

    model: str  # a bundle folder written by ``nlp generate train``
    text: tuple[str, ...] = ()  # perplexity before/after on these files' held-out tail (): the bundle's own
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model text")
        _export_options(self.precision, self.exporter)


@dataclass(frozen=True)
class TranslateDataConfig:
    """Parallel text for translation, its cleaning and its fixed-seed split."""

    pairs: tuple[str, ...]  # one .mo/.po/.tsv/.jsonl file, or two aligned plain-text files (source first)
    src: str = "en"  # source language code (JSONL key, TSV header)
    tgt: str = "de"  # target language code
    valid: float = 0.05  # share held out for early stopping
    test: float = 0.05  # share held out for the final test (never trained on, nor in the vocabulary)
    max_ratio: float = 3.0  # drop pairs whose word counts differ by more than this factor
    max_words: int = 80  # drop pairs with a longer side
    seed: int = 0  # seeds the split

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="pairs")
        _need(len(self.pairs) in (1, 2), f"give one pairs file or two aligned text files ({option('pairs')})")
        _need(
            bool(self.src.strip()) and bool(self.tgt.strip()),
            f"{option('src')} and {option('tgt')} must not be empty",
        )
        _need(self.src != self.tgt, f"source and target are both {self.src!r}")
        _fraction("valid", self.valid)
        _fraction("test", self.test)
        _need(self.valid + self.test < 0.9, "valid + test must leave at least 10% for training")
        _need(math.isfinite(self.max_ratio) and self.max_ratio >= 1.0, "max_ratio must be >= 1")
        _positive(max_words=self.max_words)


@dataclass(frozen=True)
class TranslateNetConfig:
    """BiLSTM encoder -> LSTM decoder with Luong attention and input feeding, tied output layer."""

    embed_dim: int = 256  # embedding size (the output layer shares the decoder's embedding)
    hidden_size: int = 256  # decoder units; the encoder has hidden_size // 2 per direction
    num_layers: int = 1  # stacked layers of encoder and decoder
    attention: str = "general"  # Luong score: general | dot
    dropout: float = 0.3  # on embeddings, between layers and on the attentional vector
    pointer: bool = True  # pointer-generator: a learned gate mixes copying source tokens into the output
    lexicon: int = 0  # entries per source token of an IBM-1 lexicon pointer target (0 or no pointer: off)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        _positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        _need(
            self.hidden_size % 2 == 0,  # the encoder has half of it per direction
            f"{option('hidden_size', self.hidden_size)} must be even (the encoder has half of it per direction);"
            f" give e.g. {option('hidden_size', self.hidden_size + 1)}",
        )
        _need(
            self.attention in ("general", "dot"), f"unknown attention {self.attention!r}; use general or dot"
        )
        _fraction("dropout", self.dropout)
        _need(self.lexicon >= 0, f"lexicon must be >= 0, got {self.lexicon}")


@dataclass(frozen=True)
class TranslateTrainConfig:
    """``nlp translate train``: subword vocabularies (one shared by both languages, or one per language),
    trained on the train split."""

    data: TranslateDataConfig  # the pairs and their split
    tokenizer: TokenizerConfig = field(
        default_factory=lambda: TokenizerConfig(kind="bpe", vocab_size=1000, min_frequency=2, lowercase=False)
    )
    model: TranslateNetConfig = field(default_factory=TranslateNetConfig)  # the network
    fit: FitConfig = field(
        default_factory=lambda: FitConfig(
            epochs=32, batch_size=32, lr=3e-3, patience=3, lr_decay=0.5, threads=1
        )
    )
    label_smoothing: float = 0.1  # cross-entropy label smoothing
    max_tokens: int = 100  # subword tokens kept per side in training (longer pairs are skipped)
    case_variation: float = 0.3  # share of lower-case training pairs capitalised on both sides
    placeholders: bool = True  # formats, options, paths and numbers masked as single copied tokens
    rare_words: int = 0  # with placeholders: source words seen at most this often are carried over whole
    caps_names: bool = False  # with placeholders: all-caps names never written otherwise in the training
    # sources (TIMEFORMAT) are carried over whole (carrousel.nlp.pipeline.translate_known)
    shared_vocab: bool = True  # one vocabulary and embedding for both languages (False: one each, of
    # tokenizer.vocab_size entries; the pointer copies a source piece to the same target piece)
    bpe_dropout: float = 0.0  # BPE-dropout of the training pairs, both sides, drawn anew each epoch (0: off)
    members: int = 3  # networks trained with training seeds fit.seed, fit.seed + 1... and decoded as one
    # ensemble (1: a single network; 3 measured best, nlp docs/results-translation.md, "Seed ensembles")
    workers: int = 0  # processes training members at once (0: as many as the CPU cores hold at fit.threads)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        _need(1 <= self.members <= 16, f"members must be within 1-16, got {self.members}")
        _need(  # an empty validation split: no loss for early stopping and the kept epoch
            self.data.valid > 0,
            f"{option('valid', self.data.valid)} leaves no validation pairs, and training needs them (early "
            f"stopping and the kept epoch go by their loss); give a share above 0, e.g. {option('valid', 0.05)}",
        )
        _need(0 <= self.workers <= 64, f"workers must be within 0-64, got {self.workers}")
        _fraction("label_smoothing", self.label_smoothing)
        _fraction("bpe_dropout", self.bpe_dropout)
        _need(self.rare_words >= 0, f"rare_words must be >= 0, got {self.rare_words}")
        _fraction("case_variation", self.case_variation)
        _positive(max_tokens=self.max_tokens)


MAX_LENGTH_PENALTY = 10.0  # GNMT alpha's bound: ((5 + length) / 6) ** alpha overflows a float at alpha ~ 200


@dataclass(frozen=True)
class DecodeConfig:
    """How a trained translator decodes (``nlp translate run`` and ``evaluate``)."""

    beam: int = 5  # beam size (1: greedy search)
    length_penalty: float = 1.0  # GNMT alpha: scores are log-prob / ((5 + length) / 6) ** alpha
    coverage_penalty: float = 0.0  # GNMT beta over the attention (0: off)
    max_ratio: float = 2.0  # most output tokens per source token (plus 10)
    block_ngram_repeat: int = 5  # n: no output repeats an n-gram of its own tokens (0: off; nlp README)
    batch_size: int = 64  # sentences decoded together
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device)
    precision: str = "fp32"  # fp32 | bf16 | fp16: autocast of the network (not for an exported model)
    copy_unknown: bool = False  # post-edit: output words attending to an unseen source word become it
    lexical_bias: float = 0.0  # lambda of the lexicon bias lambda * log(p_lex + eps) on the output (0: off)
    lexical_eps: float = 1e-3  # eps of the lexicon bias
    fallback_nll: float = 0.8  # mean -log p per output token above which the dictionary translates (0: off;
    # 0.8 chosen for the three-network ensemble, 0.6 before, one network: nlp docs/results-translation.md)
    mbr: bool = True  # consensus (MBR, chrF) among the n-best, the dictionary's and (mbr_copy) the source
    mbr_temperature: float = 1.0  # the n-best's weights softmax(log p / T), summing to 1 (T > 1: flatter)
    mbr_dictionary: float = 0.5  # the dictionary translation's weight beside them (0: candidate only)
    mbr_copy: float = 0.25  # the copied source's weight (0: not a candidate)
    mbr_confidence: float = 0.0  # s: the n-best weigh exp(-s * mean -log p of the best) together (0: 1)
    fallback_clauses: bool = False  # a text the fallback hands the dictionary is redone clause by clause

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        _need(1 <= self.beam <= 64, f"beam must be in [1, 64], got {self.beam}")
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        _need(
            0 <= self.length_penalty <= MAX_LENGTH_PENALTY,  # beyond, ((5 + length) / 6) ** alpha overflows
            f"length_penalty must be in [0, {MAX_LENGTH_PENALTY:g}]",
        )
        _need(
            math.isfinite(self.coverage_penalty) and self.coverage_penalty >= 0,
            "coverage_penalty must be >= 0",
        )
        _positive(max_ratio=self.max_ratio, batch_size=self.batch_size)
        _need(self.block_ngram_repeat >= 0, f"block_ngram_repeat must be >= 0, got {self.block_ngram_repeat}")
        _need(math.isfinite(self.lexical_bias) and self.lexical_bias >= 0, "lexical_bias must be >= 0")
        _need(0 < self.lexical_eps < 1, f"lexical_eps must be in (0, 1), got {self.lexical_eps}")
        _need(math.isfinite(self.fallback_nll) and self.fallback_nll >= 0, "fallback_nll must be >= 0")
        _need(self.mbr_temperature > 0, f"mbr_temperature must be > 0, got {self.mbr_temperature}")
        for name in ("mbr_dictionary", "mbr_copy", "mbr_confidence"):
            v = getattr(self, name)
            _need(math.isfinite(v) and v >= 0, f"{name} must be >= 0, got {v}")


@dataclass(frozen=True)
class TranslateExportConfig:
    """``nlp translate export``: a translation model with its decoder step and encoder as ONNX (fp32 / int8)."""

    model: str  # a bundle folder written by ``nlp translate train``
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)
    limit: int = 200  # BLEU before/after on this many pairs of the stored test split (0: not measured)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        _export_options(self.precision, self.exporter)
        _need(self.limit >= 0, "limit must be >= 0")


@dataclass(frozen=True)
class TranslateEvaluateConfig:
    """``nlp translate evaluate``: BLEU and chrF of greedy and beam decoding beside two baselines."""

    model: str  # a bundle folder written by ``nlp translate train``
    pairs: tuple[str, ...]  # pairs to score (any format of training)
    split: str = "all"  # all: every clean pair | test | valid: that split, cut as in training
    decode: DecodeConfig = field(default_factory=DecodeConfig)  # beam settings (greedy runs too)
    limit: int = 0  # score at most this many pairs (0: all)
    examples: int = 5  # example translations in the result
    ensemble: tuple[str, ...] = ()  # more bundles of the same pairs and vocabulary, decoded with model as one
    bleu_tokenize: str = "auto"  # sacrebleu's BLEU tokenizer; auto: by target language (zh for Chinese)

    def __post_init__(self) -> None:
        from carrousel.nlp.bleu_tokenize import check_bleu_tokenize

        check_numbers(self, NLPConfigError, paths="model pairs ensemble")
        _need(self.split in ("all", "test", "valid"), f"unknown split {self.split!r}; use all, test or valid")
        check_bleu_tokenize(self.bleu_tokenize)
        _need(self.limit >= 0 and self.examples >= 0, "limit and examples must be >= 0")
