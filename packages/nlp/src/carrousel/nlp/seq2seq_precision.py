"""Translation in reduced precision: the :class:`~carrousel.nlp.seq2seq.Seq2Seq` network's ``start`` and
``step`` under bf16 / fp16 autocast (``DecodeConfig.precision``, ``nlp translate run/evaluate --precision``).

The precision is checked once by core's :func:`~carrousel.core.device.check_inference` (fp16 needs a GPU,
an exported bundle runs its own fp32/int8 ONNX file) and each call runs through core's
:func:`~carrousel.core.device.run_in_precision`: its outputs, the decoder state included, come back in
float32, and a batch whose reduced-precision outputs are not finite is run again in float32. Inside the
call, autocast covers the encoder, the decoder LSTM, the attention and the projections; the output layer,
the pointer mixture and the log-softmax compute in float32 (:func:`~carrousel.nlp.models.float32_output`),
so greedy choices and beam scores are made on float32 log-probabilities, not on bfloat16 logits that tie.
The pointer's attention weights come from bfloat16 and sum to 1 only within about 0.4%, so the step's
log-probabilities are normalised once more in float32 (a no-op without the pointer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.device import check_inference, run_in_precision
from carrousel.nlp.seq2seq import DecoderState

__all__ = ["ReducedSeq2Seq", "network_in_precision"]


class ReducedSeq2Seq:
    """``start`` / ``step`` / ``parameters`` of a :class:`~carrousel.nlp.seq2seq.Seq2Seq` (or anything with
    them and parameters) run under ``dtype`` autocast on its parameters' device, outputs float32.

    Args:
        network: the eager network, in evaluation mode.
        dtype: ``torch.bfloat16`` or ``torch.float16`` (checked by the caller, see :func:`network_in_precision`).
    """

    def __init__(self, network: Any, dtype: torch.dtype) -> None:
        self.network = network
        self.dtype = dtype
        self.device = next(iter(network.parameters())).device

    def parameters(self) -> Iterator[nn.Parameter]:
        """The network's parameters (where the searches read the device from)."""
        return iter(self.network.parameters())

    def start(self, src: Tensor, lengths: Tensor) -> DecoderState:
        """The initial decoding state of ``(B, S)`` sources, float32."""
        out: DecoderState = run_in_precision(
            lambda: self.network.start(src, lengths), self.device, self.dtype
        )
        return out

    def step(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """Core's step function: ``(N,)`` labels -> ``(N, V)`` float32 log-probs, new state, ``(N, S)`` attention."""
        out: tuple[Tensor, DecoderState, Tensor] = run_in_precision(
            lambda: self.network.step(labels, state), self.device, self.dtype
        )
        log_probs, new, weights = out
        return torch.log_softmax(log_probs, dim=-1), new, weights


def network_in_precision(network: Any, precision: str, exported: bool) -> Any:
    """``network`` itself for fp32, else a :class:`ReducedSeq2Seq` of it.

    Args:
        network: the translator's network (eager, or an exported bundle's ONNX Runtime one).
        precision: ``fp32``, ``bf16`` or ``fp16``.
        exported: whether ``network`` runs an exported (ONNX) file.

    Raises:
        ConfigError: a precision the device cannot run, or bf16 / fp16 with an exported model (one line).
    """
    dtype = check_inference(precision, next(iter(network.parameters())).device, exported)
    return network if dtype is None else ReducedSeq2Seq(network, dtype)
