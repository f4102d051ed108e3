"""A pairs TSV's first line: a header naming the columns or their languages, or a pair
(:func:`carrousel.nlp.parallel.read_pairs`).

A header names the columns (``source<TAB>target``, ``src<TAB>tgt``, ``input<TAB>output``,
``text<TAB>translation``, any case, more columns beside them too) or their languages, by code
(``de<TAB>en``, ``id<TAB>en_US<TAB>de_DE``) or by name (``English<TAB>German``,
:data:`~carrousel.nlp.language_codes.LANGUAGE_NAMES`); the columns it names for ``--src`` and ``--tgt`` are
read. A header of languages naming neither is refused, by codes as by names (``French<TAB>Spanish`` for an
``en -> de`` run: before, read as a pair and trained on).
"""

from __future__ import annotations

from pathlib import Path

from carrousel.core.option_names import option
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.language_codes import LANGUAGE_NAMES, known_language, language_key, primary_subtag

__all__ = ["COLUMN_HEADERS", "tsv_columns"]

# first lines naming the columns, source's then target's (lower case): a header, not a pair
COLUMN_HEADERS = (("source", "target"), ("src", "tgt"), ("input", "output"), ("text", "translation"))


def tsv_columns(path: str | Path, cells: list[str], src: str, tgt: str) -> tuple[int, int] | None:
    """The source and target columns a first line names (``de<TAB>en`` with ``src='en'`` -> ``(1, 0)``;
    ``id<TAB>input<TAB>output`` -> ``(1, 2)``), or None when it is no header but a pair.

    Raises:
        TextDataError: a first line of language codes or names only, none of them ``src``'s or ``tgt``'s.
    """
    names = [c.strip().lower() for c in cells]
    for a, b in COLUMN_HEADERS:
        if names.count(a) == 1 and names.count(b) == 1:
            return names.index(a), names.index(b)
    for key in (lambda c: c.strip().lower(), language_key):  # the whole tag, then its language (or name)
        keys = [key(c) for c in cells]
        want = key(src), key(tgt)
        if want[0] != want[1] and all(keys.count(w) == 1 for w in want):
            return keys.index(want[0]), keys.index(want[1])
    if len(cells) < 2:
        return None
    codes = [known_language(primary_subtag(c)) for c in cells]
    named = [LANGUAGE_NAMES.get(n) for n in names]  # distinct names only: French<TAB>Français is a pair
    if all(codes) or (all(named) and len(set(named)) == len(named)):
        give = [c.strip() for c in cells] if all(codes) else [str(n) for n in named]
        raise TextDataError(
            f"{path} line 1 names the languages {', '.join(c.strip() for c in cells)}, not {option('src', src)} and"
            f" {option('tgt', tgt)}; give the file's codes ({option('src', give[0])} {option('tgt', give[1])}),"
            " or, if line 1 is a pair, put a header line above it"
        )
    return None
