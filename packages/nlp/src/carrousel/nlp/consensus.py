"""Consensus decoding of a translator: minimum-Bayes-risk selection with sentence chrF as the utility.

The candidates of one sentence are the beam's n-best translations (the search's best first), the word
dictionary's translation, and optionally the source copied. Their belief: the n-best share a weight of 1
in proportion to their model probabilities, ``softmax(log p / T)`` (``DecodeConfig.mbr_temperature``;
``T > 1`` flattens), the dictionary's translation gets ``DecodeConfig.mbr_dictionary`` beside it and the
copied source ``DecodeConfig.mbr_copy`` (0: not a candidate). With ``DecodeConfig.mbr_confidence = s > 0``
the n-best weigh ``exp(-s * nll)`` together instead of 1, ``nll`` the best's mean -log p per token (as the
fallback reads it): a network unsure of its best trusts its n-best less. With two candidates (greedy
search, no copy) MBR is a switch: the dictionary wins when its weight is above the network's, i.e. for
``s > 0`` exactly when ``nll > -ln(mbr_dictionary) / s`` (the fallback with that threshold); with more
candidates their agreement decides. The pick maximises the expected chrF against
all candidates (:func:`carrousel.core.decode.mbr_from_matrix`, Kumar & Byrne 2004): a hypothesis the
others agree with wins, and a dictionary translation the n-best half agree with can beat a fluent
hypothesis that agrees with nothing. Ties go to the earlier candidate (the network's best).

:func:`sentence_chrf` is sacrebleu's sentence chrF (character 6-grams, beta 2, whitespace removed, no
word n-grams, effective-order averaging), reimplemented on cached n-gram counts so that the ``C x C``
utilities of a sentence count each candidate's n-grams once; tested equal to ``sacrebleu.sentence_chrf``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.decode import mbr_from_matrix, mbr_weights

__all__ = ["CHOICES", "NGrams", "char_ngrams", "chrf_matrix", "chrf_of", "consensus", "sentence_chrf"]

CHOICES = ("model", "dictionary", "copy")  # where a translation's text comes from

NGrams = list[tuple[Counter[str], int]]  # per order 1..n: the n-gram counts and their total


@check_args
def char_ngrams(text: str, order: int = 6) -> NGrams:
    """Character n-grams of orders ``1..order`` of ``text`` with whitespace removed, with their totals."""
    line = "".join(text.split())
    out = []
    for n in range(1, order + 1):
        grams = Counter(line[i : i + n] for i in range(len(line) - n + 1))
        out.append((grams, max(len(line) - n + 1, 0)))
    return out


def chrf_of(hyp: NGrams, ref: NGrams, beta: float = 2.0) -> float:
    """chrF (0-100) of the n-grams of a hypothesis against those of a reference, as sacrebleu computes it."""
    factor = beta**2
    prec = rec = 0.0
    effective = 0
    for (h, n_hyp), (r, n_ref) in zip(hyp, ref, strict=True):
        if n_hyp == 0 or n_ref == 0:
            continue
        small, large = (h, r) if len(h) <= len(r) else (r, h)
        match = sum(min(c, large[g]) for g, c in small.items() if g in large)
        prec += match / n_hyp
        rec += match / n_ref
        effective += 1
    if effective == 0 or prec + rec == 0:
        return 0.0
    prec, rec = prec / effective, rec / effective
    return 100.0 * (1 + factor) * prec * rec / (factor * prec + rec)


@check_args
def sentence_chrf(hypothesis: str, reference: str, order: int = 6, beta: float = 2.0) -> float:
    """Sentence chrF (0-100) of ``hypothesis`` against one ``reference``: ``sacrebleu.sentence_chrf``."""
    return chrf_of(char_ngrams(hypothesis, order), char_ngrams(reference, order), beta)


@check_args
def chrf_matrix(texts: Sequence[str], order: int = 6, beta: float = 2.0) -> np.ndarray:
    """``(C, C)`` sentence chrF of every text (rows, as hypothesis) against every other (columns)."""
    grams = [char_ngrams(t, order) for t in texts]
    u = np.empty((len(texts), len(texts)))
    for i, gi in enumerate(grams):
        for j, gj in enumerate(grams):
            u[i, j] = 100.0 if texts[i] == texts[j] and texts[i].strip() else chrf_of(gi, gj, beta)
    return u


def consensus(
    model_texts: Sequence[str],
    log_probs: Sequence[float],
    dictionary: str,
    source: str,
    *,
    temperature: float = 1.0,
    model_weight: float = 1.0,
    dictionary_weight: float = 0.5,
    copy_weight: float = 0.0,
) -> tuple[str, int]:
    """The MBR pick among a sentence's n-best, its dictionary translation and (optionally) its source.

    Args:
        model_texts: ``K >= 1`` translations of the network, its best first.
        log_probs: ``(K,)`` their log-probabilities under the network.
        dictionary: the word dictionary's translation of the source.
        source: the source text (a candidate when ``copy_weight > 0``).
        temperature: of the n-best weights ``model_weight * softmax(log_probs / temperature)``.
        model_weight: what the n-best weigh together (> 0).
        dictionary_weight: the dictionary candidate's weight beside them (0: a candidate, not evidence).
        copy_weight: the copied source's weight (0: not a candidate).

    Returns:
        ``(choice, rank)``: ``choice`` one of :data:`CHOICES`; ``rank`` the index in ``model_texts`` of
        the chosen network translation (0 when the choice is not the network's).
    """
    texts = [*model_texts, dictionary]
    weights = [*(model_weight * mbr_weights(log_probs, temperature)).tolist(), dictionary_weight]
    if copy_weight > 0:
        texts.append(source)
        weights.append(copy_weight)
    pick = mbr_from_matrix(chrf_matrix(texts), weights).index
    if pick < len(model_texts):
        return "model", pick
    return ("dictionary" if pick == len(model_texts) else "copy"), 0
