"""Recurrent building blocks: the encoder, custom cells, initialisation, attention, pooling and heads."""

from carrousel.core.nn.cells import CELLS, LoopCell, LoopLayer
from carrousel.core.nn.init import init_recurrent_
from carrousel.core.nn.recurrent import (
    FUSED_CELLS,
    EncoderOutput,
    RecurrentConfig,
    RecurrentEncoder,
    State,
    lengths_from_mask,
)

__all__ = [
    "CELLS",
    "FUSED_CELLS",
    "EncoderOutput",
    "LoopCell",
    "LoopLayer",
    "RecurrentConfig",
    "RecurrentEncoder",
    "State",
    "init_recurrent_",
    "lengths_from_mask",
]
