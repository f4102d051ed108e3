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
    carrousel.core.errors.DataError: data.csv is not UTF-8 text: byte 0xe9 on line 1, column 4 (Latin-1 or Windows-1252?); convert it to UTF-8 (iconv -f cp1252 -t utf-8)
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from collections.abc import Iterable, Iterator, Sequence

from carrousel.core.args import check_args
from carrousel.core.errors import DataError

__all__ = [
    "ICONV_CP1252",
    "LEGACY_TEXT",
    "UTF16_BOMS",
    "decode_by_line",
    "decode_text",
    "file_lines",
    "first_encoding",
    "strict_text",
    "undecodable",
    "undecodable_file",
    "warn_by_line",
]

LEGACY_TEXT = ("utf-8-sig", "cp1252")  # a file that is not UTF-8 is read as Windows-1252, with a warning
# the byte-order marks a UTF-16 text starts with (Windows' "Unicode text", PowerShell's >): read as UTF-16
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# the five bytes Windows-1252 leaves undefined (Latin-1's C1 controls there): no guess of that encoding
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
ICONV_CP1252 = "iconv -f cp1252 -t utf-8"  # the command that converts a Windows-1252 (or Latin-1) text
_UTF8 = ("utf-8", "utf-8-sig")
_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf8": "UTF-8",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}

logger = logging.getLogger(__name__)


def _bad_place(raw: bytes, exc: UnicodeDecodeError) -> tuple[int, int]:
    """The offset in ``raw`` of the byte ``exc`` names and its line (from 1)."""
    start = exc.start + len(raw) - len(exc.object)  # utf-8-sig reports offsets after the byte-order mark
    return start, raw.count(b"\n", 0, start) + 1


def _bad_byte(raw: bytes, exc: UnicodeDecodeError, guess: bool) -> tuple[int, str]:
    """Where the first undecodable byte is (its offset), in words a user can find in an editor: ``byte 0xe9
    on line 4, column 4 (Latin-1 or Windows-1252?)``; with ``guess``, the guess for a byte those encodings
    use for letters, or ``(Windows-1252?)`` for one of Windows-1252's quotes, dashes or euro (0x80-0x9f)."""
    start, line = _bad_place(raw, exc)
    column = len(raw[raw.rfind(b"\n", 0, start) + 1 : start].decode("utf-8-sig", "replace")) + 1  # characters
    return start, _byte_words(raw[start], line, column, guess)


def _byte_words(byte: int, line: int, column: int, guess: bool) -> str:
    """``byte 0xe9 on line 4, column 4``, with ``guess`` followed by the legacy encoding its value suggests."""
    said = f"byte 0x{byte:02x} on line {line}, column {column}"
    if guess and byte >= 0x80 and byte not in _CP1252_UNDEFINED:
        said += " (Latin-1 or Windows-1252?)" if byte >= 0xA0 else " (Windows-1252?)"
    return said


def first_encoding(raw: bytes, encodings: Iterable[str], where: str) -> str | None:
    """The first of ``encodings`` that decodes ``raw`` (None: none does); when it is not the first, a
    warning says ``where`` is read in it (``"data.csv is not UTF-8; reading it as Windows-1252"``)."""
    tried = list(encodings)
    first: UnicodeDecodeError | None = None  # the first encoding's failure, for the warning's line
    for enc in tried:
        try:
            raw.decode(enc)
        except UnicodeDecodeError as exc:
            first = first or exc
            continue
        if first is not None:  # not the first encoding
            logger.warning(
                "%s is not %s; reading it as %s (line %d is not %s)",
                where,
                _NAMES.get(tried[0], tried[0]),
                _NAMES.get(enc, enc),
                _bad_place(raw, first)[1],
                _NAMES.get(tried[0], tried[0]),
            )
        return enc
    return None


_BYTE_LINE_ENDS = re.compile(rb"(\r\n|\r|\n)")


