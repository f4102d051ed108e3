"""Decoding: greedy and beam search over a step function; CTC greedy, prefix beam search and alignment;
temperature, top-k and top-p sampling; minimum-Bayes-risk (consensus) selection among candidates; a guard
against repeated n-grams (:class:`~carrousel.core.decode.NgramBlockedStep`).

:mod:`~carrousel.core.decode.search` drives any autoregressive model through a step function
``step(labels (N,), state) -> (log_probs (N, V), state[, extras (N, ...)])``, and
:class:`~carrousel.core.decode.EnsembleStep` makes one such step of several models';
:mod:`~carrousel.core.decode.ctc` decodes per-frame ``(T, C)`` / ``(B, T, C)`` log-probabilities of a
model trained with CTC.
"""

from carrousel.core.decode.ctc import (
    CTCResult,
    Scorer,
    ctc_forced_align,
    ctc_greedy_decode,
    ctc_prefix_beam_search,
    ctc_prefix_beam_search_batch,
)
from carrousel.core.decode.ensemble import EnsembleStep
from carrousel.core.decode.mbr import MBRChoice, mbr_from_matrix, mbr_select, mbr_weights
from carrousel.core.decode.repeats import NgramBlockedStep, blocked_labels
from carrousel.core.decode.sampling import filter_logits, sample_next
from carrousel.core.decode.search import (
    Hypothesis,
    StepFunction,
    beam_search,
    gnmt_coverage_penalty,
    gnmt_length_penalty,
    greedy_search,
    map_state,
    select_state,
)

__all__ = [
    "CTCResult",
    "EnsembleStep",
    "Hypothesis",
    "MBRChoice",
    "NgramBlockedStep",
    "Scorer",
    "StepFunction",
    "beam_search",
    "blocked_labels",
    "ctc_forced_align",
    "ctc_greedy_decode",
    "ctc_prefix_beam_search",
    "ctc_prefix_beam_search_batch",
    "filter_logits",
    "gnmt_coverage_penalty",
    "gnmt_length_penalty",
    "greedy_search",
    "map_state",
    "mbr_from_matrix",
    "mbr_select",
    "mbr_weights",
    "sample_next",
    "select_state",
]
