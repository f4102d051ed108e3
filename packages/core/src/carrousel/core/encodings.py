"""The text encodings of the files a command reads: which one fits, and a refusal that names the bad byte.

UTF-8 (with or without a byte-order mark) is what every reader expects; :data:`LEGACY_TEXT` adds
Windows-1252 (a superset of Latin-1's printable characters) for inputs a person wrote, such as texts to
classify or labelled data, read with a warning. A file that no allowed encoding decodes is refused in one
line naming the first undecodable byte by line and column, as an editor shows them.

Example:
    >>> first_encoding("café".encode(), LEGACY_TEXT, "data.csv")
    'utf-8-sig'
    >>> decode_text(b"caf\\xe9", ("utf-8-sig",), "data.csv")
    Traceback (most recent call last):
    ...
    carrousel.core.errors.DataError: data.csv is not UTF-8 text: byte 0xe9 on line 1, column 4 (Latin-1 or Windows-1252?); convert it to UTF-8
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable

from carrousel.core.errors import DataError

__all__ = ["LEGACY_TEXT", "UTF16_BOMS", "decode_text", "file_lines", "first_encoding"]

LEGACY_TEXT = ("utf-8-sig", "cp1252")  # a file that is not UTF-8 is read as Windows-1252, with a warning
# the byte-order marks a UTF-16 text starts with (Windows' "Unicode text", PowerShell's >): read as UTF-16
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf8": "UTF-8",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}

logger = logging.getLogger(__name__)


def _bad_byte(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Where the first undecodable byte is, in words a user can find in an editor: ``byte 0xe9 on line 4,
    column 4 (Latin-1 or Windows-1252?)``; the guess only for a byte those encodings use for letters."""
    start = exc.start + len(raw) - len(exc.object)  # utf-8-sig reports offsets after the byte-order mark
    line = raw.count(b"\n", 0, start) + 1
    column = len(raw[raw.rfind(b"\n", 0, start) + 1 : start].decode("utf-8-sig", "replace")) + 1  # characters
    guess = " (Latin-1 or Windows-1252?)" if raw[start] >= 0xA0 else ""
    return f"byte 0x{raw[start]:02x} on line {line}, column {column}{guess}"


def first_encoding(raw: bytes, encodings: Iterable[str], where: str) -> str | None:
    """The first of ``encodings`` that decodes ``raw`` (None: none does); when it is not the first, a
    warning says ``where`` is read in it (``"data.csv is not UTF-8; reading it as Windows-1252"``)."""
    tried = list(encodings)
    for enc in tried:
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc != tried[0]:
            logger.warning(
                "%s is not %s; reading it as %s", where, _NAMES.get(tried[0], tried[0]), _NAMES.get(enc, enc)
            )
        return enc
    return None


def decode_text(raw: bytes, encodings: Iterable[str], where: str) -> str:
    """``raw`` decoded with the first of ``encodings`` that fits (:func:`first_encoding`).

    Raises:
        DataError: none fits, naming ``where``, the encodings in words and the first bad byte's line and
            column for the first encoding.
    """
    tried = list(encodings)
    enc = first_encoding(raw, tried, where)
    if enc is not None:
        return raw.decode(enc)
    try:
        raw.decode(tried[0])
        where_bad = ""  # pragma: no cover - first_encoding found it undecodable
    except UnicodeDecodeError as exc:
        where_bad = f": {_bad_byte(raw, exc)}"
    names = " or ".join(dict.fromkeys(_NAMES.get(e.lower(), e) for e in tried))
    raise DataError(f"{where} is not {names} text{where_bad}; convert it to UTF-8")


_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def file_lines(text: str) -> list[str]:
    r"""The lines of a decoded file as an editor and ``wc -l`` count them: split at ``\n``, ``\r\n`` and
    ``\r`` only, with no empty last line after a final line end. ``str.splitlines`` also splits at form
    feed, vertical tab, ``\x1c``-``\x1e``, NEL (``\x85``) and U+2028/U+2029, which a text (a JSON
    string, a pasted paragraph) holds inside its line: one line would become two, and outputs or a parallel
    file would no longer line up.

    Example:
        >>> file_lines("a\u2028b\x0cc\r\nd\n")
        ['a\u2028b\x0cc', 'd']
    """
    lines = _LINE_ENDS.split(text)
    if lines and not lines[-1]:
        lines.pop()
    return lines
