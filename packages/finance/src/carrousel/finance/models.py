"""Factory functions building recurrent quantile forecasters from carrousel.core blocks.

A forecaster maps a window ``(B, L, F)`` to quantiles ``(B, H, Q)`` of the scaled cumulative log return at
each of ``H`` horizons (direct multi-horizon: one output per day ahead, no recursion). Quantiles never
cross (:class:`carrousel.core.nn.heads.QuantileHead` adds positive gaps upwards).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from carrousel.core.errors import ConfigError
from carrousel.core.io import register_module
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.nn.heads import QuantileHead
from carrousel.finance.config import ModelConfig

__all__ = ["ForecasterConfig", "QuantileForecaster", "build_forecaster"]

_ARCHS = {"lstm": ("lstm", False), "gru": ("gru", False), "bilstm": ("lstm", True)}


@dataclass(frozen=True)
class ForecasterConfig:
    """Configuration of :class:`QuantileForecaster` (saved with its weights)."""

    input_size: int  # features per day (F)
    horizon: int  # days ahead (H)
    quantiles: tuple[float, ...]  # sorted quantile levels, containing 0.5 (Q)
    arch: str = "lstm"  # lstm | gru | bilstm
    hidden_size: int = 32  # hidden units per direction
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.1  # dropout before the head and between layers

    def __post_init__(self) -> None:
        if self.arch not in _ARCHS:
            raise ConfigError(f"unknown architecture {self.arch!r}; use {', '.join(_ARCHS)}")
        if 0.5 not in self.quantiles or list(self.quantiles) != sorted(self.quantiles):
            raise ConfigError(f"quantiles {self.quantiles} must be sorted and contain 0.5")


@register_module("finance.quantile_forecaster")
class QuantileForecaster(nn.Module):
    """Recurrent encoder over the lookback window + monotone quantile head.

    Args:
        config: a :class:`ForecasterConfig`.
    """

    config_class = ForecasterConfig

    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.config = config
        cell, bidir = _ARCHS[config.arch]
        self.encoder = RecurrentEncoder(
            RecurrentConfig(
                input_size=config.input_size,
                hidden_size=config.hidden_size,
                cell=cell,
                num_layers=config.num_layers,
                bidirectional=bidir,
                dropout=config.dropout if config.num_layers > 1 else 0.0,
            )
        )
        self.head = QuantileHead(self.encoder.output_size, config.horizon, config.quantiles, config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Maps windows ``(B, L, F)`` to scaled quantiles ``(B, H, Q)``."""
        enc = self.encoder(x)
        return self.head(enc.last)


def build_forecaster(model: ModelConfig, input_size: int) -> QuantileForecaster:
    """Builds the forecaster named by ``model.arch`` (lstm, gru or bilstm) for ``input_size`` features."""
    return QuantileForecaster(
        ForecasterConfig(
            input_size=input_size,
            horizon=model.horizon,
            quantiles=tuple(model.quantiles),
            arch=model.arch,
            hidden_size=model.hidden_size,
            num_layers=model.num_layers,
            dropout=model.dropout,
        )
    )
