"""The dictionary fallback per clause (``DecodeConfig.fallback_clauses``, ``--fallback-clauses``).

The default fallback (``DecodeConfig.fallback_nll``) works per sentence: where the network's mean -log p
per output token is above the threshold, the word dictionary translates the whole text, so one clause of
words the network never saw costs the clauses it knows. With the fallback per clause such a text is cut
at its punctuation (:data:`SEPARATOR`: ``:``, ``;``, ``,``, ``.``, ``!``, ``?`` or a dash before a space,
brackets and parentheses) into clauses; when at least two of them hold a word (placeholders are not
words), every clause is translated on its own with the same decoding (search, the fallback, consensus),
the separators are kept as written, and the text is the clauses' translations joined. A clause the
network is sure of keeps the network's translation, an unsure one gets the dictionary's: where every
clause falls back the text is exactly the dictionary's (the dictionary translates word by word and keeps
punctuation). Texts the network is sure of, and texts of one clause, are not touched.

Example:
    >>> split_clauses("could not read %s: bad header (too short)")
    ['could not read %s', ': ', 'bad header', ' (', 'too short', ')', '']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from carrousel.nlp.baselines import WORD_PATTERN
from carrousel.nlp.placeholders import mask

__all__ = ["SEPARATOR", "by_clauses", "split_clauses", "word_clauses"]

SEPARATOR = re.compile(r"((?:[:;,.!?]|\s[-\u2013\u2014]+)\s+|\s*[()\[\]]\s*)")


def split_clauses(text: str) -> list[str]:
    """``text`` cut at :data:`SEPARATOR`: clauses at even indices, separators as written at odd ones.

    ``"".join(split_clauses(text)) == text``.
    """
    return SEPARATOR.split(text)


def word_clauses(parts: Sequence[str]) -> list[int]:
    """The indices of the clauses of :func:`split_clauses` that hold a word (outside placeholders)."""
    return [i for i in range(0, len(parts), 2) if WORD_PATTERN.search(mask(parts[i])[0])]


def by_clauses(
    texts: Sequence[str], unsure: Sequence[bool], translate: Callable[[list[str]], list[str]]
) -> list[str | None]:
    """Each ``unsure`` text of at least two word clauses translated clause by clause; None for the others.

    Args:
        texts: the source texts.
        unsure: which of them the sentence fallback handed to the dictionary.
        translate: translates a list of clauses (called once, with every clause of every text redone).

    Returns:
        Per text, the clauses' translations joined by the source's separators, or None (not redone).
    """
    cut = [split_clauses(t) if u else [] for t, u in zip(texts, unsure, strict=True)]
    chosen = [word_clauses(parts) for parts in cut]
    chosen = [idx if len(idx) >= 2 else [] for idx in chosen]
    todo = [cut[k][i].strip() for k, idx in enumerate(chosen) for i in idx]
    done = iter(translate(todo) if todo else [])
    out: list[str | None] = []
    for parts, idx in zip(cut, chosen, strict=True):
        if not idx:
            out.append(None)
            continue
        parts = list(parts)
        for i in idx:
            lead, trail = (
                parts[i][: len(parts[i]) - len(parts[i].lstrip())],
                parts[i][len(parts[i].rstrip()) :],
            )
            parts[i] = lead + next(done) + trail
        out.append("".join(parts))
    return out
