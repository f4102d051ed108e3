"""UCSC's binary genomics files (``.2bit`` genomes, bigBed peaks), recognised by their first four bytes.

Both formats start with a 32-bit magic number written in the byte order of the machine that wrote the
file; read in the other order it is the magic byte-swapped, which says the file's order. A file is taken
for such a file by its magic whatever its name, and a file named as one (``.2bit``, ``.bb``) without the
magic is an error, not text to parse.

A gzip-compressed one (``hg38.2bit.gz``, ``peaks.bb.gz``: plain gzip or BGZF) is recognised by the magic
of its decompressed start. Both formats are read by offset, which a gzip stream cannot give, so
:meth:`BinaryFormat.unpacked` decompresses it, streamed in blocks, into a file of the system temp folder
(``TMPDIR``) and logs it at INFO. The copy is counted by its readers (each :meth:`~BinaryFormat.unpacked`
pairs with one :func:`release`: a reader releases it when it closes) and removed as soon as none is left,
so it never outlives the command that needed it; inside :func:`kept_unpacked` (the bio pipelines, which
open one file several times: names, base counts, the scan) it is decompressed once and kept until the
outermost one ends. A decompression that fails is removed at once; copies still open are removed when the
process exits. A damaged or truncated gzip, or a ``.2bit.gz`` / ``.bb.gz`` name whose
content lacks the magic, is one error line naming the file.
"""

from __future__ import annotations

import atexit
import gzip
import logging
import os
import shutil
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from carrousel.core.errors import CarrouselError
from carrousel.core.paths import format_suffix, is_gzip, uncompressed_name

__all__ = ["BinaryFormat", "kept_unpacked", "release", "remove_unpacked"]

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20  # bytes decompressed at a time
_DAMAGED = (EOFError, gzip.BadGzipFile, zlib.error)
_LOCK = threading.Lock()


@dataclass
class _Copy:
    """A decompressed copy: of which file (its stat when copied), made by which process (a forked child
    removes its own copies only), and how many readers hold it."""

    source: str  # the gzip file, resolved
    stamp: tuple[int, int, int, int]
    pid: int
    readers: int


_COPIES: dict[Path, _Copy] = {}  # every copy this process knows, by its path
_LATEST: dict[str, Path] = {}  # resolved gzip file -> its current copy (an older one: the file changed)
_KEPT = 0  # open kept_unpacked() blocks: copies no reader holds wait for the outermost to end


def _unused(copy: Path) -> bool:
    """Whether ``copy`` may go now (called under the lock): no reader, not kept, made by this process."""
    entry = _COPIES[copy]
    latest = _LATEST.get(entry.source) == copy
    return entry.readers <= 0 and entry.pid == os.getpid() and (not _KEPT or not latest)


def _drop(copies: list[Path]) -> None:
    """Forgets ``copies`` (under the lock); the caller unlinks them outside it."""
    for copy in copies:
        entry = _COPIES.pop(copy)
        if _LATEST.get(entry.source) == copy:
            del _LATEST[entry.source]


def _unlink(copies: list[Path]) -> None:
    for copy in copies:
        with suppress(OSError):
            copy.unlink()


def release(path: str | Path) -> None:
    """Hands back a reader's hold on what :meth:`BinaryFormat.unpacked` returned (a file that was not
    decompressed: nothing to do); the copy is removed once no reader holds it, outside
    :func:`kept_unpacked`."""
    copy = Path(path)
    with _LOCK:
        entry = _COPIES.get(copy)
        if entry is None:
            return
        entry.readers -= 1
        gone = [copy] if _unused(copy) else []
        _drop(gone)
    _unlink(gone)


@contextmanager
def kept_unpacked() -> Iterator[None]:
    """Keeps the decompressed copies made or used inside the block until the outermost such block ends
    (a pipeline that opens one ``.2bit.gz`` several times decompresses it once); then every copy no
    reader holds is removed. Usable as a decorator."""
    global _KEPT
    with _LOCK:
        _KEPT += 1
    try:
        yield
    finally:
        with _LOCK:
            _KEPT -= 1
            gone = [copy for copy in _COPIES if _unused(copy)]
            _drop(gone)
        _unlink(gone)


def remove_unpacked() -> None:
    """Removes the decompressed copies this process made, held or not (run at exit)."""
    with _LOCK:
        mine = [copy for copy, entry in _COPIES.items() if entry.pid == os.getpid()]
        _COPIES.clear()
        _LATEST.clear()
    _unlink(mine)


atexit.register(remove_unpacked)


