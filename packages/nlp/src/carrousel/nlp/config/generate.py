"""The configs of ``nlp generate``: the character/subword language model's data and network, and the train,
run, evaluate and export commands."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from carrousel.core.config import check_device, check_numbers
from carrousel.core.export.choices import check_precision_name
from carrousel.core.option_names import option
from carrousel.nlp.config._checks import check_export_options, fraction, need, positive
from carrousel.nlp.config.common import CELLS, FitConfig, TokenizerConfig
from carrousel.nlp.errors import NLPConfigError

__all__ = [
    "STDIN_UNREADABLE",
    "GenerateConfig",
    "LMDataConfig",
    "LMEvaluateConfig",
    "LMExportConfig",
    "LMNetConfig",
    "LMTrainConfig",
]

# Why ``-`` (standard input) cannot be a text file, after the setting's name (``--text``, ``[data] files in
# c.toml:``): the one wording of LMDataConfig's check and of the CLI's (exit 2 for a typed ``--text -``).
STDIN_UNREADABLE = (
    "- (standard input) cannot be read: the text is read again by name (its held-out tail by evaluate and "
    "export); save it to a file and give that"
)


@dataclass(frozen=True)
class LMDataConfig:
    """Plain-text files for a language model; the last ``holdout`` share is held out."""

    files: tuple[str, ...]  # UTF-8 text files, read in order and joined
    holdout: float = 0.1  # share of the text at the end kept for validation / perplexity

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="files")
        need(len(self.files) > 0, f"give at least one text file ({option('data.files', flag='--text')})")
        need(  # read again by name (evaluate, export, the held-out check): no stream (before: "- not found")
            "-" not in self.files,
            f"{option('data.files', flag='--text')} {STDIN_UNREADABLE}",
        )
        fraction("holdout", self.holdout, low_open=True)


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
        positive(embed_dim=self.embed_dim, hidden_size=self.hidden_size, num_layers=self.num_layers)
        need(self.cell in CELLS, f"unknown cell {self.cell!r}; use one of {', '.join(CELLS)}")
        fraction("dropout", self.dropout)


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
        positive(bptt=self.bptt, segment=self.segment)
        need(self.segment >= self.bptt, f"segment ({self.segment}) must be >= bptt ({self.bptt})")


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
        need(1 <= self.max_tokens <= 100_000, f"max_tokens must be in [1, 100000], got {self.max_tokens}")
        need(math.isfinite(self.temperature) and self.temperature >= 0, "temperature must be >= 0")
        need(self.top_k >= 0, f"top_k must be >= 0, got {self.top_k}")
        need(
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
        need(len(self.orders) > 0 and all(1 <= n <= 10 for n in self.orders), "orders must be in [1, 10]")


@dataclass(frozen=True)
class LMExportConfig:
    """``nlp generate export``: a language model with its step (tokens + state -> logits + state) as ONNX."""

    model: str  # a bundle folder written by ``nlp generate train``
    text: tuple[str, ...] = ()  # perplexity before/after on these files' held-out tail (): the bundle's own
    precision: str = "int8"  # fp32 | int8 (ONNX Runtime dynamic int8 weights)
    exporter: str = "torchscript"  # torchscript | dynamo (PyTorch's two ONNX exporters)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError, paths="model text")
        check_export_options(self.precision, self.exporter)
