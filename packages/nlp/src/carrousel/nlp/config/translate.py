"""The configs of ``nlp translate``: parallel data, the attention network, training, decoding, evaluation
and export."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carrousel.core.config import check_device, check_numbers
from carrousel.core.export.choices import check_precision_name
from carrousel.core.option_names import option
from carrousel.nlp.config._checks import check_export_options, fraction, need, positive
from carrousel.nlp.config.common import FitConfig, TokenizerConfig
from carrousel.nlp.errors import NLPConfigError

__all__ = [
    "MAX_LENGTH_PENALTY",
    "DecodeConfig",
    "TranslateDataConfig",
    "TranslateEvaluateConfig",
    "TranslateExportConfig",
    "TranslateNetConfig",
    "TranslateTrainConfig",
]


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
        need(len(self.pairs) in (1, 2), f"give one pairs file or two aligned text files ({option('pairs')})")
        need(
            bool(self.src.strip()) and bool(self.tgt.strip()),
            f"{option('src')} and {option('tgt')} must not be empty",
        )
        need(self.src != self.tgt, f"source and target are both {self.src!r}")
        fraction("valid", self.valid)
        fraction("test", self.test)
        need(self.valid + self.test < 0.9, "valid + test must leave at least 10% for training")
        need(math.isfinite(self.max_ratio) and self.max_ratio >= 1.0, "max_ratio must be >= 1")
        positive(max_words=self.max_words)


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
        positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        need(
            self.hidden_size % 2 == 0,  # the encoder has half of it per direction
            f"{option('hidden_size', self.hidden_size)} must be even (the encoder has half of it per direction);"
            f" give e.g. {option('hidden_size', self.hidden_size + 1)}",
        )
        need(
            self.attention in ("general", "dot"), f"unknown attention {self.attention!r}; use general or dot"
        )
        fraction("dropout", self.dropout)
        need(self.lexicon >= 0, f"lexicon must be >= 0, got {self.lexicon}")


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
        need(1 <= self.members <= 16, f"members must be within 1-16, got {self.members}")
        need(  # an empty validation split: no loss for early stopping and the kept epoch
            self.data.valid > 0,
            f"{option('valid', self.data.valid)} leaves no validation pairs, and training needs them (early "
            f"stopping and the kept epoch go by their loss); give a share above 0, e.g. {option('valid', 0.05)}",
        )
        need(0 <= self.workers <= 64, f"workers must be within 0-64, got {self.workers}")
        fraction("label_smoothing", self.label_smoothing)
        fraction("bpe_dropout", self.bpe_dropout)
        need(self.rare_words >= 0, f"rare_words must be >= 0, got {self.rare_words}")
        fraction("case_variation", self.case_variation)
        positive(max_tokens=self.max_tokens)


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
    usage_dictionary: bool = False  # usage lines (by the source's shape: nlp.usage_lines) word by word
    usage_commands: bool = True  # a usage line's command words (also after an or) kept, the rest translated
    # (on: git's validation split, D3, beam 5, as before and greedy better: nlp docs/results-translation.md)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        object.__setattr__(self, "device", check_device(self.device, NLPConfigError))
        need(1 <= self.beam <= 64, f"beam must be in [1, 64], got {self.beam}")
        object.__setattr__(self, "precision", check_precision_name(self.precision, NLPConfigError).value)
        need(
            0 <= self.length_penalty <= MAX_LENGTH_PENALTY,  # beyond, ((5 + length) / 6) ** alpha overflows
            f"length_penalty must be in [0, {MAX_LENGTH_PENALTY:g}]",
        )
        need(
            math.isfinite(self.coverage_penalty) and self.coverage_penalty >= 0,
            "coverage_penalty must be >= 0",
        )
        positive(max_ratio=self.max_ratio, batch_size=self.batch_size)
        need(self.block_ngram_repeat >= 0, f"block_ngram_repeat must be >= 0, got {self.block_ngram_repeat}")
        need(math.isfinite(self.lexical_bias) and self.lexical_bias >= 0, "lexical_bias must be >= 0")
        need(0 < self.lexical_eps < 1, f"lexical_eps must be in (0, 1), got {self.lexical_eps}")
        need(math.isfinite(self.fallback_nll) and self.fallback_nll >= 0, "fallback_nll must be >= 0")
        need(self.mbr_temperature > 0, f"mbr_temperature must be > 0, got {self.mbr_temperature}")
        for name in ("mbr_dictionary", "mbr_copy", "mbr_confidence"):
            v = getattr(self, name)
            need(math.isfinite(v) and v >= 0, f"{name} must be >= 0, got {v}")


@dataclass(frozen=True)
class TranslateExportConfig:
    """``nlp translate export``: a translation model with its decoder step and encoder as ONNX (fp32 / int8)."""

    model: str  # a bundle folder written by ``nlp translate train``
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)
    limit: int = 200  # BLEU before/after on this many pairs of the stored test split (0: not measured)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model")
        check_export_options(self.precision, self.exporter)
        need(self.limit >= 0, "limit must be >= 0")


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
        need(self.split in ("all", "test", "valid"), f"unknown split {self.split!r}; use all, test or valid")
        check_bleu_tokenize(self.bleu_tokenize)
        need(self.limit >= 0 and self.examples >= 0, "limit and examples must be >= 0")
