"""Networks of carrousel.nlp, built from core blocks and registered so bundles rebuild them.

* :class:`SentimentClassifier` (``"nlp.sentiment_classifier"``): embedding -> (Bi)LSTM
  (:class:`~carrousel.core.nn.RecurrentEncoder`) -> pooling over valid tokens (core attention pooling,
  mean, max or last) -> dropout -> linear classifier.
* :class:`LanguageModel` (``"nlp.language_model"``): embedding -> LSTM -> linear projection to the embedding size
  -> output layer tied to the embedding (Press & Wolf 2017), stateful for truncated BPTT and generation.

Token id 0 is padding in both (``padding_idx``), never attended to or pooled. The classifier can drop
positions (``[UNK]`` ids) before its embedding (:func:`drop_positions`, :func:`run_without`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.io import register_module
from carrousel.core.nn import (
    AttentionPooling,
    RecurrentConfig,
    RecurrentEncoder,
    State,
    last_pool,
    max_pool,
    mean_pool,
)
from carrousel.nlp.config import LMNetConfig, SentimentNetConfig
from carrousel.nlp.errors import NLPConfigError

__all__ = [
    "ClassifierOutput",
    "LanguageModel",
    "LanguageModelConfig",
    "SentimentClassifier",
    "SentimentModelConfig",
    "build_classifier",
    "build_language_model",
    "drop_positions",
    "float32_output",
    "run_without",
]


def float32_output(layer: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``layer(x)``, in float32 with autocast off when autocast is on (bf16 / fp16 inference).

    The output layers of generation and translation go through it, so the logits, and the log-softmax,
    sampling and beam scores computed from them, keep float32's resolution under reduced precision: the
    recurrent network and attention run in bfloat16, but a bfloat16 logit near 10 moves in steps of 1/16,
    which would tie candidates of the search. Without autocast (training in float32, export) it is
    ``layer(x)`` unchanged.

    Args:
        layer: the output layer, ``(..., D) -> (..., V)``.
        x: ``(..., D)`` features (any floating dtype).
    """
    if not torch.is_autocast_enabled(x.device.type):
        return layer(x)
    with torch.autocast(x.device.type, enabled=False):
        return layer(x.float())


