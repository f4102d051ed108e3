"""The byte layer of the FASTA readers (:mod:`carrousel.bio.fasta`): a checked file opened for reading
(decompressed when gzip, read errors of a damaged archive or of the disk as one
:class:`~carrousel.bio.errors.FastaFormatError`), and its bytes split into header lines and sequence bytes
(comment lines before the first header skipped, :mod:`carrousel.bio.fasta_comments`). Decoding the
sequence bytes into codes is :mod:`carrousel.bio.fasta`'s. A UCSC ``.2bit`` genome (recognised by its
signature) is split the same way, its letters decoded by :mod:`carrousel.bio.twobit`."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from carrousel.bio import fasta_comments as _fc
from carrousel.bio.dna import encode
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.twobit import TwoBit, is_twobit
from carrousel.core.encodings import UTF16_BOMS
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file
from carrousel.core.files_text import read_failure
from carrousel.core.paths import is_gzip, user_path

__all__ = [
    "READ_BLOCK",
    "UTF8_BOM",
    "check_fasta_file",
    "comment_inside_file",
    "compression",
    "iter_segments",
    "letters_fix",
    "open_fasta",
    "refuse_binary",
]

READ_BLOCK = 1 << 20  # bytes read from the file at a time
_GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_DAMAGED = (EOFError, gzip.BadGzipFile, zlib.error)


def _damaged(path: str | Path, exc: BaseException | str) -> FastaFormatError:
    return FastaFormatError(f"{path} is a damaged gzip file ({exc}); download or compress it again")


def compression(path: Path) -> str:
    """``"bgzf"``, ``"gzip"`` or ``"none"``, from the file's first bytes (a BGZF header carries a ``BC``
    extra field)."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != _GZIP_MAGIC:
        return "none"
    has_extra = len(head) >= 14 and head[3] & 0x04
    return "bgzf" if has_extra and head[12:14] == b"BC" else "gzip"


def letters_fix(path: Path, coordinates: str, text: str | bytes = b"") -> str:
    """How to write the letters of ``path`` that are no base as N: same length, so every position holds
    (the fix for a genome, or a FASTA scanned for hits; removing a gap would shift every later position).

    Args:
        path: the FASTA file (plain, gzip or BGZF: the command fits it).
        coordinates: what the positions locate, e.g. ``"the peaks' coordinates"``.
        text: the sequence text read that holds the letter: with digits, line numbers of GenBank/EMBL
            text, which are no positions, the fix removes them with the blanks between blocks of bases (as
            N they would shift every later base; a genome read by position counts a blank as a base too).
            Blanks without digits (a range read by position inside such a line) are the same text.
    """
    seq = text.decode("latin-1") if isinstance(text, bytes) else text
    digits = any(d in seq for d in "0123456789")
    layout = digits or (any(b in seq for b in " \t") and _letters_once_removed(seq))
    edit_of = "'/^>/!s/[0-9[:blank:]]//g'" if layout else "'/^>/!s/[^ACGTNacgtn]/N/g'"  # IUPAC codes -> N
    edit = (
        f"sed -i {edit_of} {path}"
        if compression(path) == "none"
        else f"zcat {path} | sed {edit_of} | bgzip > fixed.fa.gz"
    )
    if layout:
        return (
            "the digits and blanks are GenBank/EMBL text (line numbers, spaces between blocks of bases), "
            f"no bases: remove them: {edit}"
        )
    return f"write each as N, which keeps every position ({coordinates}): {edit}"


def _letters_once_removed(seq: str) -> bool:
    """Whether ``seq`` is bases once its digits and whitespace are removed (GenBank/EMBL text)."""
    try:
        encode(seq.translate(_LAYOUT))
    except FastaFormatError:
        return False
    return True


_LAYOUT = str.maketrans("", "", "0123456789 \t\r\n")


def check_fasta_file(path: str | Path) -> Path:
    """``path`` as a Path (``~`` expanded), once it is a readable, non-empty regular file.

    Raises:
        FastaFormatError: naming the problem (missing, a folder, a FIFO or device, unreadable, empty).
    """
    path = user_path(path)  # every FASTA reader checks its file here first: "~/g.fa" is in the home folder
    try:
        return check_input_file(path, what="FASTA")
    except DataError as exc:
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            raise FastaFormatError(f"{path} is empty: no FASTA records found; give a FASTA file") from None
        raise FastaFormatError(str(exc)) from None


