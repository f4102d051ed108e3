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
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from carrousel.core.args import check_args
from carrousel.core.encodings import (
    LEGACY_TEXT,
    UTF16_BOMS,
    decode_by_line,
    decode_text,
    first_encoding,
    undecodable,
)
from carrousel.core.errors import DataError
from carrousel.core.option_names import named_path
from carrousel.core.paths import is_gzip
from carrousel.nlp.errors import TextDataError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["BY_LINE", "SNIFF_BYTES", "check_json_encoding", "data_encoding"]

SNIFF_BYTES = 1 << 24  # a data file's encoding is judged on its first 16 MB
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))  # the bytes after the first of a UTF-8 character
_DAMAGED = (EOFError, gzip.BadGzipFile, zlib.error)
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


@check_args
def data_encoding(path: Path, flag: str = "--data", legacy: bool = True) -> str:
    """The encoding of a local data file (gzip: of its text), judged on its first :data:`SNIFF_BYTES` as
    read_lines judges a file: UTF-8, else (``legacy``) :data:`BY_LINE` (each line UTF-8, else Windows-1252)
    with read_lines' warning; else refused.

    Raises:
        TextDataError: a damaged gzip file, bytes that none of the encodings tried reads, or only whitespace.
    """
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:  # the head only: a large file is not held in memory for 16 MB of it
            head = fh.read(SNIFF_BYTES)
            if len(head) == SNIFF_BYTES:  # cut inside the file: a UTF-8 character cut in two is finished
                more = fh.read(3)
                head += more[: len(more) - len(more.lstrip(_UTF8_CONTINUATION))]
    except _DAMAGED as exc:
        raise TextDataError(
            f"{named_path(path, flag)} is a damaged gzip file ({exc}); download or compress it again"
        ) from None
    encodings = LEGACY_TEXT if legacy else LEGACY_TEXT[:1]
    utf16 = head.startswith(UTF16_BOMS)  # Excel's "Unicode text", PowerShell's >
    enc = "utf-16" if utf16 else first_encoding(head, encodings[:1], str(path))
    if enc is None and legacy:  # each line UTF-8, else Windows-1252: a UTF-8 line may hold bytes it lacks
        try:
            decode_text(head, encodings, str(path))  # read_lines' warning: how many lines are not UTF-8
        except DataError:
            pass  # a line neither reads: refused below
        else:
            return BY_LINE
    if enc is None:  # before: the loader's error, no byte
        raise TextDataError(undecodable(head, encodings, named_path(path, flag)))
    if not head.decode(enc, "replace").strip():  # before: "line 2 has 1 fields, the header 0" for a CSV
        raise TextDataError(
            f"{named_path(path, flag)} holds only whitespace; give a text data file with data"
        )
    return "utf-8" if enc == "utf-8-sig" else enc


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
