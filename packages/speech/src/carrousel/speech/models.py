"""The acoustic model: convolutional front end, carrousel.core recurrent encoder, CTC head.

``features (B, T, F) -> [Conv1d(stride s) -> GELU -> Conv1d -> GELU -> LayerNorm] -> BiLSTM (or LSTM)
-> Linear -> log-softmax (B, ceil(T / s), C)``, DeepSpeech2's recipe in small: the front end subsamples
time (20 ms output frames for ``s = 2``), the encoder is :class:`carrousel.core.nn.RecurrentEncoder`,
the head scores the characters of the alphabet plus the CTC blank.

Training and evaluation give the LSTM each utterance's length (see :meth:`CTCModel.forward`).
A unidirectional model uses causal convolutions (left padding only), so it can run on a live stream:
:meth:`CTCModel.stream` takes features chunk by chunk and carries the convolution buffers and the LSTM
state, giving exactly the frames the whole-utterance forward pass gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.io import register_module
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, State
from carrousel.core.option_names import naming_flags, option
from carrousel.speech.errors import SpeechConfigError, StreamingError

__all__ = ["CTCModel", "CTCModelConfig", "StreamState", "build_model"]

_KERNELS = (5, 3)  # kernel sizes of the two front-end convolutions (the first one strides)


@dataclass(frozen=True)
class CTCModelConfig:
    """Shape of a :class:`CTCModel` (saved in its bundle)."""

    n_features: int  # features per input frame
    n_classes: int  # output classes: blank + alphabet
    hidden: int = 160  # LSTM units per direction
    layers: int = 2  # stacked LSTM layers
    bidirectional: bool = True  # BiLSTM (offline) or unidirectional (streaming)
    conv_channels: int = 128  # front-end channels (0: no front end)
    subsample: int = 3  # time stride of the front end
    dropout: float = 0.1  # dropout between layers

    def __post_init__(self) -> None:
        check_numbers(self, SpeechConfigError)
        if self.n_features < 1 or self.n_classes < 3:
            raise SpeechConfigError("n_features must be >= 1 and n_classes >= 3 (blank, space, a character)")
        if not 1 <= self.subsample <= 4 or (self.subsample > 1 and self.conv_channels < 1):
            raise SpeechConfigError("subsample must be in 1..4, and > 1 only with a front end")
        if self.conv_channels < 0 or self.hidden < 1 or self.layers < 1 or not 0 <= self.dropout < 1:
            raise SpeechConfigError("conv_channels >= 0, hidden >= 1, layers >= 1, dropout in [0, 1)")


@check_args
def streaming_settings(command: bool = False) -> str:
    """The settings that train a streaming model, as the reader names them: ``bidirectional=False,
    normalize='causal'`` from Python, ``--unidirectional --normalize causal`` in a CLI command (with
    ``command``: as the ``speech train`` command line, quoted)."""
    if not naming_flags():
        return f"{option('bidirectional', False)}, {option('normalize', 'causal')}"
    flags = f"{option('bidirectional', False, '--unidirectional')} {option('normalize', 'causal')}"
    return f"`speech train {flags}`" if command else flags


class StreamState(NamedTuple):
    """What :meth:`CTCModel.stream` carries between chunks."""

    buffers: tuple[Tensor, ...]  # per convolution: input frames not yet consumed (B, C_in, t)
    rnn: State | None  # LSTM state of every layer


@register_module("speech.ctc_model")
class CTCModel(nn.Module):
    """Character CTC acoustic model (see the module docstring).

    Args:
        config: a :class:`CTCModelConfig`.
    """

    config_class = CTCModelConfig

    def __init__(self, config: CTCModelConfig) -> None:
        super().__init__()
        self.config = cfg = config
        self.convs = nn.ModuleList()
        size = cfg.n_features
        if cfg.conv_channels:
            self.convs.append(nn.Conv1d(cfg.n_features, cfg.conv_channels, _KERNELS[0], stride=cfg.subsample))
            self.convs.append(nn.Conv1d(cfg.conv_channels, cfg.conv_channels, _KERNELS[1]))
            size = cfg.conv_channels
        self.norm = nn.LayerNorm(size)
        self.dropout = nn.Dropout(cfg.dropout)
        self.encoder = RecurrentEncoder(
            RecurrentConfig(
                input_size=size,
                hidden_size=cfg.hidden,
                cell="lstm",
                num_layers=cfg.layers,
                bidirectional=cfg.bidirectional,
                dropout=cfg.dropout if cfg.layers > 1 else 0.0,  # between layers only
            )
        )
        self.head = nn.Linear(self.encoder.output_size, cfg.n_classes)

    @property
    def conv_layers(self) -> list[nn.Conv1d]:
        """The front end's convolutions, in order."""
        return [c for c in self.convs if isinstance(c, nn.Conv1d)]

    @property
    def subsample(self) -> int:
        """Input frames per output frame."""
        return self.config.subsample

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Output frames ``ceil(T / subsample)`` for input lengths ``(B,)``."""
        return torch.div(lengths + self.subsample - 1, self.subsample, rounding_mode="floor")

    def _pads(self, k: int) -> tuple[int, int]:
        """Left and right padding of a kernel ``k``: causal when unidirectional, centred otherwise."""
        left = k - 1 if not self.config.bidirectional else (k - 1) // 2
        return left, k - 1 - left

    def _front(self, x: Tensor, lengths: Tensor) -> Tensor:
        """``(B, T, F)`` -> ``(B, ceil(T / s), C)`` through the convolutions, zero past each length."""
        if not self.convs:
            return x
        steps = lengths.to(x.device)
        valid = torch.arange(x.shape[1], device=x.device)[None, :] < steps[:, None]
        h = (x * valid[:, :, None].to(x.dtype)).transpose(1, 2)
        for conv in self.conv_layers:
            k, s = conv.kernel_size[0], conv.stride[0]
            h = nn.functional.gelu(conv(nn.functional.pad(h, self._pads(k))))
            steps = torch.div(steps + s - 1, s, rounding_mode="floor")
            mask = torch.arange(h.shape[2], device=h.device)[None, :] < steps[:, None]
            h = h * mask[:, None, :].to(h.dtype)  # what a lone utterance would see: zeros after its end
        return h.transpose(1, 2)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Scores every output frame.

        Args:
            x: ``(B, T, F)`` padded normalised features.
            lengths: ``(B,)`` valid frames per utterance (>= 1).

        Returns:
            ``(log_probs (B, T', C), out_lengths (B,))`` with ``T' = ceil(T / subsample)``.
        """
        out_lengths = self.output_lengths(lengths.to("cpu"))
        h = self.norm(self._front(x, lengths))
        valid = torch.arange(h.shape[1])[None, :] < out_lengths[:, None]
        h = self.dropout(h * valid[:, :, None].to(h.device, h.dtype))
        # Lengths in training too: every utterance is scored exactly as if it were alone (the reverse
        # direction starts at its own last frame, not on the batch's padding), as in evaluation. On CPU
        # with autograd the core encoder runs this on the fused kernel over the padded batch (its
        # "padded" varlen path), not packed: 1.03-1.08x the fit's CPU time without lengths, at a held-out
        # CER as good or better within noise (speech README, "Training").
        enc = self.encoder(h, out_lengths.clamp_min(1))
        return torch.log_softmax(self.head(self.dropout(enc.output)), dim=-1), out_lengths

    @check_args
    def init_stream(self, batch_size: int = 1) -> StreamState:
        """A fresh streaming state (causal padding as zeros, zero LSTM state)."""
        if self.config.bidirectional:
            raise StreamingError(
                f"streaming needs a unidirectional model; train one with {streaming_settings()}"
            )
        p = next(self.parameters())
        buffers = tuple(
            torch.zeros(batch_size, conv.in_channels, conv.kernel_size[0] - 1, device=p.device, dtype=p.dtype)
            for conv in self.conv_layers
        )
        return StreamState(buffers, None)

    def stream(self, x: Tensor, state: StreamState) -> tuple[Tensor, StreamState]:
        """Scores the output frames that the new features ``x`` ``(B, t, F)`` complete.

        Fed chunk by chunk, the concatenated outputs equal :meth:`forward` on the whole stream (up to
        the last incomplete stride).

        Returns:
            ``(log_probs (B, t', C), new_state)``.
        """
        h = x.transpose(1, 2)
        buffers = []
        for conv, buf in zip(self.conv_layers, state.buffers, strict=True):
            k, s = conv.kernel_size[0], conv.stride[0]
            h = torch.cat([buf, h], dim=2)
            n = (h.shape[2] - k) // s + 1 if h.shape[2] >= k else 0
            buffers.append(h[:, :, n * s :])
            h = (
                nn.functional.gelu(conv(h[:, :, : (n - 1) * s + k]))
                if n > 0
                else h.new_zeros(h.shape[0], conv.out_channels, 0)
            )
        feats = h.transpose(1, 2)
        if feats.shape[1] == 0:
            empty = feats.new_zeros(feats.shape[0], 0, self.config.n_classes)
            return empty, StreamState(tuple(buffers), state.rnn)
        enc = self.encoder(self.norm(feats), state=state.rnn)
        log_probs = torch.log_softmax(self.head(enc.output), dim=-1)
        return log_probs, StreamState(tuple(buffers), enc.state)


def build_model(config: CTCModelConfig) -> CTCModel:
    """A freshly initialised :class:`CTCModel` (the core encoder's orthogonal/Xavier initialisation)."""
    return CTCModel(config)
