"""A discrete lexicon as a bias on the decoder's output (Arthur et al. 2016, the "bias" method).

At every decoding step the attention ``a_t (S,)`` over the source ids ``x`` reads a lexicon fitted on
the training pairs (:func:`carrousel.nlp.lexicon.ibm_model1`, subword ids, ``(V, K)`` entries per source
id) into ``p_lex(y | x) = sum_j a_{t,j} lex(y | x_j)``, and the decoder's log-probabilities become
``log_softmax(log p(y) + lambda * log(p_lex(y) + eps))``. Tokens that translate the attended source
token gain up to ``lambda * log(1 / eps)``; every other token keeps its relative probability. Adding the
bias to the log-probabilities is adding it to the logits (the softmax normaliser is a constant), so
this also holds for the pointer-generator's mixture.

The bias is applied at decoding only (:class:`BiasedNetwork` wraps the network, or an exported bundle's
ONNX Runtime step): it pulls a decoder that drifts toward the phrasing of its training domain back
toward a word-for-word reading of the source, with ``lambda`` chosen on held-out data (not trained with
it, so the network cannot learn to over-trust a lexicon fitted on its own training pairs).
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.lexicon import ibm_model1

__all__ = [
    "LEXICON_FILE",
    "BiasedNetwork",
    "fit_lexicon",
    "lexical_bias",
    "lexicon_from_bytes",
    "lexicon_to_bytes",
]

logger = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.npz"  # bundle file: the IBM-1 lexicon of the training pairs (ids, probs)


@check_args
def fit_lexicon(
    items: Sequence[tuple[Sequence[int], Sequence[int]]],
    vocab_size: int,
    top: int = 8,
    targets: np.ndarray | None = None,
    tgt_vocab_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The subword lexicon of training pairs: ``(V, top)`` target ids and probabilities per source id.

    Args:
        items: ``(source ids, target ids)`` of the training pairs (no ``[EOS]``), ids in ``[1, V)``.
        vocab_size: ``V``, the shared (or the source) vocabulary's size.
        top: entries kept per source id.
        targets: separate vocabularies: ``(V,)`` the target id of each source id (the identity rows).
        tgt_vocab_size: separate vocabularies: the target vocabulary's size.
    """
    return ibm_model1(items, vocab_size, top, targets=targets, tgt_vocab_size=tgt_vocab_size)


def lexicon_to_bytes(ids: np.ndarray, probs: np.ndarray) -> bytes:
    """The lexicon as the bytes of an ``.npz`` file (stored in the bundle as :data:`LEXICON_FILE`)."""
    buf = io.BytesIO()
    np.savez(buf, ids=ids.astype(np.int64), probs=probs.astype(np.float32))
    return buf.getvalue()


def lexicon_from_bytes(data: bytes) -> tuple[Tensor, Tensor]:
    """``(V, K)`` int64 ids and float32 probabilities from :func:`lexicon_to_bytes`."""
    with np.load(io.BytesIO(data)) as z:
        return torch.from_numpy(z["ids"]), torch.from_numpy(z["probs"])


@check_args
def lexical_bias(
    weights: Tensor,
    src: Tensor,
    ids: Tensor,
    probs: Tensor,
    strength: float,
    eps: float = 1e-3,
    outputs: int | None = None,
) -> Tensor:
    """``strength * log(p_lex + eps)`` of one decoding step.

    Args:
        weights: ``(N, S)`` attention over the source (0 at padding).
        src: ``(N, S)`` source ids (0 at padding).
        ids: ``(V_src, K)`` lexicon target ids per source id.
        probs: ``(V_src, K)`` their probabilities (rows sum to 1; unused slots 0).
        strength: ``lambda``.
        eps: floor of ``p_lex`` (Arthur et al. use 0.001).
        outputs: ``V``, the target vocabulary's size (None: ``V_src``, one shared vocabulary).

    Returns:
        ``(N, V)`` the bias to add to the step's log-probabilities.
    """
    if weights.shape != src.shape:
        raise NLPConfigError(f"attention {tuple(weights.shape)} and source {tuple(src.shape)} differ")
    spread = (weights.float().unsqueeze(-1) * probs[src]).flatten(1)  # (N, S * K)
    size = ids.shape[0] if outputs is None else outputs
    lex = weights.new_zeros(src.shape[0], size, dtype=torch.float32)
    lex.scatter_add_(-1, ids[src].flatten(1), spread)
    return strength * torch.log(lex + eps)


class BiasedNetwork:
    """A translation network (or ONNX step) whose step log-probabilities carry the lexical bias.

    Args:
        network: anything with ``start``, ``step`` and ``parameters`` (:class:`~carrousel.nlp.seq2seq.Seq2Seq`
            or an exported bundle's step); its state must carry ``src``.
        ids: ``(V_src, K)`` lexicon target ids per source id.
        probs: ``(V_src, K)`` lexicon probabilities.
        strength: ``lambda`` (> 0).
        eps: floor of ``p_lex``.
    """

    def __init__(self, network: Any, ids: Tensor, probs: Tensor, strength: float, eps: float = 1e-3) -> None:
        if not (math.isfinite(strength) and strength > 0 and 0 < eps < 1):
            raise NLPConfigError(
                f"the lexical bias needs strength > 0 and eps in (0, 1), got {strength}, {eps}"
            )
        if ids.shape != probs.shape or ids.dim() != 2:
            raise NLPConfigError(
                f"lexicon ids {tuple(ids.shape)} and probs {tuple(probs.shape)} must be (V, K)"
            )
        self.network = network
        device = next(iter(network.parameters())).device
        self.ids, self.probs = ids.to(device), probs.to(device)
        self.strength, self.eps = strength, eps
        self.largest = int(ids.max())  # the largest target id the lexicon names (checked against each step)

    def parameters(self) -> Iterator[nn.Parameter]:
        """The wrapped network's parameters."""
        return iter(self.network.parameters())

    def start(self, src: Tensor, lengths: Tensor) -> Any:
        """The wrapped network's initial state."""
        return self.network.start(src, lengths)

    def step(self, labels: Tensor, state: Any) -> tuple[Tensor, Any, Tensor]:
        """The wrapped step, its ``(N, V)`` log-probabilities biased and renormalised."""
        log_probs, new, weights = self.network.step(labels, state)
        outputs = log_probs.shape[-1]
        if self.largest >= outputs:
            raise NLPConfigError(f"the lexicon names target ids beyond the network's {outputs} outputs")
        bias = lexical_bias(weights, state.src, self.ids, self.probs, self.strength, self.eps, outputs)
        return torch.log_softmax(log_probs.float() + bias, dim=-1), new, weights
