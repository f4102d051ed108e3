"""The encoding of a local labelled-text file, judged before ``datasets`` reads it.

CSV, TSV and fastText files that are not UTF-8 are read as plain text files are (core's
:func:`~carrousel.core.encodings.decode_text`): line by line, each line UTF-8 where it is, else Windows-1252,
with one warning (a table mixing the two keeps its UTF-8 rows; before: decoded whole as Windows-1252, "café"
read "cafÃ©"). ``datasets`` decodes the file itself, so that policy is the codec :data:`BY_LINE` it is given.
UTF-16 with a byte-order mark is read as UTF-16. ``datasets`` reads JSON lines as UTF-8 only, so a JSON lines file that is
Windows-1252 or UTF-16 text is refused in one line naming the conversion (before: a raw
``UnicodeDecodeError``, or "cannot be read as JSON (ArrowInvalid: line 1: Expecting value)"). A damaged
gzip file is one line naming it (before: "internal error (EOFError ...)"), and so is a file of only
whitespace (before, a CSV's: "line 2 has 1 fields, the header 0; quote a text holding a comma").
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from carrousel.core.args import check_args
from carrousel.core.encodings import (
    LEGACY_TEXT,
    UTF16_BOMS,
    decode_by_line,
    undecodable_file,
    warn_by_line,
)
from carrousel.core.option_names import named_path
from carrousel.core.paths import is_gzip
from carrousel.nlp.errors import TextDataError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["BY_LINE", "SNIFF_BYTES", "check_json_encoding", "data_encoding"]

SNIFF_BYTES = 1 << 24  # a data file's first 16 MB: UTF-16 and whitespace are judged on them
_DAMAGED = (EOFError, gzip.BadGzipFile, zlib.error)
_LINE_PIECE = 1 << 20  # a data file past its head is read in pieces of 1 MB
BY_LINE = (
    "utf_8_else_cp1252_by_line"  # the codec of a file that is not UTF-8: each line UTF-8, else Windows-1252
)


class _ByLineDecoder(codecs.BufferedIncrementalDecoder):
    """Decodes whole lines, each UTF-8 where it is, else Windows-1252 (a UTF-8 byte-order mark dropped); a
    line cut by a read is held until its end comes."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self.started = False

    def reset(self) -> None:
        super().reset()
        self.started = False

    def _buffer_decode(self, input: ReadableBuffer, errors: str, final: bool) -> tuple[str, int]:
        data, skip = bytes(input), 0
        if not self.started:
            if len(data) < len(codecs.BOM_UTF8) and not final and codecs.BOM_UTF8.startswith(data):
                return "", 0
            self.started, skip = True, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        done = len(data) if final else max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        # strict: a byte Windows-1252 leaves undefined was refused before
        return decode_by_line(data[skip:done])[0], max(done, skip)


def _decode(data: ReadableBuffer, errors: str = "strict") -> tuple[str, int]:
    raw = bytes(data)
    return _ByLineDecoder(errors).decode(raw, final=True), len(raw)


def _search(name: str) -> codecs.CodecInfo | None:
    if name != BY_LINE:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(
        utf8.encode,
        _decode,
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=_ByLineDecoder,
        streamreader=utf8.streamreader,
        streamwriter=utf8.streamwriter,
        name=BY_LINE,
    )


codecs.register(_search)


