"""Output heads and complete, saveable sequence models (encoder + pooling + head).

Heads map a pooled ``(B, D)`` feature vector to predictions:

* :class:`ClassificationHead`: dropout + linear -> logits ``(B, C)``;
* :class:`RegressionHead`: dropout + linear -> ``(B, out)``, e.g. ``out`` = forecast horizon;
* :class:`QuantileHead`: ``(B, horizon, Q)`` quantiles that never cross: the lowest quantile is free and
  each next one adds a softplus (positive) increment. Train it with :func:`pinball_loss`.

:class:`SequenceClassifier` and :class:`SequenceRegressor` compose a
:class:`~carrousel.core.nn.recurrent.RecurrentEncoder`, a :class:`~carrousel.core.nn.attention.Pooling`
over valid steps and a head. They are registered, so :func:`carrousel.core.io.save_module` /
:func:`~carrousel.core.io.load_module` round-trip a whole model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.config import check_config, check_numbers
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.io import register_module
from carrousel.core.metrics.regression import pinball_terms, quantile_levels
from carrousel.core.nn.attention import POOLINGS, Pooling
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder, State

__all__ = [
    "ClassificationHead",
    "QuantileHead",
    "RegressionHead",
    "SequenceClassifier",
    "SequenceClassifierConfig",
    "SequenceRegressor",
    "SequenceRegressorConfig",
    "pinball_loss",
]


def _check_dropout(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ConfigError(f"dropout must be in [0, 1), got {p}")


class ClassificationHead(nn.Module):
    """Dropout + linear layer: ``(B, D) -> (B, C)`` logits.

    Args:
        in_features: pooled features ``D``.
        num_classes: classes ``C``.
        dropout: dropout probability before the linear layer.
    """

    @check_args
    def __init__(self, in_features: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        if num_classes < 1:
            raise ConfigError(f"num_classes must be >= 1, got {num_classes}")
        _check_dropout(dropout)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, features: Tensor) -> Tensor:
        """``(B, D) -> (B, C)`` logits."""
        return self.linear(self.dropout(features))


class RegressionHead(nn.Module):
    """Dropout + linear layer: ``(B, D) -> (B, out)`` (one value per output or forecast step).

    Args:
        in_features: pooled features ``D``.
        out_features: outputs per sequence (a forecast horizon for multi-horizon regression).
        dropout: dropout probability before the linear layer.
    """

    @check_args
    def __init__(self, in_features: int, out_features: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if out_features < 1:
            raise ConfigError(f"out_features must be >= 1, got {out_features}")
        _check_dropout(dropout)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, features: Tensor) -> Tensor:
        """``(B, D) -> (B, out)``."""
        return self.linear(self.dropout(features))


def _check_quantiles(quantiles: tuple[float, ...]) -> None:
    if not quantiles:
        raise ConfigError("quantiles must not be empty, e.g. (0.1, 0.5, 0.9)")
    if any(not 0.0 < q < 1.0 for q in quantiles) or any(a >= b for a, b in itertools.pairwise(quantiles)):
        raise ConfigError(f"quantiles must be strictly increasing in (0, 1), got {quantiles}")


class QuantileHead(nn.Module):
    """Non-crossing quantile forecasts: ``(B, D) -> (B, horizon, Q)``.

    The first quantile is a free linear output; quantile ``j > 0`` is quantile ``j-1`` plus
    ``softplus(z_j)``, so predictions are increasing in the quantile level by construction.

    Args:
        in_features: pooled features ``D``.
        horizon: forecast steps.
        quantiles: strictly increasing levels in (0, 1), e.g. ``(0.1, 0.5, 0.9)``.
        dropout: dropout probability before the linear layer.
    """

    @check_args
    def __init__(
        self, in_features: int, horizon: int, quantiles: tuple[float, ...], dropout: float = 0.0
    ) -> None:
        super().__init__()
        if horizon < 1:
            raise ConfigError(f"horizon must be >= 1, got {horizon}")
        _check_quantiles(quantiles)
        _check_dropout(dropout)
        self.horizon = horizon
        self.quantiles = tuple(quantiles)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, horizon * len(quantiles))

    def forward(self, features: Tensor) -> Tensor:
        """``(B, D) -> (B, horizon, Q)``, non-decreasing along the last dimension."""
        raw = self.linear(self.dropout(features)).view(-1, self.horizon, len(self.quantiles))
        steps = torch.cat([raw[..., :1], F.softplus(raw[..., 1:])], dim=-1)
        return steps.cumsum(dim=-1)


def pinball_loss(pred: Tensor, target: Tensor, quantiles: tuple[float, ...] | Tensor) -> Tensor:
    """Mean pinball (quantile) loss.

    Args:
        pred: ``(B, horizon, Q)`` predicted quantiles.
        target: ``(B, horizon)`` observed values.
        quantiles: the ``Q`` levels.

    Returns:
        Scalar ``mean(max(q * e, (q - 1) * e))`` with ``e = target - pred``.

    Raises:
        ShapeError: shapes that do not fit.
        ConfigError: a level outside ``(0, 1)`` (checked unless ``quantiles`` is a tensor off the CPU, where
            it would wait for the device); (0.1, 0.5, 1.5) trained on a loss rewarding over-prediction.
    """
    if not isinstance(quantiles, Tensor) or quantiles.device.type == "cpu":
        quantile_levels(quantiles)  # the metric's check: PinballLoss((1.5,)) was refused, this loss was not
    q = torch.as_tensor(quantiles, dtype=pred.dtype, device=pred.device)
    if pred.dim() != 3 or pred.shape[:2] != target.shape or pred.shape[-1] != q.numel():
        raise ShapeError(_pinball_message(tuple(pred.shape), tuple(target.shape), q.numel()))
    return pinball_terms(pred, target, q).mean()


def _pinball_message(pred: tuple[int, ...], target: tuple[int, ...], Q: int) -> str:
    """Predictions ``pred`` and targets ``target`` that do not fit ``Q`` quantile levels, with the fix."""
    said = f"pred must be (batch, horizon, {Q}) and target (batch, horizon), got {pred} and {target}"
    if len(pred) == 3 and pred[:2] == target:
        return f"{said}; the model predicts {pred[-1]} quantiles: pass its levels (config.quantiles)"
    if len(pred) == 2 and pred == target:
        return f"{said}; pred has no quantile axis: build the model with quantiles=..., or use a point loss"
    if len(pred) == 3 and len(target) == 1 and pred[:1] == target:
        return f"{said}; for one value per row add the horizon axis: target.unsqueeze(-1)"
    return f"{said}; give one target per (row, horizon step) of pred"


def _check_common(encoder: object, pooling: str, dropout: float, num_embeddings: int) -> None:
    if not isinstance(encoder, RecurrentConfig):
        raise ConfigError(
            f"encoder must be a RecurrentConfig, got a {type(encoder).__name__}; "
            "pass encoder=RecurrentConfig(input_size=..., hidden_size=...)"
        )
    if pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}; choose one of: {', '.join(POOLINGS)}")
    _check_dropout(dropout)
    if num_embeddings < 0:
        raise ConfigError(f"num_embeddings must be >= 0, got {num_embeddings}")


@dataclass(frozen=True)
class SequenceClassifierConfig:
    """Configuration of :class:`SequenceClassifier`."""

    encoder: RecurrentConfig  # the recurrent encoder
    num_classes: int  # output classes C
    pooling: str = "last"  # last | mean | max | attention, over valid steps only
    attention_size: int = 0  # scoring layer of attention pooling (0: the encoder's output size)
    dropout: float = 0.0  # dropout on the pooled features, before the output layer
    num_embeddings: int = 0  # >0: inputs are (B, T) integer ids embedded to encoder.input_size; id 0 = pad

    def __post_init__(self) -> None:
        check_numbers(self)
        _check_common(self.encoder, self.pooling, self.dropout, self.num_embeddings)
        if self.num_classes < 1:
            raise ConfigError(f"num_classes must be >= 1, got {self.num_classes}")


@dataclass(frozen=True)
class SequenceRegressorConfig:
    """Configuration of :class:`SequenceRegressor`."""

    encoder: RecurrentConfig  # the recurrent encoder
    out_features: int = 1  # values per sequence (forecast horizon for multi-horizon regression)
    quantiles: tuple[float, ...] = ()  # () = point forecasts (B, out); else levels -> (B, out, Q)
    pooling: str = "last"  # last | mean | max | attention, over valid steps only
    attention_size: int = 0  # scoring layer of attention pooling (0: the encoder's output size)
    dropout: float = 0.0  # dropout on the pooled features, before the output layer
    num_embeddings: int = 0  # >0: inputs are (B, T) integer ids embedded to encoder.input_size; id 0 = pad

    def __post_init__(self) -> None:
        check_numbers(self)
        _check_common(self.encoder, self.pooling, self.dropout, self.num_embeddings)
        if self.out_features < 1:
            raise ConfigError(f"out_features must be >= 1, got {self.out_features}")
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        if self.quantiles:
            _check_quantiles(self.quantiles)


class _SequenceModel(nn.Module):
    """Optional embedding + recurrent encoder + pooling; subclasses add the head."""

    def __init__(
        self, encoder: RecurrentConfig, pooling: str, attention_size: int, num_embeddings: int
    ) -> None:
        super().__init__()
        self.embedding = (
            nn.Embedding(num_embeddings, encoder.input_size, padding_idx=0) if num_embeddings else None
        )
        self.encoder = RecurrentEncoder(encoder)
        self.pooling = Pooling(pooling, encoder.output_size, encoder.directions, attention_size)

    @property
    def feature_size(self) -> int:
        """Size ``D`` of the pooled features."""
        return self.encoder.output_size

    def features(
        self, x: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None, state: State | None = None
    ) -> Tensor:
        """Encodes and pools a padded batch.

        Args:
            x: ``(B, T, I)`` features, or ``(B, T)`` integer ids when the model has an embedding.
            lengths: ``(B,)`` valid lengths, or None when all are ``T``.
            mask: ``(B, T)`` boolean mask of valid steps (a valid prefix per row), instead of lengths.
            state: initial encoder state, or None for zeros.

        Returns:
            ``(B, D)`` pooled features; padding never influences them.
        """
        if self.embedding is not None:
            if x.dim() != 2 or x.is_floating_point():
                raise ShapeError(_ids_message(x, self.embedding.num_embeddings))
            n = self.embedding.num_embeddings
            # checked on the CPU only, where it costs no device read (was IndexError); not while tracing
            tracing = torch.jit.is_tracing() or torch.compiler.is_compiling()  # no data-dependent branch
            if not tracing and x.device.type == "cpu" and x.numel():
                lo, hi = (int(v) for v in torch.aminmax(x))
                if not 0 <= lo <= hi < n:
                    raise ShapeError(
                        f"token ids must lie in [0, {n - 1}] (num_embeddings={n}; 0 = padding), got min {lo} "
                        f"max {hi}; map unknown ids to one in range or build the model with num_embeddings "
                        "above the largest id"
                    )
            x = self.embedding(x)
        enc = self.encoder(x, lengths=lengths, mask=mask, state=state)
        if self.pooling.mode == "last":
            return enc.last
        return self.pooling(enc.output, lengths, mask)


def _ids_message(x: Tensor, n: int) -> str:
    """Input ``x`` that is not ``(batch, time)`` integer ids for a model embedding ``n`` ids, with the fix."""
    said = f"this model takes (batch, time) integer ids (num_embeddings={n}), got {x.dtype} {tuple(x.shape)}"
    if x.dim() == 1:
        return f"{said}; for one sequence add the batch dimension: x.unsqueeze(0)"
    if x.dim() == 2:
        return f"{said}; convert whole-number ids with x.long()"
    return f"{said}; give ids, or features to a model built with num_embeddings=0"


@register_module("sequence_classifier")
class SequenceClassifier(_SequenceModel):
    """Recurrent sequence classifier: encoder -> pooling over valid steps -> :class:`ClassificationHead`.

    Args:
        config: a :class:`SequenceClassifierConfig`.

    Example:
        >>> cfg = SequenceClassifierConfig(RecurrentConfig(8, 16, bidirectional=True), num_classes=3)
        >>> SequenceClassifier(cfg)(torch.randn(4, 10, 8), lengths=torch.tensor([10, 7, 3, 1])).shape
        torch.Size([4, 3])
    """

    config_class = SequenceClassifierConfig

    def __init__(self, config: SequenceClassifierConfig) -> None:
        check_config(config, SequenceClassifierConfig, "SequenceClassifier")
        super().__init__(config.encoder, config.pooling, config.attention_size, config.num_embeddings)
        self.config = config
        self.head = ClassificationHead(self.feature_size, config.num_classes, config.dropout)

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None, state: State | None = None
    ) -> Tensor:
        """``(B, T, I)`` (or ``(B, T)`` ids) -> ``(B, C)`` logits; see :meth:`features` for arguments."""
        return self.head(self.features(x, lengths, mask, state))


@register_module("sequence_regressor")
class SequenceRegressor(_SequenceModel):
    """Recurrent sequence regressor: encoder -> pooling -> :class:`RegressionHead` or :class:`QuantileHead`.

    Args:
        config: a :class:`SequenceRegressorConfig`; with ``quantiles`` the output is ``(B, out, Q)``.
    """

    config_class = SequenceRegressorConfig

    def __init__(self, config: SequenceRegressorConfig) -> None:
        check_config(config, SequenceRegressorConfig, "SequenceRegressor")
        super().__init__(config.encoder, config.pooling, config.attention_size, config.num_embeddings)
        self.config = config
        self.head: nn.Module = (
            QuantileHead(self.feature_size, config.out_features, config.quantiles, config.dropout)
            if config.quantiles
            else RegressionHead(self.feature_size, config.out_features, config.dropout)
        )

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, mask: Tensor | None = None, state: State | None = None
    ) -> Tensor:
        """``(B, T, I)`` (or ``(B, T)`` ids) -> ``(B, out)``, or ``(B, out, Q)`` with quantiles."""
        out: Tensor = self.head(self.features(x, lengths, mask, state))
        return out
