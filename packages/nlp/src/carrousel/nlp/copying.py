"""Copying unknown source words through attention (Luong et al. 2015, "Addressing the rare word problem
in neural machine translation", adapted to subwords).

A software message holds words no training pair had: option names, identifiers, product names. The
decoder can only spell them from subwords it learned for other words, and it invents strings. After
decoding, each output word whose subwords attend mostly to a source word that never occurred in the
training sources is replaced by that source word, as written (a run of output words aligned to the same
source word becomes one copy).

Words are groups of Metaspace subword pieces: a piece starting with ``▁`` starts a word; punctuation
pieces are their own groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["SPACE", "copy_unknown_words", "word_groups"]

SPACE = "▁"  # Metaspace's word-start mark
_WORDLIKE = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)


def word_groups(pieces: Sequence[str]) -> list[list[int]]:
    """Indices of the pieces of each word: a new group at every ``▁`` piece and at every piece (and the
    piece after it) that is not word-like (punctuation)."""
    groups: list[list[int]] = []
    for i, p in enumerate(pieces):
        body = p[1:] if p.startswith(SPACE) else p
        word_like = bool(_WORDLIKE.fullmatch(body)) if body else False
        prev_word_like = bool(groups) and _is_word(pieces, groups[-1])
        if not groups or p.startswith(SPACE) or not word_like or not prev_word_like:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def _is_word(pieces: Sequence[str], group: list[int]) -> bool:
    return bool(_WORDLIKE.fullmatch(_text(pieces, group)))


def _text(pieces: Sequence[str], group: list[int]) -> str:
    return "".join(pieces[i] for i in group).replace(SPACE, "")


def copy_unknown_words(
    src_pieces: Sequence[str],
    out_pieces: Sequence[str],
    attention: np.ndarray,
    is_known: Callable[[str], bool],
) -> str | None:
    """The output text with words aligned to unknown source words replaced by them.

    Args:
        src_pieces: the source's subword pieces.
        out_pieces: the output's subword pieces (no BOS/EOS).
        attention: ``(len(out_pieces), len(src_pieces))`` attention weights of the output.
        is_known: whether a source word occurred in the training sources.

    Returns:
        The new text (pieces joined, ``▁`` as spaces), or None when nothing is replaced.
    """
    if attention.shape != (len(out_pieces), len(src_pieces)) or not out_pieces:
        return None
    src_groups = word_groups(src_pieces)
    owner = np.empty(len(src_pieces), dtype=np.int64)
    for g, idx in enumerate(src_groups):
        owner[idx] = g
    unknown = {
        g
        for g, idx in enumerate(src_groups)
        if _is_word(src_pieces, idx) and not is_known(_text(src_pieces, idx))
    }
    if not unknown:
        return None
    aligned = owner[np.asarray(attention).argmax(axis=1)]  # source word each output piece attends to most
    parts: list[str] = []
    last_copied = -1
    changed = False
    for idx in word_groups(out_pieces):
        votes = np.bincount(aligned[idx], minlength=len(src_groups))
        g = int(votes.argmax())
        text = "".join(out_pieces[i] for i in idx)
        if g in unknown and _is_word(out_pieces, idx) and 2 * votes[g] > len(idx):
            if g == last_copied:  # the rest of the same copied word
                changed = True
                continue
            word = _text(src_pieces, src_groups[g])
            lead = SPACE if out_pieces[idx[0]].startswith(SPACE) else ""
            changed |= word != _text(out_pieces, idx)
            parts.append(lead + word)
            last_copied = g
        else:
            parts.append(text)
            last_copied = -1
    if not changed:
        return None
    return "".join(parts).replace(SPACE, " ").strip()
