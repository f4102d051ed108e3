"""Recurrent building blocks: the encoder, custom cells, initialisation, attention, pooling and heads."""

from carrousel.core.nn.attention import (
    POOLINGS,
    AdditiveAttention,
    AttentionOutput,
    AttentionPooling,
    MultiplicativeAttention,
    Pooling,
    last_pool,
    mask_from_lengths,
    masked_softmax,
    max_pool,
    mean_pool,
)
from carrousel.core.nn.backend import BackendReport, LayerBackend, explain_backend
from carrousel.core.nn.cells import CELLS, LoopCell, LoopLayer
from carrousel.core.nn.heads import (
    ClassificationHead,
    QuantileHead,
    RegressionHead,
    SequenceClassifier,
    SequenceClassifierConfig,
    SequenceRegressor,
    SequenceRegressorConfig,
    pinball_loss,
)
from carrousel.core.nn.init import init_recurrent_
from carrousel.core.nn.recurrent import (
    FUSED_CELLS,
    EncoderOutput,
    RecurrentConfig,
    RecurrentEncoder,
    State,
    lengths_from_mask,
)
from carrousel.core.nn.varlen import run_padded

__all__ = [
    "CELLS",
    "FUSED_CELLS",
    "POOLINGS",
    "AdditiveAttention",
    "AttentionOutput",
    "AttentionPooling",
    "BackendReport",
    "ClassificationHead",
    "EncoderOutput",
    "LayerBackend",
    "LoopCell",
    "LoopLayer",
    "MultiplicativeAttention",
    "Pooling",
    "QuantileHead",
    "RecurrentConfig",
    "RecurrentEncoder",
    "RegressionHead",
    "SequenceClassifier",
    "SequenceClassifierConfig",
    "SequenceRegressor",
    "SequenceRegressorConfig",
    "State",
    "explain_backend",
    "init_recurrent_",
    "last_pool",
    "lengths_from_mask",
    "mask_from_lengths",
    "masked_softmax",
    "max_pool",
    "mean_pool",
    "pinball_loss",
    "run_padded",
]
