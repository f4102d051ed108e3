"""Placeholders for translation: format specifiers, options, paths and numbers as atomic tokens.

Software messages carry pieces that a translation must reproduce exactly: printf formats (``%s``,
``%.250s``, ``%1$s``, ``%<PRIuMAX>``, ``%(name)s``), brace fields (``{0}``), shell variables (``$HOME``),
command-line options (``--force``, ``-f``), paths and URLs (``/etc/apt``, ``https://...``), code
identifiers (``initialize_job_control``, ``GIT_AUTHOR_DATE``, ``core.fsyncMethod``: a name with an
underscore, or a lower-case dotted name; kind ``path``) and numbers (``1,024``, ``3,5`` and ``1.024`` one
number each, copied as written). printf's ``%%`` (a literal percent sign) is one format piece, so that
``%%s`` is ``%%`` then ``s``, not ``%`` then a ``%s`` placeholder.
Split into subwords they are easy to mangle (``%.250s`` -> ``%.25s``). Masking them is the usual
remedy of production NMT for such "non-translatables": before training and decoding each occurrence
is replaced by one private-use character that names its kind and its position among the sentence's
placeholders; the tokenizer keeps that character as one token (which the pointer-generator can copy),
and after decoding each placeholder token is replaced by the source text it stands for.

* :func:`mask` replaces the placeholders of one source text (numbered in order of appearance).
* :func:`mask_pair` masks a training pair: a target occurrence gets the source's placeholder of the
  same text (the ``j``-th occurrence of a text to its ``j``-th occurrence in the source); target pieces
  with no source counterpart stay as text.
* :func:`unmask` restores a decoded text; a placeholder the source lacks is dropped.

Pieces of a text can be masked whole as well (``spans``: a usage line's command words, ``git remote add``,
and its later commands, ``... or history -anrw``: ``DecodeConfig.usage_commands``), each as one piece of kind
``path``: the kind of the identifiers that training pairs
always carry over unchanged (all 100 of ``path``'s symbols in the sources of git's German training split
stand in their targets, 18 of those sources start with one), which the network learnt to copy.

Angle-bracket names (``<file>``) are not masked: translations translate them (``<Datei>``). Identifiers
are: in the training split of git's German catalogue all 47 names with an underscore and all 43 dotted
names stand unchanged in the translation (``e.g.`` is not one: one letter before the dot), yet spelled
in subwords the network mangles them in other programs' messages (``initialize_job_control`` ->
``initialob_control``).

Unseen words (kind ``word``, optional): given a predicate ``unknown``, :func:`mask` also masks each word
it flags, so that a word the translator never saw is carried over whole, as the word-by-word dictionary
does, instead of being spelled from other words' subwords (``Installed:`` -> ``Inalled:``). Decoding
flags the words absent from the training sources; training flags rare ones, and :func:`mask_pair` puts
the same symbol where the target has that word or its ``translation`` (so the model learns to place the
symbol where the word's translation belongs).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from carrousel.core.args import check_args

__all__ = [
    "ALPHABET",
    "KINDS",
    "MAX_PLACEHOLDERS",
    "WORD_OR_PLACEHOLDER",
    "WORD_PATTERN",
    "mask",
    "mask_pair",
    "unmask",
]

WORD_PATTERN = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)  # a word (also carrousel.nlp.baselines')

KINDS = ("format", "option", "path", "number", "word")  # the kinds, in the order of their code blocks
MAX_PLACEHOLDERS = 16  # per sentence; later pieces stay as text
_BASE = 0xE000  # Unicode private use area: never in real messages, unchanged by NFKC
ALPHABET = tuple(
    chr(_BASE + MAX_PLACEHOLDERS * k + i) for k in range(len(KINDS)) for i in range(MAX_PLACEHOLDERS)
)

_PATTERNS = (
    (
        "format",
        r"%%|%(?:\d+\$)?[-+#0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[a-zA-Z]"
        r"|%<\w+>|%\(\w+\)[a-zA-Z]|\{\d*\}|\{[a-zA-Z_]\w*\}|\$\{\w+\}|\$[A-Za-z_]\w*",
    ),
    (
        "path",
        r"(?:https?|ftp)://[^\s'\"<>()]+[^\s'\"<>().,;:!?]|(?<![\w.])/[\w.-]+(?:/[\w.-]*)*[\w/]"
        r"|(?<![\w.%$/-])(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+"  # identifiers: snake_case, ...
        r"|[a-z][a-zA-Z0-9]+(?:\.[a-zA-Z][\w-]*)+)(?![\w/])",  # ... and dotted (core.bare, trust.c)
    ),
    ("option", r"(?<![\w-])--?[a-zA-Z][\w-]*(?:=[\w.-]+)?"),
    ("number", r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])"),  # 1,024 and 3,5 are one number each
)
_ANY = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _PATTERNS))
# a placeholder (``m.lastgroup`` its kind) or else a word (``m.lastgroup == "word"``): words outside placeholders
WORD_OR_PLACEHOLDER = re.compile(f"{_ANY.pattern}|(?P<word>{WORD_PATTERN.pattern})")
_CODE = re.compile(f"[{ALPHABET[0]}-{ALPHABET[-1]}]")


def _symbol(kind: str, index: int) -> str:
    return chr(_BASE + MAX_PLACEHOLDERS * KINDS.index(kind) + index)


def _kind(symbol: str) -> str:
    return KINDS[(ord(symbol) - _BASE) // MAX_PLACEHOLDERS]


def _index(symbol: str) -> int:
    return (ord(symbol) - _BASE) % MAX_PLACEHOLDERS


def _find(text: str) -> list[re.Match[str]]:
    return list(_ANY.finditer(text))


@check_args
def mask(
    text: str,
    unknown: Callable[[str], bool] | None = None,
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[str]]:
    """``text`` with its placeholders replaced by symbols, and the replaced pieces in order.

    Args:
        text: one source text.
        unknown: flags the words to mask as well (kind ``word``); None masks no word.
        spans: ``(start, end)`` pieces kept as written, each one piece of kind ``path``, numbered in order of
            appearance (a usage line's every command: :func:`carrousel.nlp.usage_lines.command_spans`); in
            order and apart.

    Example:
        >>> masked, pieces = mask("cannot open '%s': 2 errors")
        >>> pieces, unmask(masked, pieces) == "cannot open '%s': 2 errors"
        (['%s', '2'], True)
    """
    kept: list[tuple[int, int]] = []
    for start, end in spans:
        if not (kept[-1][1] if kept else 0) <= start < end <= len(text):
            raise ValueError(
                f"spans must be (start, end) pieces of the text, in order and apart; got {list(spans)}"
            )
        kept.append((start, end))
    pieces: list[str] = []
    pattern = _ANY if unknown is None else WORD_OR_PLACEHOLDER

    def swap(m: re.Match[str]) -> str:
        if len(pieces) >= MAX_PLACEHOLDERS:
            return m.group(0)
        if m.lastgroup == "word" and unknown is not None and not unknown(m.group(0)):
            return m.group(0)
        pieces.append(m.group(0))
        return _symbol(str(m.lastgroup), len(pieces) - 1)

    out, done = [], 0
    for start, end in kept:  # the text between kept pieces masked as usual, each kept piece one path symbol
        out.append(pattern.sub(swap, text[done:start]))
        out.append(_symbol("path", len(pieces)) if len(pieces) < MAX_PLACEHOLDERS else text[start:end])
        pieces += [text[start:end]] if len(pieces) < MAX_PLACEHOLDERS else []
        done = end
    return "".join(out) + pattern.sub(swap, text[done:]), pieces


def mask_pair(
    source: str,
    target: str,
    unknown: Callable[[str], bool] | None = None,
    translation: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """A training pair with the source's placeholders masked on both sides.

    Args:
        source: the source text.
        target: its translation.
        unknown: flags source words to mask (see :func:`mask`).
        translation: case-folded source word -> target word; a masked word's symbol also replaces its
            translation in the target (when the word itself is not there).

    Example:
        >>> s, t = mask_pair("%s: %d files", "%s: %d Dateien")
        >>> unmask(t, mask("%s: %d files")[1])
        '%s: %d Dateien'
    """
    masked, pieces = mask(source, unknown)
    slots: dict[str, list[int]] = defaultdict(list)
    for i, piece in enumerate(pieces):
        slots[piece].append(i)
    symbols = _CODE.findall(masked)
    words = set(WORD_PATTERN.findall(target)) if translation else set()
    for i, piece in enumerate(pieces):
        other = translation.get(piece.casefold()) if translation else None
        if other and other in words and piece not in words and _kind(symbols[i]) == "word":
            slots[other].append(i)
    used: dict[str, int] = defaultdict(int)

    def swap(m: re.Match[str]) -> str:
        piece = m.group(0)
        options = slots.get(piece)
        if not options:
            return piece
        k = min(used[piece], len(options) - 1)
        used[piece] += 1
        return symbols[options[k]]

    return masked, (_ANY if unknown is None else WORD_OR_PLACEHOLDER).sub(swap, target)


def unmask(text: str, pieces: list[str]) -> str:
    """A decoded text with each placeholder symbol replaced by its source piece (unknown ones dropped)."""

    def swap(m: re.Match[str]) -> str:
        i = _index(m.group(0))
        return pieces[i] if i < len(pieces) else ""

    return _CODE.sub(swap, text)