@dataclass(frozen=True)
class BinaryFormat:
    """A binary format known by its magic number (:data:`carrousel.bio.twobit.FORMAT`, bigbed's)."""

    kind: str  # the file in words: "2bit file"
    magic: int  # the first four bytes, in the writer's byte order
    sign: str  # the magic in words, for errors: "the 2bit signature 0x1A412743"
    suffixes: tuple[str, ...]  # lower-case names of the format: (".2bit",)
    error: type[CarrouselError]  # raised for a file of this name without the magic
    fix: str  # what to do, ending that error

    def byte_order(self, head: bytes) -> str | None:
        """``"<"`` or ``">"`` (the struct byte order) when ``head`` starts with the magic, else None."""
        if len(head) >= 4:
            for order in ("<", ">"):
                if struct.unpack(f"{order}I", head[:4])[0] == self.magic:
                    return order
        return None

    def recognises(self, path: str | Path) -> bool:
        """Whether ``path`` is a regular file starting with the magic (either byte order).

        Raises:
            CarrouselError: (``error``) the file has one of ``suffixes`` but lacks the magic (damaged or
                misnamed).
        """
        p = Path(path)
        try:
            if not p.is_file():
                return False
            with open(p, "rb") as fh:
                head = fh.read(4)
        except OSError:
            return False  # the caller's file checks name the problem
        if self.byte_order(head) is not None:
            return True
        if head[:2] == _GZIP_MAGIC:
            return self._gzipped(p)
        if p.name.lower().endswith(self.suffixes):
            found = f"0x{head.hex().upper()}" if len(head) == 4 else f"only {len(head)} byte(s)"
            raise self.error(
                f"{p} is not a {self.kind}: it starts with {found}, not {self.sign}; it is damaged or "
                f"misnamed: {self.fix}"
            )
        return False

    def _gzipped(self, p: Path) -> bool:
        """Whether the gzip file ``p`` decompresses to the magic; a ``.2bit.gz``-style name that does not
        (or a damaged stream under that name) is ``error``; a damaged one of another name is left to the
        text readers, which name it."""
        named = is_gzip(p) and format_suffix(p) in self.suffixes
        try:
            with gzip.open(p, "rb") as fh:
                head = fh.read(4)
        except _DAMAGED as exc:
            if named:
                raise self._damaged(p, exc) from None
            return False
        except OSError:
            return False
        if self.byte_order(head) is not None:
            return True
        if named:
            found = f"0x{head.hex().upper()}" if len(head) == 4 else f"only {len(head)} byte(s)"
            raise self.error(
                f"{p} is not a gzip-compressed {self.kind}: decompressed, it starts with {found}, not "
                f"{self.sign}; it is damaged or misnamed: {self.fix}"
            )
        return False

    def _damaged(self, p: Path, exc: BaseException) -> CarrouselError:
        return self.error(
            f"{p} is a damaged gzip file ({exc}); download or compress it again, or decompress it (`gunzip`)"
        )

    def unpacked(self, path: str | Path) -> Path:
        """``path`` itself, or for a gzip-compressed file its decompressed copy in the temp folder, held
        for the caller until it calls :func:`release` with what this returned (made on first use, shared
        by the readers of ``path`` while it is unchanged, removed once none holds it and no
        :func:`kept_unpacked` block is open).

        Raises:
            CarrouselError: (``error``) the gzip stream is damaged or truncated, or the temp folder has
                no room for the copy.
        """
        p = Path(path)
        with open(p, "rb") as fh:
            if fh.read(2) != _GZIP_MAGIC:
                return p
        st = p.stat()
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        key = str(p.resolve())
        with _LOCK:
            latest = _LATEST.get(key)
            if latest is not None and _COPIES[latest].stamp == stamp and latest.is_file():
                _COPIES[latest].readers += 1
                return latest
            fd, name = tempfile.mkstemp(prefix="carrousel-", suffix=f"-{uncompressed_name(p)}")
            copy = Path(name)
            try:
                with gzip.open(p, "rb") as src, os.fdopen(fd, "wb") as dst:
                    shutil.copyfileobj(src, dst, _BLOCK)
            except _DAMAGED as exc:
                copy.unlink(missing_ok=True)
                raise self._damaged(p, exc) from None
            except BaseException as exc:  # no room, unreadable, interrupted: the partial copy goes
                copy.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise self.error(
                        f"{p}: cannot decompress it into {copy.parent} ({exc.strerror or exc}); decompress it "
                        "yourself (`gunzip`) or set TMPDIR to a folder with room"
                    ) from None
                raise
            _COPIES[copy] = _Copy(key, stamp, os.getpid(), 1)
            _LATEST[key] = copy
            stale = [latest] if latest is not None and _unused(latest) else []  # the file changed since
            _drop(stale)
        _unlink(stale)
        logger.info(
            "%s is gzip-compressed: decompressed to %s (%s bytes; removed once no reader uses it)",
            p,
            copy,
            f"{copy.stat().st_size:,}",
        )
        return copy
