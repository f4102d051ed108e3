"""A discrete translation lexicon learned from the training pairs (IBM model 1 over subword ids).

Arthur et al. (2016, "Incorporating Discrete Translation Lexicons into Neural Machine Translation")
add ``p_lex(e | f)``, read from a word alignment model of the training data, to the decoder's output
distribution, weighted by the attention: ``lex_t(e) = sum_i a_{t,i} p_lex(e | x_i)``. Words seen in
training then translate as the lexicon says even where the network's own distribution is unsure (rare
words, sentences unlike the training data), while the network keeps order and context. Here the lexicon
is a third pointer target of the pointer-generator (:mod:`carrousel.nlp.seq2seq`): a learned gate mixes
generating, copying a source token and translating it through the lexicon.

:func:`ibm_model1` fits ``p(target token | source token)`` by expectation-maximisation (Brown et al. 1993)
with a NULL source token, over token id sequences of the training pairs only, and keeps the ``top``
most probable entries per source token (renormalised). A source token never seen in training maps to
itself (a copy), so the lexicon never sends attention mass nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from carrousel.core.args import check_args
from carrousel.nlp.errors import NLPConfigError

__all__ = ["ibm_model1", "identity_lexicon"]

NULL = 0  # the padding id stands for the NULL source word (it is never a real token)


@check_args
def identity_lexicon(
    vocab_size: int, top: int, targets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A lexicon in which every token translates to itself: ``(V, top)`` ids and probabilities.

    ``targets``: ``(V,)`` the target id of each source id, for separate vocabularies (None: the same id).
    """
    ids = np.zeros((vocab_size, top), dtype=np.int64)
    probs = np.zeros((vocab_size, top), dtype=np.float32)
    ids[:, 0] = np.arange(vocab_size) if targets is None else targets
    probs[:, 0] = 1.0
    return ids, probs


@check_args
def ibm_model1(
    pairs: Sequence[tuple[Sequence[int], Sequence[int]]],
    vocab_size: int,
    top: int = 8,
    iterations: int = 5,
    min_prob: float = 0.01,
    targets: np.ndarray | None = None,
    tgt_vocab_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fits IBM model 1 on ``(source ids, target ids)`` pairs; returns the top entries per source id.

    Args:
        pairs: token id sequences (ids in ``[1, vocab_size)``; 0 is reserved for NULL).
        vocab_size: number of source ids (of the shared vocabulary, or the source's).
        top: entries kept per source id.
        iterations: EM iterations.
        min_prob: entries below this probability are dropped before renormalising.
        targets: separate vocabularies: ``(vocab_size,)`` the target id of each source id, where the rows of
            source ids absent from ``pairs`` point (None: one shared vocabulary, the same id).
        tgt_vocab_size: separate vocabularies: the number of target ids (None: ``vocab_size``).

    Returns:
        ``ids (V, top)`` int64 target ids and ``probs (V, top)`` float32 per source id, each row summing to 1
        (unused slots have probability 0). Rows of source ids absent from ``pairs`` are the identity
        (``targets``).

    Raises:
        NLPConfigError: ``top`` or ``iterations`` below 1, or an id outside the vocabulary.

    Example:
        >>> ids, probs = ibm_model1([([5], [7]), ([5, 6], [7, 8]), ([6], [8])], 10, top=2)
        >>> int(ids[5, 0]), int(ids[6, 0]), int(ids[9, 0])
        (7, 8, 9)
    """
    if top < 1 or iterations < 1:
        raise NLPConfigError(f"top and iterations must be >= 1, got {top}, {iterations}")
    n_tgt = vocab_size if tgt_vocab_size is None else tgt_vocab_size
    rows = []
    for s, t in pairs:
        src = np.asarray([NULL, *s], dtype=np.int64)
        tgt = np.asarray(list(t), dtype=np.int64)
        if len(tgt) == 0 or len(src) == 1:
            continue
        if src.max() >= vocab_size or tgt.max() >= n_tgt or min(src[1:].min(), tgt.min()) < 1:
            raise NLPConfigError(f"token ids must be in [1, {vocab_size}) and [1, {n_tgt}) for the lexicon")
        rows.append((src, tgt))
    table = np.zeros((vocab_size, n_tgt), dtype=np.float32)  # t(target | source), dense (V is small)
    for src, tgt in rows:  # uniform start over co-occurring pairs
        table[np.ix_(src, tgt)] = 1.0
    table /= np.maximum(table.sum(axis=1, keepdims=True), 1e-30)
    for _ in range(iterations):
        counts = np.zeros_like(table)
        for src, tgt in rows:
            block = table[np.ix_(src, tgt)]  # (S + 1, T)
            block = block / np.maximum(block.sum(axis=0, keepdims=True), 1e-30)  # alignment posteriors
            np.add.at(counts, (src[:, None], tgt[None, :]), block)
        table = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-30)
    ids, probs = identity_lexicon(vocab_size, top, targets)
    seen = np.flatnonzero(table.sum(axis=1) > 0)
    for v in seen:
        if v == NULL:
            continue
        best = np.argsort(-table[v], kind="stable")[:top]
        p = table[v, best]
        keep = p >= min_prob
        if not keep.any():
            continue
        p = np.where(keep, p, 0.0)
        ids[v] = np.where(keep, best, 0)
        probs[v] = (p / p.sum()).astype(np.float32)
    return ids, probs
