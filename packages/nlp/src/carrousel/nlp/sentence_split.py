"""Cutting a text into sentences, for models trained on single sentences that are given whole reviews.

The rule is deliberately plain (no abbreviation list, no language model): a sentence ends at a line break, or
at ``.``, ``!`` or ``?`` (any run of them, with closing quotes or brackets after it) followed by white space.
``"It works. I'm happy!! (Really.) Dr. No"`` gives ``["It works.", "I'm happy!!", "(Really.)", "Dr.", "No"]``:
an abbreviation cuts a sentence in two, which costs a sentence-level model little (each piece is still read).
Pieces with no letter or digit (``"..."``, ``":)"``) join the sentence before them, so no piece is empty.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\s*[\r\n]+\s*")
_WORD = re.compile(r"\w")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, each stripped of surrounding white space.

    Args:
        text: any text; one without a sentence end (or with nothing but white space) gives itself, stripped.

    Returns:
        At least one piece (``[text.strip()]`` when nothing splits); joined with spaces they hold every
        non-space character of ``text`` in order.
    """
    pieces: list[str] = []
    start = 0
    for match in _END.finditer(text):
        end = match.start() + len(match.group(0).rstrip()) if match.group(0).strip() else match.start()
        pieces.append(text[start:end].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    out: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if out and not _WORD.search(piece):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    if out and not _WORD.search(out[0]) and len(out) > 1:  # a leading piece without words joins the next
        out[1] = f"{out[0]} {out[1]}"
        del out[0]
    return out or [text.strip()]
