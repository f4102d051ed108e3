"""The forecaster network: core's registered :class:`~carrousel.core.nn.heads.SequenceRegressor` with a
quantile head, configured from the finance settings in one place (:func:`forecaster_config`).

A forecaster maps a window ``(B, L, F)`` to quantiles ``(B, H, Q)`` of the scaled cumulative log return at
each of ``H`` horizons (direct multi-horizon: one output per day ahead, no recursion): a recurrent encoder
(LSTM, GRU or bidirectional LSTM), its final state (``pooling="last"``), dropout and
:class:`~carrousel.core.nn.heads.QuantileHead`, whose quantiles never cross.
"""

from __future__ import annotations

from carrousel.core.nn import RecurrentConfig
from carrousel.core.nn.heads import SequenceRegressor, SequenceRegressorConfig
from carrousel.finance.config import ModelConfig, WindowConfig
from carrousel.finance.features import feature_names

__all__ = ["Forecaster", "build_forecaster", "forecaster_config"]

Forecaster = SequenceRegressor  # the network type of every finance forecaster (registered in core)

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
