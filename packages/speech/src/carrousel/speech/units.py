"""Subword units for CTC: byte-pair-encoding merges learned on the training transcripts.

A character model predicts one class per letter; a subword model predicts word pieces (``"th"``,
``"ree"``, whole frequent words), so a transcript is a shorter label sequence, fewer output frames are
needed per word, and the network spells less. Pieces never cross a word boundary: the word space stays
its own class, so word timestamps, the word LM and hotwords work unchanged.

:func:`learn_merges` is the classic BPE of Sennrich et al. (2016) over the words of normalised
transcripts, weighted by their counts; :func:`segment` applies the merges to one word in rank order.
The merges are stored in the model bundle with the unit list (``Alphabet.merges``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from carrousel.core.args import check_args

__all__ = ["learn_merges", "segment"]


def _pairs(word: Sequence[str]) -> set[tuple[str, str]]:
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def _merge(word: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(word):
        if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


@check_args
def learn_merges(texts: Iterable[str], n_merges: int, min_count: int = 2) -> list[tuple[str, str]]:
    """BPE merges learned on the words of ``texts``, most frequent pair first.

    Args:
        texts: normalised transcripts (words separated by single spaces).
        n_merges: the most merges to learn (the unit set grows by one per merge).
        min_count: stop when the most frequent pair occurs fewer times than this.

    Returns:
        ``[(left, right), ...]`` in the order they were learned (their rank). Ties are broken by the
        pair itself, so the result does not depend on the order of ``texts``.
    """
    vocab: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        for w in text.split():
            vocab[tuple(w)] += 1
    merges: list[tuple[str, str]] = []
    for _ in range(max(0, n_merges)):
        counts: Counter[tuple[str, str]] = Counter()
        for word, n in vocab.items():
            for i in range(len(word) - 1):
                counts[(word[i], word[i + 1])] += n
        if not counts:
            break
        best, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_count:
            break
        merges.append(best)
        merged: Counter[tuple[str, ...]] = Counter()
        for word, c in vocab.items():
            merged[_merge(word, best) if best in _pairs(word) else word] += c
        vocab = merged
    return merges


def segment(word: str, ranks: Mapping[tuple[str, str], int]) -> list[str]:
    """The pieces of one word: its characters, merged by the lowest-ranked pair until none applies.

    Args:
        word: one word without spaces.
        ranks: ``{(left, right): rank}`` of :func:`learn_merges`'s result.
    """
    pieces: tuple[str, ...] = tuple(word)
    while len(pieces) > 1:
        pair = min(_pairs(pieces), key=lambda p: ranks.get(p, len(ranks)))
        if pair not in ranks:
            break
        pieces = _merge(pieces, pair)
    return list(pieces)