def drop_positions(ids: Tensor, lengths: Tensor, drop: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Removes the ``drop`` positions from a padded batch, the kept ones moved left in order.

    A row whose every valid position is in ``drop`` keeps them all (so that no row is empty). The network
    then reads each row as if the dropped tokens had never been written (the ``[UNK]`` ids of
    :class:`carrousel.nlp.pipeline.SentimentModel`'s ``unk="drop"``).

    Args:
        ids: ``(B, T)`` token ids, 0 past each length.
        lengths: ``(B,)`` valid lengths in ``[1, T]``.
        drop: ``(B, T)`` bool, True where a token is to be removed (ignored past each length).

    Returns:
        ``(ids (B, T'), lengths (B,), positions (B, T'))``: the kept ids (0 past each new length), the new
        lengths and, per kept slot, its position in ``ids`` (for weights read back onto the input tokens:
        ``zeros (B, T).scatter(1, positions, weights)``).
    """
    t = ids.shape[1]
    valid = torch.arange(t, device=ids.device).unsqueeze(0) < lengths.to(ids.device).unsqueeze(1)
    keep = valid & ~drop
    keep = torch.where(keep.any(dim=1, keepdim=True), keep, valid)  # nothing left: the row as it was
    new_lengths = keep.sum(dim=1)
    positions = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)[:, : int(new_lengths.max())]
    inside = torch.arange(positions.shape[1], device=ids.device).unsqueeze(0) < new_lengths.unsqueeze(1)
    kept = torch.where(inside, ids.gather(1, positions), torch.zeros_like(positions))
    return kept, new_lengths.to(lengths.dtype).to(lengths.device), positions


def run_without(
    run: Callable[[Tensor, Tensor], Sequence[Any]], ids: Tensor, lengths: Tensor, drop: Tensor | None
) -> tuple[Tensor, Tensor | None]:
    """``run(ids, lengths)`` on the batch without its ``drop`` positions (:func:`drop_positions`).

    Args:
        run: a network of padded ids and lengths, ``-> (outputs (B, ...), per-token weights (B, T') or None)``,
            tensors or NumPy arrays (an ONNX Runtime module's ``run``).
        ids: ``(B, T)`` token ids, 0 past each length.
        lengths: ``(B,)`` valid lengths.
        drop: ``(B, T)`` bool, True where a token is removed; None or all False: ``run(ids, lengths)`` itself.

    Returns:
        ``run``'s outputs as tensors, its weights put back onto the input's positions ``(B, T)`` (0 at the
        dropped ones).
    """

    def call(i: Tensor, n: Tensor) -> tuple[Tensor, Tensor | None]:
        out, weights = run(i, n)
        return torch.as_tensor(out), None if weights is None else torch.as_tensor(weights)

    if drop is None or not bool(drop.any()):
        return call(ids, lengths)
    kept, kept_lengths, positions = drop_positions(ids, lengths, drop)
    out, weights = call(kept, kept_lengths)
    if weights is None:
        return out, None
    return out, weights.new_zeros(ids.shape).scatter(1, positions, weights)


@dataclass(frozen=True)
class SentimentModelConfig:
    """What a saved :class:`SentimentClassifier` is rebuilt from."""

    net: SentimentNetConfig  # layer sizes, pooling, dropout
    vocab_size: int  # token ids (specials included)
    num_classes: int  # output classes

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        if self.vocab_size < 5 or self.num_classes < 2:
            raise NLPConfigError(
                f"need vocab_size >= 5 and num_classes >= 2, got {self.vocab_size}, {self.num_classes}"
            )


def _encoder(net: SentimentNetConfig | LMNetConfig, bidirectional: bool = False) -> RecurrentEncoder:
    """The recurrent encoder over ``net``'s embeddings (the net's dropout between stacked layers only)."""
    return RecurrentEncoder(
        RecurrentConfig(
            input_size=net.embed_dim,
            hidden_size=net.hidden_size,
            cell=net.cell,
            num_layers=net.num_layers,
            bidirectional=bidirectional,
            dropout=net.dropout if net.num_layers > 1 else 0.0,
        )
    )


class ClassifierOutput(NamedTuple):
    """Logits ``(B, C)`` and per-token pooling weights ``(B, T)`` (zero at padding; None unless attention)."""

    logits: Tensor
    weights: Tensor | None


@register_module("nlp.sentiment_classifier")
class SentimentClassifier(nn.Module):
    """Embedding -> recurrent encoder -> pooling over valid tokens -> classifier.

    Args:
        config: a :class:`SentimentModelConfig`.
    """

    config_class = SentimentModelConfig

    def __init__(self, config: SentimentModelConfig) -> None:
        super().__init__()
        self.config = config
        net = config.net
        self.embedding = nn.Embedding(config.vocab_size, net.embed_dim, padding_idx=0)
        self.embed_dropout = nn.Dropout(net.embed_dropout)
        self.encoder = _encoder(net, net.bidirectional)
        size = self.encoder.output_size
        self.attention = AttentionPooling(size, net.attention_size) if net.pooling == "attention" else None
        self.dropout = nn.Dropout(net.dropout)
        self.classifier = nn.Linear(size, config.num_classes)

    def forward_with_weights(
        self, ids: Tensor, lengths: Tensor, extra: Tensor | None = None, drop: Tensor | None = None
    ) -> ClassifierOutput:
        """Logits and pooling weights of a padded batch.

        Args:
            ids: ``(B, T)`` token ids, 0 past each length.
            lengths: ``(B,)`` valid lengths in ``[1, T]``.
            extra: ``(K, D)`` vectors of ids ``vocab_size .. vocab_size + K - 1`` (words outside the
                vocabulary, :class:`carrousel.nlp.oov.OovFallback`); None: every id is in the vocabulary.
            drop: ``(B, T)`` bool, tokens removed before the embedding (:func:`drop_positions`: the
                recurrence and the pooling never see them, their weights are 0); None or all False: none.

        Returns:
            :class:`ClassifierOutput`: logits ``(B, C)``, weights ``(B, T)`` or None.
        """
        if drop is not None:  # the batch without them, weights put back onto the input's positions
            return ClassifierOutput(
                *run_without(lambda i, n: self.forward_with_weights(i, n, extra), ids, lengths, drop)
            )
        if extra is None:
            x = self.embed_dropout(self.embedding(ids))
        else:  # two lookups, not the table concatenated: a copy of the whole vocabulary per batch
            weight = self.embedding.weight
            inside = (ids < weight.shape[0]).unsqueeze(-1)
            rows = extra.to(device=weight.device, dtype=weight.dtype)
            x = torch.where(
                inside,
                self.embedding(ids.clamp(max=weight.shape[0] - 1)),
                nn.functional.embedding((ids - weight.shape[0]).clamp(min=0), rows),
            )
            x = self.embed_dropout(x)
        enc = self.encoder(x, lengths=lengths)
        pooling = self.config.net.pooling
        weights = None
        if self.attention is not None:
            pooled, weights = self.attention(enc.output, lengths=lengths)
        elif pooling == "mean":
            pooled = mean_pool(enc.output, lengths=lengths)
        elif pooling == "max":
            pooled = max_pool(enc.output, lengths=lengths)
        else:
            pooled = last_pool(enc.output, lengths=lengths, directions=self.encoder.config.directions)
        return ClassifierOutput(self.classifier(self.dropout(pooled)), weights)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        """``(B, T)`` ids and ``(B,)`` lengths -> ``(B, C)`` logits."""
        return self.forward_with_weights(ids, lengths).logits


@check_args
def build_classifier(net: SentimentNetConfig, vocab_size: int, num_classes: int) -> SentimentClassifier:
    """A fresh :class:`SentimentClassifier`."""
    return SentimentClassifier(SentimentModelConfig(net, vocab_size, num_classes))


@dataclass(frozen=True)
class LanguageModelConfig:
    """What a saved :class:`LanguageModel` is rebuilt from."""

    net: LMNetConfig  # layer sizes, dropout
    vocab_size: int  # token ids (specials included)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        if self.vocab_size < 5:
            raise NLPConfigError(f"need vocab_size >= 5, got {self.vocab_size}")


@register_module("nlp.language_model")
class LanguageModel(nn.Module):
    """A stateful LSTM language model with tied input and output embeddings.

    Args:
        config: a :class:`LanguageModelConfig`.
    """

    config_class = LanguageModelConfig

    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        self.config = config
        net = config.net
        self.embedding = nn.Embedding(config.vocab_size, net.embed_dim, padding_idx=0)
        self.dropout = nn.Dropout(net.dropout)
        self.encoder = _encoder(net)
        self.projection = nn.Linear(net.hidden_size, net.embed_dim)
        self.decoder = nn.Linear(net.embed_dim, config.vocab_size)
        self.decoder.weight = self.embedding.weight  # tied
        nn.init.normal_(self.embedding.weight, 0.0, net.embed_dim**-0.5)
        with torch.no_grad():
            self.embedding.weight[0].zero_()
        nn.init.zeros_(self.decoder.bias)

    @check_args
    def init_state(self, batch_size: int) -> State:
        """Zero recurrent state for ``batch_size`` streams."""
        return self.encoder.init_hidden(batch_size)

    def forward(self, ids: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Next-token logits for every position.

        Args:
            ids: ``(B, T)`` token ids.
            state: the state after the previous chunk, or None for zeros.

        Returns:
            ``(logits (B, T, V), state)``; the logits float32 under autocast (:func:`float32_output`).
        """
        x = self.dropout(self.embedding(ids))
        enc = self.encoder(x, state=state)
        hidden = self.dropout(self.projection(enc.output))
        return float32_output(self.decoder, hidden), enc.state


@check_args
def build_language_model(net: LMNetConfig, vocab_size: int) -> LanguageModel:
    """A fresh :class:`LanguageModel`."""
    return LanguageModel(LanguageModelConfig(net, vocab_size))
