"""The texts a Python caller hands a model (``SentimentModel(texts)``, ``Translator.translate(texts)``), checked
before any work: a list, a tuple, a generator, a pandas column or a 1-D NumPy array of strings."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from carrousel.core.args import check_args
from carrousel.core.listed import check_listed
from carrousel.core.text import counted, name_some
from carrousel.nlp.entities import unescape_entities
from carrousel.nlp.errors import EmptyTextError, TextDataError

__all__ = ["blank_rows", "check_texts", "is_invisible", "warn_unread", "without_blank_end"]

logger = logging.getLogger(__name__)


@check_args
def check_texts(texts: Iterable[str], where: str, entities: bool = False, blanks: bool = False) -> list[str]:
    """The texts (a list, pandas column, NumPy array...) as a list of plain ``str`` (a NumPy array's
    ``np.str_`` too); rows count from 1 in errors. ``entities``: the texts are read with their HTML references
    unescaped (a sentiment model's, :func:`carrousel.nlp.data.read_as`), so one blank once they are read
    (``&nbsp;``) is as blank as an empty one, and one of only invisible characters as read (``&#8203;``) as
    invisible. With ``blanks``, a blank text (a file's blank line, kept as an empty row) passes, and still
    counts in the numbering.

    Raises:
        TextDataError: one string, None, a mapping, a table or an array of other than one dimension;
            EmptyTextError: a missing, non-text or blank text, naming its row.
    """
    check_listed(texts, (str, bytes), TextDataError, "text", "string", where)  # "hi": one text per letter
    if isinstance(texts, Mapping):  # iterated, its keys (a DataFrame's: its column names) would be the texts
        raise TextDataError(
            f"{where}: got a {type(texts).__name__}, not a list of texts; pass list(d.values())"
        )
    if (ndim := getattr(texts, "ndim", 1)) != 1:  # a DataFrame, a 2-D or 0-D array: rows or no texts
        shape = tuple(getattr(texts, "shape", ()))
        raise TextDataError(
            f"{where}: got a {ndim}-D {type(texts).__name__} of shape {shape}, not a list of texts; "
            "pass one column, e.g. df['text'] or array[:, 0]"
        )
    for i, text in enumerate(out := list(texts), 1):
        if not isinstance(text, str):
            raise EmptyTextError(f"{where}: text {i} is {text!r}, not text; drop or fill missing rows")
        if not text.strip() and blanks:
            continue
        if not text.strip():
            raise EmptyTextError(f"{where}: text {i} is empty or only whitespace; remove it or fill it in")
        seen = unescape_entities(text) if entities else text  # "&nbsp;" blank, "&#8203;" a U+200B, as read
        if not seen.strip():
            raise EmptyTextError(
                f"{where}: text {i} ({text[:40]!r}) is only whitespace once its HTML references are read; "
                "remove it or fill it in"
            )
        if is_invisible(seen):  # U+200B, U+FEFF...
            raise EmptyTextError(
                f"{where}: text {i} holds only invisible characters ({_code_points(seen)}); remove it or fill it in"
            )
        if bad := re.search("[\ud800-\udfff]", text):  # a byte not UTF-8 (surrogateescape), half a pair
            c = ord(bad.group())
            what = f"byte 0x{c - 0xDC00:02x}, not UTF-8" if c >= 0xDC80 else f"a lone surrogate U+{c:04X}"
            raise TextDataError(f"{where}: text {i} holds {what}; give UTF-8 text (iconv -f cp1252 -t utf-8)")
    return [t if type(t) is str else str(t) for t in out]


def _code_points(text: str) -> str:
    """The first three distinct characters of ``text`` (its ends stripped) as code points: ``U+200B, U+FEFF``."""
    return ", ".join(f"U+{ord(c):04X}" for c in list(dict.fromkeys(text.strip()))[:3])


def is_invisible(text: str) -> bool:
    """Whether ``text`` holds only whitespace and invisible characters (controls, format characters: U+200B,
    U+200F, U+FEFF...), which ``str.strip`` keeps; an empty text is."""
    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in text)


@check_args
def blank_rows(lines: Sequence[str], where: str, entities: bool = False) -> list[str]:
    """A file's lines read with blank lines kept as empty rows (``sentiment predict --file``, ``translate run
    --file``): a blank line, or one of only invisible characters (U+200B, U+200F: :func:`is_invisible`), is
    ``""``; the latter named in a warning, with their characters, as they look like text in an editor.
    ``entities``: each line as read, its HTML references unescaped (a sentiment model's): ``&nbsp;`` is blank,
    ``&#8203;`` invisible and named in the same warning."""
    read = [unescape_entities(t) for t in lines] if entities else list(lines)
    hidden = [i for i, t in enumerate(read, 1) if t.strip() and is_invisible(t)]
    if hidden:
        shown = _code_points("".join(read[i - 1] for i in hidden))
        logger.warning("%s: %s %s only invisible characters (%s): read as blank lines, an empty row each",
                       where, f"{'line' if len(hidden) == 1 else 'lines'} {name_some(hidden)}",
                       "holds" if len(hidden) == 1 else "hold", shown)  # fmt: skip
    return ["" if is_invisible(r) else t for t, r in zip(lines, read, strict=True)]


def without_blank_end(lines: Sequence[str]) -> list[str]:
    """``lines`` without the blank lines at their end (an editor's, or a CRLF file's)."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return list(lines[:end])


@check_args
def warn_unread(unread: Sequence[int], total: int) -> None:
    """The one warning for the texts (``unread``: their indices, from 0, among ``total``) of which the model
    knows no word, only ``[UNK]`` (:meth:`TextTokenizer.unread`); none when ``unread`` is empty. A caller
    reading texts in blocks, or by sentence, gives the indices and the count of the texts it was given."""
    if unread:
        one = len(unread) == 1  # "1 of 1 text (text 1) holds ...", "2 of 9 texts (texts 1, 4) hold ..."
        which = f"{'text' if one else 'texts'} {name_some(n + 1 for n in unread)}"
        verb, labels = ("holds", "its label means") if one else ("hold", "their labels mean")
        logger.warning("%d of %s (%s) %s no word the model knows, only [UNK] (another language?): %s nothing",
                       len(unread), counted(total, "text"), which, verb, labels)  # fmt: skip
