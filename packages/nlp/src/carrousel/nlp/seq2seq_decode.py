"""Translating batches of source ids with a :class:`~carrousel.nlp.seq2seq.Seq2Seq` (or an exported
bundle's step): greedy or GNMT-penalised beam search of :mod:`carrousel.core.decode`, the best or the
``n_best`` hypotheses per source with their attention over it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from carrousel.core.args import check_args
from carrousel.core.decode import (
    Hypothesis,
    NgramBlockedStep,
    beam_search,
    gnmt_coverage_penalty,
    greedy_search,
)
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.seq2seq import Seq2Seq

__all__ = ["decode_batch", "decode_nbest"]


@check_args
def decode_batch(
    model: Seq2Seq | Any,
    sources: Sequence[Sequence[int]],
    bos: int,
    eos: int,
    *,
    beam: int = 1,
    length_penalty: float = 0.0,
    coverage_penalty: float = 0.0,
    max_ratio: float = 2.0,
    block_ngram_repeat: int = 0,
) -> list[Hypothesis]:
    """Translates a batch of source id lists through :mod:`carrousel.core.decode`.

    Args:
        model: the network (put in eval mode by the caller), or anything with its ``start``, ``step``
            and ``parameters`` (an exported bundle's ONNX Runtime step).
        sources: ``B`` non-empty lists of source ids.
        bos: the id that starts decoding.
        eos: the id that ends a translation.
        beam: 1 for greedy search, else the beam size.
        length_penalty: GNMT ``alpha`` of the beam search.
        coverage_penalty: GNMT ``beta`` of the beam search (0: off).
        max_ratio: at most ``max_ratio * its source's length + 10`` output tokens per source (its own
            source's, not the batch's longest: a translation does not depend on what it is batched with).
        block_ngram_repeat: ``n``: no hypothesis may repeat an ``n``-gram of its own tokens
            (:class:`~carrousel.core.decode.NgramBlockedStep`; 0: off).

    Returns:
        The best hypothesis per source, its ``extras`` the ``(T, S_b)`` attention over that source.
    """
    found = decode_nbest(
        model, sources, bos, eos, beam=beam, length_penalty=length_penalty,
        coverage_penalty=coverage_penalty, max_ratio=max_ratio, block_ngram_repeat=block_ngram_repeat,
    )  # fmt: skip
    return [h[0] for h in found]


@check_args
def decode_nbest(
    model: Seq2Seq | Any,
    sources: Sequence[Sequence[int]],
    bos: int,
    eos: int,
    *,
    beam: int = 1,
    n_best: int = 1,
    length_penalty: float = 0.0,
    coverage_penalty: float = 0.0,
    max_ratio: float = 2.0,
    block_ngram_repeat: int = 0,
) -> list[list[Hypothesis]]:
    """:func:`decode_batch` keeping the ``n_best`` (at most ``beam``) hypotheses per source, best first.

    Greedy search (``beam`` 1) gives one hypothesis per source.

    Raises:
        NLPConfigError: ``max_ratio`` not a finite number above 0, as
            :class:`~carrousel.nlp.config.DecodeConfig` refuses it (before: a negative one cut each limit,
            ``max_ratio * n + 10`` tokens, to 0 for a long source, an empty unfinished translation with no
            word, or below it to core's "max_len must be >= 0" naming a value never given; nan or inf a raw
            ValueError or OverflowError).
    """
    if not (math.isfinite(max_ratio) and max_ratio > 0):
        raise NLPConfigError(
            f"max_ratio must be a finite number > 0 (most output tokens per source token, plus 10), got "
            f"{max_ratio}; give e.g. 2.0"
        )
    device = next(iter(model.parameters())).device
    lengths = torch.tensor([len(s) for s in sources], dtype=torch.long)
    src = torch.zeros(len(sources), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    max_len = torch.tensor([int(max_ratio * n) + 10 for n in lengths.tolist()], dtype=torch.long)
    with torch.no_grad():
        state, step = model.start(src.to(device), lengths), model.step
        if block_ngram_repeat > 0:
            step = NgramBlockedStep(model.step, block_ngram_repeat)
            state = step.start(state)
        if beam == 1:
            found = [[h] for h in greedy_search(step, state, bos, eos, max_len)]
        else:
            cover = gnmt_coverage_penalty(coverage_penalty) if coverage_penalty > 0 else None
            found = beam_search(
                step,
                state,
                bos,
                eos,
                max_len,
                beam,
                n_best=min(max(n_best, 1), beam),
                length_penalty=length_penalty,
                coverage_penalty=cover,
            )
    out = []
    for hs, n in zip(found, lengths.tolist(), strict=True):
        out.append(
            [
                Hypothesis(
                    h.labels,
                    h.score,
                    h.log_prob,
                    h.finished,
                    h.extras[:, :n] if h.extras is not None else None,
                )
                for h in hs
            ]
        )
    return out
