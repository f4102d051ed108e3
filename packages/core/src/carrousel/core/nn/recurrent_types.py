"""What :class:`~carrousel.core.nn.recurrent.RecurrentEncoder` is built from and returns: its
:class:`RecurrentConfig` (checked when made), the :class:`State` of its layers and its :class:`EncoderOutput`.

Shapes use ``B`` batch, ``T`` time, ``H`` hidden units, ``H_out`` output units per direction (``proj_size``
for a projected LSTM, else ``H``), ``D`` directions (2 when bidirectional), ``L`` layers. Kept apart from
the encoder's forward paths (:mod:`carrousel.core.nn.recurrent`) so that the config, which every domain's
model config composes, is read in one short module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from torch import Tensor

from carrousel.core.config import check_numbers
from carrousel.core.errors import ConfigError
from carrousel.core.nn.cells import CELLS
from carrousel.core.nn.varlen import VARLEN_PATHS

__all__ = ["FUSED_CELLS", "EncoderOutput", "RecurrentConfig", "State"]

FUSED_CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
_ALIASES = {"rnn": "rnn_tanh", "bilstm": "lstm"}


class State(NamedTuple):
    """Recurrent state of every layer and direction.

    Attributes:
        h: ``(L*D, B, H_out)``, layer-major then direction, as in PyTorch.
        c: ``(L*D, B, H)`` for LSTM cells, else None.
    """

    h: Tensor
    c: Tensor | None


class EncoderOutput(NamedTuple):
    """What :class:`~carrousel.core.nn.recurrent.RecurrentEncoder` returns.

    Attributes:
        output: ``(B, T, D*H_out)`` top-layer outputs, zero past each sequence's length.
        last: ``(B, D*H_out)`` top-layer final state of each sequence: the forward direction at its last
            valid step, the reverse direction at step 0 (which has seen the whole sequence). With residual
            connections it is read from ``output`` at those steps, so it includes the residual too.
        state: the final :class:`State` of all layers, for stateful / truncated-BPTT use.
    """

    output: Tensor
    last: Tensor
    state: State


_MAX_WEIGHTS = 1 << 32  # weights of a recurrent stack beyond which a config is refused (16 GiB in fp32)


@dataclass(frozen=True)
class RecurrentConfig:
    """Configuration of :class:`~carrousel.core.nn.recurrent.RecurrentEncoder`."""

    input_size: int  # features per time step (I)
    hidden_size: int  # hidden units per direction (H)
    cell: str = "lstm"  # rnn_tanh | rnn_relu | lstm | gru | ln_lstm | peephole_lstm (aliases: rnn, bilstm)
    num_layers: int = 1  # stacked layers (L)
    bidirectional: bool = False  # add a reverse direction per layer (BiLSTM when cell is lstm)
    dropout: float = 0.0  # dropout on the outputs between layers (not after the top layer; none with 1)
    proj_size: int = 0  # LSTM-family only: project h to this size (0 = no projection)
    residual: bool = False  # add each layer's input to its output where sizes match (layers 2..L)
    zoneout: float = 0.0  # zoneout probability on h/c (forces the step loop)
    recurrent_dropout: float = 0.0  # variational dropout on h_{t-1} (forces the step loop)
    init: str = "recurrent"  # "recurrent": orthogonal W_hh, Xavier W_ih, forget bias 1; "pytorch": default
    backend: str = "auto"  # "auto": fused kernels when possible; "loop": always the step loop
    varlen: str = "auto"  # unequal lengths on fused kernels: "auto" | "padded" | "packed" (see varlen.py)

    def __post_init__(self) -> None:
        check_numbers(self)  # an int, float or bool field given another kind: one line naming the fix
        cell = _ALIASES.get(self.cell, self.cell)
        if cell != self.cell:
            if self.cell == "bilstm":  # the name promises both directions
                object.__setattr__(self, "bidirectional", True)
            object.__setattr__(self, "cell", cell)
        if cell not in CELLS:
            raise ConfigError(f"unknown cell {self.cell!r}; choose one of: {', '.join(CELLS)}")
        if self.input_size < 1 or self.hidden_size < 1 or self.num_layers < 1:
            raise ConfigError(
                f"input_size, hidden_size and num_layers must be >= 1, got "
                f"{self.input_size}, {self.hidden_size}, {self.num_layers}"
            )
        weights = self.num_layers * (2 if self.bidirectional else 1) * 4 * self.hidden_size
        weights *= self.input_size + 2 * self.hidden_size
        if weights > _MAX_WEIGHTS:
            raise ConfigError(
                f"input_size {self.input_size}, hidden_size {self.hidden_size} and num_layers "
                f"{self.num_layers} need about {weights / 2**30:.0f} G weights, over the {_MAX_WEIGHTS >> 30} G "
                "limit; use smaller sizes"
            )
        for name in ("dropout", "zoneout", "recurrent_dropout"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ConfigError(f"{name} must be in [0, 1), got {v}")
        if self.proj_size < 0 or (self.proj_size and self.proj_size >= self.hidden_size):
            raise ConfigError(f"proj_size must be 0 or in [1, hidden_size), got {self.proj_size}")
        if self.proj_size and not CELLS.get(cell).is_lstm:
            raise ConfigError(f"proj_size is for LSTM cells only, not {cell!r}; set proj_size=0")
        if self.backend not in ("auto", "loop"):
            raise ConfigError(f"backend must be 'auto' or 'loop', got {self.backend!r}")
        if self.varlen not in VARLEN_PATHS:
            raise ConfigError(f"varlen must be one of {', '.join(VARLEN_PATHS)}, got {self.varlen!r}")
        if self.init not in ("recurrent", "pytorch"):
            raise ConfigError(f"init must be 'recurrent' or 'pytorch', got {self.init!r}")

    @property
    def directions(self) -> int:
        """Number of directions D."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Per-step output features ``D*H_out``."""
        return self.directions * (self.proj_size or self.hidden_size)

    @property
    def is_lstm(self) -> bool:
        """Whether the cell carries a cell state ``c``."""
        return CELLS.get(self.cell).is_lstm

    @property
    def uses_fused_kernel(self) -> bool:
        """Whether the configuration runs on PyTorch's fused RNN kernels."""
        return (
            self.backend == "auto"
            and self.cell in FUSED_CELLS
            and self.zoneout == 0.0
            and self.recurrent_dropout == 0.0
        )
