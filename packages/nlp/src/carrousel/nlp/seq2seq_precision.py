"""Translation in reduced precision: the :class:`~carrousel.nlp.seq2seq.Seq2Seq` network's ``start`` and
``step`` under bf16 / fp16 autocast (``DecodeConfig.precision``, ``nlp translate run/evaluate --precision``).

:class:`ReducedSeq2Seq` is core's :class:`~carrousel.core.export.ReducedPrecision` wrapper (which checks
the precision against the device: fp16 needs a GPU) with the decoder's two calls added: each runs through
its :meth:`~carrousel.core.export.ReducedPrecision.run` (core's
:func:`~carrousel.core.device.run_in_precision`), so its outputs, the decoder state included, come back in
float32, and a batch whose reduced-precision outputs are not finite is run again in float32. Inside the
call, autocast covers the encoder, the decoder LSTM, the attention and the projections; the output layer,
the pointer mixture and the log-softmax compute in float32 (:func:`~carrousel.nlp.models.float32_output`),
so greedy choices and beam scores are made on float32 log-probabilities, not on bfloat16 logits that tie.
The pointer's attention weights come from bfloat16 and sum to 1 only within about 0.4%, so the step's
log-probabilities are normalised once more in float32 (a no-op without the pointer).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from carrousel.core.args import check_args
from carrousel.core.device import check_exported_precision
from carrousel.core.export import ReducedPrecision
from carrousel.nlp.seq2seq import DecoderState

__all__ = ["ReducedSeq2Seq", "network_in_precision"]


class ReducedSeq2Seq(ReducedPrecision):
    """A :class:`~carrousel.nlp.seq2seq.Seq2Seq` whose ``start`` / ``step`` run under ``precision``
    autocast on its parameters' device, outputs float32 (``parameters()`` are the network's).

    Args:
        network: the eager network, in evaluation mode.
        precision: ``"bf16"`` or ``"fp16"``.

    Raises:
        ConfigError: a precision the network's device cannot run (core's check).
    """

    def start(self, src: Tensor, lengths: Tensor) -> DecoderState:
        """The initial decoding state of ``(B, S)`` sources, float32."""
        net: Any = self.module  # a Seq2Seq
        out: DecoderState = self.run(lambda: net.start(src, lengths))
        return out

    def step(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """Core's step function: ``(N,)`` labels -> ``(N, V)`` float32 log-probs, new state, ``(N, S)`` attention."""
        net: Any = self.module
        out: tuple[Tensor, DecoderState, Tensor] = self.run(lambda: net.step(labels, state))
        log_probs, new, weights = out
        return torch.log_softmax(log_probs, dim=-1), new, weights


@check_args
def network_in_precision(network: Any, precision: str, exported: bool) -> Any:
    """``network`` itself for fp32, else a :class:`ReducedSeq2Seq` of it.

    Args:
        network: the translator's network (eager, or an exported bundle's ONNX Runtime one).
        precision: ``fp32``, ``bf16`` or ``fp16``.
        exported: whether ``network`` runs an exported (ONNX) file.

    Raises:
        ConfigError: a precision the device cannot run, or bf16 / fp16 with an exported model (one line).
    """
    check_exported_precision(precision, exported)
    return network if precision == "fp32" else ReducedSeq2Seq(network, precision)