def decode_by_line(raw: bytes, legacy: str = "cp1252") -> tuple[str, list[int]]:
    """``raw`` decoded line by line, each line UTF-8 where it is, else ``legacy`` (a byte-order mark is
    not dropped), with the lines (from 1) read as ``legacy``; nothing logged.

    Raises:
        UnicodeDecodeError: a line neither decodes.
    """
    pieces = _BYTE_LINE_ENDS.split(raw)  # lines at even places, their ASCII line ends between
    bad: list[int] = []
    text: list[str] = []
    for i, piece in enumerate(pieces):
        try:
            text.append(piece.decode("utf-8"))
        except UnicodeDecodeError:
            text.append(piece.decode(legacy))
            bad.append(i // 2 + 1)
    return "".join(text), bad


def _decode_by_line(raw: bytes, legacy: str, where: str) -> str | None:
    """``raw`` decoded line by line (:func:`decode_by_line`), UTF-8 first and ``legacy`` (Windows-1252) for
    each line that is not UTF-8, so a file mixing the two keeps its UTF-8 lines (decoded whole as
    Windows-1252, "café" read "cafÃ©"); one warning names how many lines were read so and the first. None:
    a line neither decodes."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text, bad = decode_by_line(raw, legacy)
    except UnicodeDecodeError:
        return None
    warn_by_line(where, bad, legacy)
    return text


def warn_by_line(where: str, bad: Sequence[int], legacy: str = "cp1252") -> None:
    """The one warning for a text read line by line (:func:`decode_by_line`) whose lines ``bad`` (from 1, at
    least one) were read as ``legacy``: how many and the first (a reader judging a file in pieces counts
    them itself)."""
    which = f"line {bad[0]} is not UTF-8"
    if len(bad) > 1:
        which = f"{len(bad)} lines are not UTF-8, the first line {bad[0]}"
    logger.warning(
        "%s is not UTF-8; reading it as %s where it is not (%s)", where, _NAMES.get(legacy, legacy), which
    )


def decode_text(raw: bytes, encodings: Iterable[str], where: str) -> str:
    """``raw`` decoded with the first of ``encodings`` that fits (:func:`first_encoding`); with UTF-8 then
    Windows-1252 first (:data:`LEGACY_TEXT`), a text that is not UTF-8 is decoded line by line, each line
    UTF-8 where it is (a file mixing the two keeps its UTF-8 lines), with one warning naming how many lines
    and the first.

    Raises:
        DataError: none fits, naming ``where``, the encodings in words and each one's first bad byte by line
            and column (one place when they share it: ``byte 0x81 ... is not Windows-1252`` where UTF-8's
            is an earlier curly quote), and ``iconv -f cp1252 -t utf-8`` when Windows-1252 was not tried
            but reads all of it.
    """
    tried = list(encodings)
    if len(tried) > 1 and codecs.lookup(tried[0]).name in _UTF8 and codecs.lookup(tried[1]).name == "cp1252":
        try:  # LEGACY_TEXT: UTF-8, else Windows-1252 line by line (a file may mix them)
            return raw.decode(tried[0])
        except UnicodeDecodeError:
            text = _decode_by_line(raw, tried[1], where)
        if text is not None:
            return text
    enc = first_encoding(raw, tried, where)
    if enc is not None:
        return raw.decode(enc)
    raise DataError(undecodable(raw, tried, where))


def undecodable(raw: bytes, encodings: Iterable[str], where: str) -> str:
    """The refusal of ``raw`` that none of ``encodings`` decodes (:func:`decode_text`'s message), for a
    reader that decodes a file itself (a sniffed head, then a loader's own decoding)."""
    tried = list(encodings)
    legacy = _legacy(tried)
    bad: dict[int, tuple[str, str]] = {}  # each encoding's first bad byte, once a place: (words, encoding)
    for name in tried:
        try:
            raw.decode(name)
        except UnicodeDecodeError as exc:
            start, said = _bad_byte(raw, exc, guess=not legacy)
            bad.setdefault(start, (said, _NAMES.get(name.lower(), name)))
    return _refusal(where, tried, bad, not legacy and _is_cp1252(raw))


@check_args
def undecodable_file(
    fh: io.BufferedIOBase, encodings: Iterable[str], where: str, piece: int = 1 << 20
) -> str:
    """:func:`undecodable` of the bytes of the open binary file ``fh`` (seekable: read from its start, once
    per encoding and again up to a bad byte), judged in pieces of ``piece`` bytes through incremental
    decoders: the same refusal, with no more than a piece of the file held (a large file is not read
    whole to name its first bad byte)."""
    tried = list(encodings)
    legacy = _legacy(tried)
    bad: dict[int, tuple[str, str]] = {}
    for name in tried:
        if (start := _first_bad(fh, name, piece)) is not None:
            said = _bad_place_in_file(fh, start, piece, guess=not legacy)
            bad.setdefault(start, (said, _NAMES.get(name.lower(), name)))
    return _refusal(where, tried, bad, not legacy and _first_bad(fh, "cp1252", piece) is None)


def _legacy(tried: Sequence[str]) -> bool:  # a legacy encoding is tried: no guess at one
    return any(codecs.lookup(e).name in ("cp1252", "iso8859-1") for e in tried)


def _refusal(where: str, tried: Sequence[str], bad: dict[int, tuple[str, str]], cp1252: bool) -> str:
    said = ", ".join(f"{at} is not {name}" if len(bad) > 1 else at for at, name in bad.values())
    names = " or ".join(dict.fromkeys(_NAMES.get(e.lower(), e) for e in tried))
    fix = "convert it to UTF-8"
    if cp1252:  # all of it reads as Windows-1252 (and it was not tried): the command that converts it
        fix += f" ({ICONV_CP1252})"
    return f"{where} is not {names} text: {said}; {fix}"


def _pieces(fh: io.BufferedIOBase, piece: int, start: int = 0) -> Iterator[bytes]:
    fh.seek(start)
    while chunk := fh.read(piece):
        yield chunk


def _first_bad(fh: io.BufferedIOBase, name: str, piece: int) -> int | None:
    """The offset of the first byte of ``fh`` that ``name`` does not decode (None: it decodes all of it)."""
    decoder, end = codecs.getincrementaldecoder(name)(), 0
    try:
        for chunk in _pieces(fh, piece):
            end += len(chunk)
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # its object: the bytes held and this piece (a BOM left out)
        return end - len(exc.object) + exc.start
    return None


def _bad_place_in_file(fh: io.BufferedIOBase, start: int, piece: int, guess: bool) -> str:
    """:func:`_bad_byte`'s words for the byte at ``start`` of ``fh``, its line and column counted in pieces."""
    line, line_start, at = 1, 0, 0
    for chunk in _pieces(fh, piece):
        chunk = chunk[: start - at]
        line += chunk.count(b"\n")
        if (nl := chunk.rfind(b"\n")) >= 0:
            line_start = at + nl + 1
        at += len(chunk)
        if at >= start:
            break
    counter, column, at = codecs.getincrementaldecoder("utf-8-sig")("replace"), 1, line_start  # characters
    for chunk in _pieces(fh, piece, line_start):  # its line's bytes before it, as _bad_byte decodes them
        chunk = chunk[: start - at]
        at += len(chunk)
        column += len(counter.decode(chunk, final=at >= start))
        if at >= start:
            break
    fh.seek(start)
    return _byte_words(fh.read(1)[0], line, column, guess)


def _is_cp1252(raw: bytes) -> bool:
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


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


_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_A_BYTE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # a surrogate that is no surrogateescape of a byte


def strict_text(text: str) -> str:
    """``text`` with no lone surrogate, which strict JSON readers (jq, serde) and matplotlib refuse: the bytes
    of a name not valid in the locale (Python's surrogate escapes, ``\\udcc3\\udca9`` for UTF-8 'é' under
    ``LC_ALL=C``) read back as UTF-8, U+FFFD for those that are not UTF-8 and for any other surrogate.

    Example:
        >>> strict_text("caf\\udcc3\\udca9 \\udce9 \\ud800")
        'café \ufffd \ufffd'
    """
    if text.isascii() or not _SURROGATE.search(text):
        return text
    raw = _NOT_A_BYTE.sub("\ufffd", text).encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")