def _bad_lines(fh: io.BufferedIOBase, head: bytes, legacy: bool) -> list[int] | None:
    """The lines (from 1) of the file ``fh`` (read past ``head``, its first bytes) that are not UTF-8: ``[]``
    for none. None: a line that is neither (or, without ``legacy``, any such line). The rest is read in
    :data:`_LINE_PIECE` pieces through one UTF-8 decoder (an ASCII piece not even decoded); only a file that is
    not UTF-8 is read again from its start, line by line (:func:`decode_by_line`), to count its lines, in
    :data:`_LINE_PIECE` pieces (each piece's lines are held whole, and so decoded: 8 times as many bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    piece = head.removeprefix(codecs.BOM_UTF8)
    try:
        while piece:
            if not piece.isascii() or decoder.getstate()[0]:
                decoder.decode(piece)
            piece = fh.read(_LINE_PIECE)
        decoder.decode(b"", final=True)
        return []
    except UnicodeDecodeError:
        if not legacy:
            return None
    fh.seek(0)
    bad: list[int] = []
    seen, rest = 0, fh.read(len(codecs.BOM_UTF8)).removeprefix(codecs.BOM_UTF8)
    while True:
        piece = fh.read(_LINE_PIECE)
        data = rest + piece
        cut = len(data) if not piece else data.rfind(b"\n") + 1  # whole lines (a CRLF one not cut in two)
        lines, rest = data[:cut], data[cut:]
        try:
            lines.decode("utf-8")
        except UnicodeDecodeError:
            try:
                bad += [seen + n for n in decode_by_line(lines)[1]]
            except UnicodeDecodeError:
                return None
        seen += lines.count(b"\n") + lines.count(b"\r") - lines.count(b"\r\n")
        if not piece:
            return bad


@check_args
def data_encoding(path: Path, flag: str = "--data", legacy: bool = True) -> str:
    """The encoding of a local data file (gzip: of its text) as read_lines judges a file: UTF-8, else
    (``legacy``) :data:`BY_LINE` (each line UTF-8, else Windows-1252) with read_lines' warning; else refused.
    All of it is judged (before: its first :data:`SNIFF_BYTES`, and a byte past them failed in the loader,
    or as a raw ``UnicodeDecodeError`` once a JSON lines file was read), the rest in 1 MB pieces, a clean
    UTF-8 file not line by line; UTF-16 (a byte-order mark) and whitespace alone are judged on the head.

    Raises:
        TextDataError: a damaged gzip file, bytes that none of the encodings tried reads, or only whitespace.
    """
    opener = gzip.open if is_gzip(path) else open
    encodings = LEGACY_TEXT if legacy else LEGACY_TEXT[:1]
    try:
        with opener(path, "rb") as fh:  # a large file is not held in memory: read in pieces
            head = fh.read(SNIFF_BYTES)
            utf16 = head.startswith(UTF16_BOMS)  # Excel's "Unicode text", PowerShell's >
            bad = [] if utf16 else _bad_lines(fh, head, legacy)
            if bad is None:  # before: the loader's error, no byte; judged in pieces (before: read whole)
                raise TextDataError(undecodable_file(fh, encodings, named_path(path, flag), _LINE_PIECE))
    except _DAMAGED as exc:
        raise TextDataError(
            f"{named_path(path, flag)} is a damaged gzip file ({exc}); download or compress it again"
        ) from None
    enc = "utf-16" if utf16 else "cp1252" if bad else "utf-8-sig"
    text = head.decode(enc, "replace")  # isspace, not strip: no copy of 16 MB
    if not text or text.isspace():  # before: "line 2 has 1 fields, the header 0" for a CSV
        raise TextDataError(
            f"{named_path(path, flag)} holds only whitespace; give a text data file with data"
        )
    if bad:
        warn_by_line(str(path), bad)  # read_lines' warning: how many lines are not UTF-8, and the first
        return BY_LINE
    return "utf-16" if utf16 else "utf-8"


def check_json_encoding(path: Path, flag: str = "--data") -> None:
    """Refuses a JSON lines file that ``datasets`` would not read as UTF-8 text (a UTF-8 byte-order mark is
    fine): Windows-1252 bytes name their first bad byte and ``iconv``, UTF-16 its conversion.

    Raises:
        TextDataError: a damaged gzip file, UTF-16 text or bytes that are not UTF-8.
    """
    if data_encoding(path, flag, legacy=False) == "utf-16":
        raise TextDataError(
            f"{named_path(path, flag)} is UTF-16 text; JSON lines are read as UTF-8: convert it "
            "(iconv -f utf-16 -t utf-8)"
        )
