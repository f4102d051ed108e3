"""The forecaster network: core's registered :class:`~carrousel.core.nn.heads.SequenceRegressor` with a
quantile head, configured from the finance settings in one place (:func:`forecaster_config`).

A forecaster maps a window ``(B, L, F)`` to quantiles ``(B, H, Q)`` of the scaled cumulative log return at
each of ``H`` horizons (direct multi-horizon: one output per day ahead, no recursion): a recurrent encoder
(LSTM, GRU or bidirectional LSTM), its final state (``pooling="last"``), dropout and
:class:`~carrousel.core.nn.heads.QuantileHead`, whose quantiles never cross.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.errors import ConfigError
from carrousel.core.io import register_module
from carrousel.core.nn import RecurrentConfig
from carrousel.core.nn.heads import SequenceRegressor, SequenceRegressorConfig
from carrousel.finance.config import ModelConfig, WindowConfig
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.features import feature_names

__all__ = [
    "EnsembleConfig",
    "Forecaster",
    "ForecasterEnsemble",
    "build_ensemble",
    "build_forecaster",
    "ensemble_config",
    "forecaster_config",
]

Forecaster = SequenceRegressor  # the network type of one finance forecaster (registered in core)

_CELLS = {"lstm": ("lstm", False), "gru": ("gru", False), "bilstm": ("lstm", True)}  # arch -> cell, bidir


def forecaster_config(model: ModelConfig, window: WindowConfig) -> SequenceRegressorConfig:
    """The network configuration for ``model`` over ``window``'s features and horizon (built only here)."""
    cell, bidirectional = _CELLS[model.arch]
    encoder = RecurrentConfig(
        input_size=len(feature_names(window.indicators)),
        hidden_size=model.hidden_size,
        cell=cell,
        num_layers=model.num_layers,
        bidirectional=bidirectional,
        dropout=model.dropout if model.num_layers > 1 else 0.0,  # between layers only
    )
    return SequenceRegressorConfig(
        encoder=encoder,
        out_features=window.horizon,
        quantiles=model.quantiles,
        pooling="last",
        dropout=model.dropout,  # before the quantile head
    )


def build_forecaster(model: ModelConfig, window: WindowConfig) -> SequenceRegressor:
    """Builds the forecaster named by ``model.arch`` (lstm, gru or bilstm) for ``window``.

    Returns:
        A :class:`SequenceRegressor` mapping ``(B, L, F)`` to ``(B, H, Q)`` non-crossing quantiles.
    """
    return SequenceRegressor(forecaster_config(model, window))


@dataclass(frozen=True)
class EnsembleConfig:
    """Configuration of :class:`ForecasterEnsemble`."""

    member: SequenceRegressorConfig  # every member's network (same configuration, different seeds)
    members: int = 3  # number of member networks
    seed: int = 0  # seed of member 0; member i was trained with seed + i (recorded, not used to build)

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError)
        if self.members < 1:
            raise ConfigError(f"members must be >= 1, got {self.members}")


@register_module("finance_forecaster_ensemble")
class ForecasterEnsemble(nn.Module):
    """A seed ensemble of forecasters: ``(B, L, F)`` -> ``(B, H, Q)`` mean quantiles of its members.

    Args:
        config: an :class:`EnsembleConfig`.
    """

    config_class = EnsembleConfig

    def __init__(self, config: EnsembleConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(SequenceRegressor(config.member) for _ in range(config.members))

    def member_outputs(self, x: Tensor) -> Tensor:
        """``(B, L, F)`` -> ``(N, B, H, Q)``: every member's quantiles."""
        return torch.stack([m(x) for m in self.members])

    def forward(self, x: Tensor) -> Tensor:
        """``(B, L, F)`` -> ``(B, H, Q)``: the members' quantiles averaged level by level (non-crossing)."""
        if len(self.members) == 1:
            out: Tensor = self.members[0](x)
            return out
        return self.member_outputs(x).mean(dim=0)


@check_args
def ensemble_config(model: ModelConfig, window: WindowConfig, seed: int) -> EnsembleConfig:
    """The seed ensemble's configuration: ``model.members`` networks of :func:`forecaster_config`."""
    return EnsembleConfig(member=forecaster_config(model, window), members=model.members, seed=seed)


@check_args
def build_ensemble(members: list[SequenceRegressor], seed: int) -> ForecasterEnsemble:
    """Wraps trained networks (of one configuration) into a :class:`ForecasterEnsemble`."""
    ens = ForecasterEnsemble(EnsembleConfig(member=members[0].config, members=len(members), seed=seed))
    ens.members = nn.ModuleList(members)
    return ens