@contextmanager
def open_fasta(path: str | Path) -> Iterator[BinaryIO]:
    """The checked file opened for reading bytes (decompressed when gzip); read errors of a damaged
    archive or of the disk become one FastaFormatError naming the file. A file whose first line ends in CR
    alone (an old Mac's) is read with each CR as LF, as the LF file."""
    p = check_fasta_file(path)
    try:
        with open(p, "rb") as fh:
            magic = fh.read(2)
        if is_gzip(p) and magic != _GZIP_MAGIC:
            if magic[:1] in (b">", b"#", b";"):  # FASTA text under a .gz name: say so, not "damaged"
                plain = p.with_name(p.name[: -len(p.suffix)])
                raise FastaFormatError(f"{p} is plain FASTA text, not gzip: rename it (mv {p} {plain})")
            raise _damaged(p, "no gzip header")
        with gzip.open(p, "rb") if magic == _GZIP_MAGIC else open(p, "rb") as fh:
            cr_only = _lone_cr(fh.read(_LINE_END_PEEK))
            fh.seek(0)
            yield io.BufferedReader(_CrAsLf(fh)) if cr_only else fh  # type: ignore[misc]
    except _DAMAGED as exc:
        raise _damaged(p, exc) from None
    except OSError as exc:
        raise read_failure(exc, str(p), "check the file", FastaFormatError) from None


_LINE_END_PEEK = 1 << 16  # bytes read for the file's first line end


def _lone_cr(head: bytes) -> bool:
    """Whether the first line end in ``head`` is a CR alone (an old Mac's line ends), not CRLF or LF."""
    cr = head.find(b"\r")
    return 0 <= cr < len(head) - 1 and head[cr + 1] != 0x0A and b"\n" not in head[:cr]


class _CrAsLf(io.RawIOBase):
    """A file whose lines end in CR alone, read with LF line ends (each CR read as LF), so every reader of
    the bytes splits its lines as those of the LF file."""

    def __init__(self, fh: io.BufferedIOBase) -> None:
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._fh.read(len(b)).replace(b"\r", b"\n")
        b[: len(data)] = data
        return len(data)


def refuse_binary(path: str | Path, head: bytes) -> None:
    """Refuses the first bytes of a FASTA file (after any UTF-8 byte-order mark) that hold NUL bytes: text
    with a UTF-16 byte-order mark (Windows' "Unicode", PowerShell's ``>``) is named so, with its conversion
    (before: "holds NUL bytes: it is a binary file"); anything else is a binary file.

    Raises:
        FastaFormatError: UTF-16 text or NUL bytes.
    """
    if head.startswith(UTF16_BOMS):
        raise FastaFormatError(
            f"{path} is UTF-16 text; FASTA is read as UTF-8: convert it (iconv -f utf-16 -t utf-8)"
        )
    if b"\x00" in head:
        raise FastaFormatError(f"{path} holds NUL bytes: it is a binary file, not FASTA text")


def iter_segments(path: str | Path) -> Iterator[tuple[str | None, bytes]]:
    """Yields ``(header, b"")`` at each record start and ``(None, sequence_bytes)`` for sequence data (of a
    UCSC ``.2bit`` file too: :mod:`carrousel.bio.twobit`)."""
    if is_twobit(check_fasta_file(path)):
        with TwoBit.open(path) as genome:
            yield from genome.segments(READ_BLOCK << 2)
        return
    with open_fasta(path) as fh:
        buf = b""
        in_record = False
        eof = False
        first = True
        comments = 0  # '#' or ';' comment lines before the first header
        while True:
            if not eof:
                data = fh.read(READ_BLOCK)
                eof = not data
                if first:
                    first = False
                    data = data.removeprefix(UTF8_BOM)
                    refuse_binary(path, data)
                buf += data
            while buf:
                if buf[:1] == b">":
                    nl = buf.find(b"\n")
                    if nl < 0:
                        if not eof:
                            break
                        nl = len(buf)
                    header = buf[1:nl].decode("utf-8", "replace").strip()
                    buf = buf[nl + 1 :]
                    if not in_record:
                        _fc.warn_comments(path, comments)
                    in_record = True
                    yield header, b""
                    continue
                if not in_record:  # before the first header: blank lines and '#'/';' comments only
                    nl = buf.find(b"\n")
                    line = buf if nl < 0 else buf[:nl]
                    head = line.lstrip()
                    if head and head[:1] not in (b"#", b";"):
                        text = buf[: _fc.BEFORE_HEADER_CHARS].decode("utf-8", "replace")
                        raise FastaFormatError(_fc.before_header(path, text))
                    if nl < 0 and not eof:
                        break
                    comments += bool(head)
                    buf = b"" if nl < 0 else buf[nl + 1 :]
                    continue
                k = buf.find(b">")  # one byte: memchr speed; a '>' inside a line is invalid anyway
                if k >= 0:
                    if buf[k - 1 : k] not in (b"\n", b"\r"):
                        k += 1  # mid-line: hand the '>' on with the sequence, which reports it as invalid
                    part, buf = buf[:k], buf[k:]
                elif eof:
                    part, buf = buf, b""
                else:
                    part, buf = buf[:-1], buf[-1:]
                    if not part:
                        break
                yield None, part
            if eof:
                return


def comment_inside_file(path: str | Path) -> FastaFormatError | None:
    """The comment line inside a record of ``path``, read again line by line (on the error path only)."""
    with open_fasta(path) as fh:
        return _fc.comment_inside(path, (raw.decode("utf-8", "replace") for raw in fh))
