"""UCSC bigBed files (ENCODE's ``bigBed narrowPeak``, track hubs' peaks), read as BED lines in file order.

A bigBed holds BED records, sorted and packed into blocks (zlib-compressed unless the header's
``uncompressBufSize`` is 0), with its own chromosome list and an R-tree over the blocks. Peaks need every
record, so :func:`bigbed_lines` reads the chromosome B+ tree (names by id), walks the R-tree to its leaves
(each a block's file offset and size), and decodes the blocks in file order; each record becomes the BED
text line it was made from (``chrom start end`` and the other fields, tab-separated), so
:func:`carrousel.bio.bed.read_peaks` parses a bigBed exactly as the same peaks in text. Zoom levels, the
autoSql and the summary are not needed and not read.

The format (UCSC "bigBed format", Kent et al. 2010): a 64-byte header in the writer's byte order (magic
``0x8789F2EB``; read swapped, it means the other order), version, zoom level count, the offsets of the
chromosome tree, of the data and of the R-tree index; uncompressed block size. A file is recognised by its
magic whatever its name (:func:`is_bigbed`); a ``.bb`` / ``.bigBed`` name without it, a version below 1, a
tree or a block past the end of the file (a truncated download), a block that is not zlib data, or a
record that runs off its block is one :class:`~carrousel.bio.errors.BedFormatError` naming the file. A
gzip-compressed one (``peaks.bb.gz``) is read from its decompressed copy
(:meth:`~carrousel.bio.magic.BinaryFormat.unpacked`), messages naming the file given.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from carrousel.bio.errors import BedFormatError
from carrousel.bio.magic import BinaryFormat, release
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file
from carrousel.core.files_text import read_failure

__all__ = ["FORMAT", "MAGIC", "bigbed_lines", "is_bigbed"]

MAGIC = 0x8789F2EB  # the first four bytes of a bigBed, in the byte order of the file's writer
_TREE_MAGIC = 0x78CA8C91  # chromosome B+ tree
_RTREE_MAGIC = 0x2468ACE0  # R-tree index of the data blocks
_SUFFIXES = (".bb", ".bigbed")
_DEPTH = 64  # deeper trees than this are damaged (a million-record file has depth 3)
_FIX = "download or convert it again (bedToBigBed)"
FORMAT = BinaryFormat("bigBed file", MAGIC, "the bigBed magic 0x8789F2EB", _SUFFIXES, BedFormatError, _FIX)


def is_bigbed(path: str | Path) -> bool:
    """Whether ``path`` is a regular file starting with the bigBed magic (either byte order), or a gzip
    file whose content does.

    Raises:
        BedFormatError: the file is named ``.bb`` / ``.bigBed`` but does not start with the magic, or named
            ``.bb.gz`` / ``.bigBed.gz`` and its gzip stream is damaged or does not start with it.
    """
    return FORMAT.recognises(path)


class _File:
    """Exact reads of a bigBed by offset: a short read is a truncated file, named in one line (``path``:
    the file given, which ``fh`` is or is the decompressed copy of)."""

    def __init__(self, path: Path, fh: BinaryIO, order: str) -> None:
        self.path = path
        self.fh = fh
        self.order = order
        self.size = os.fstat(fh.fileno()).st_size

    def at(self, offset: int, n: int, what: str) -> bytes:
        """``n`` bytes at ``offset``, the part of the file called ``what`` in messages."""
        if offset < 0 or offset + n > self.size:
            raise self.damaged(
                f"its {what} (bytes {offset:,}-{offset + n:,}) lies past its end ({self.size:,} bytes): "
                "the file is truncated"
            )
        self.fh.seek(offset)
        raw = self.fh.read(n)
        if len(raw) < n:
            raise self.damaged(f"its {what} at byte {offset:,} is cut short: the file is truncated")
        return raw

    def unpack(self, fmt: str, offset: int, what: str) -> tuple[int, ...]:
        """``struct`` fields ``fmt`` (no byte order) at ``offset``, in the file's byte order."""
        full = self.order + fmt
        return struct.unpack(full, self.at(offset, struct.calcsize(full), what))

    def damaged(self, why: str) -> BedFormatError:
        """The one-line error for a damaged file."""
        return BedFormatError(f"{self.path} is a damaged bigBed file: {why}; {_FIX}")


def _chromosomes(f: _File, offset: int) -> dict[int, str]:
    """Chromosome names by id, from the B+ tree at ``offset``."""
    magic, _block, key_size, val_size, _count, _ = f.unpack("IIIIQQ", offset, "chromosome tree header")
    if magic != _TREE_MAGIC:
        raise f.damaged(
            f"no chromosome tree at byte {offset:,} (magic 0x{magic:08X}, not 0x{_TREE_MAGIC:08X})"
        )
    if val_size != 8 or key_size == 0:
        raise f.damaged(
            f"its chromosome tree has keys of {key_size} and values of {val_size} bytes (8 expected)"
        )
    names: dict[int, str] = {}
    seen: set[int] = set()

    def node(at: int, depth: int) -> None:
        if depth > _DEPTH or at in seen:
            raise f.damaged(f"its chromosome tree loops or is over {_DEPTH} levels deep")
        seen.add(at)
        leaf, _, count = f.unpack("BBH", at, "chromosome tree node")
        item = key_size + 8
        raw = f.at(at + 4, count * item, "chromosome tree node")
        for i in range(count):
            key = raw[i * item : i * item + key_size].rstrip(b"\0")
            if leaf:
                chrom_id, _size = struct.unpack(f"{f.order}II", raw[i * item + key_size : (i + 1) * item])
                try:
                    names[chrom_id] = key.decode("utf-8")
                except UnicodeDecodeError:
                    raise f.damaged(f"chromosome name {key[:40]!r} is not UTF-8 text") from None
            else:
                node(struct.unpack(f"{f.order}Q", raw[i * item + key_size : (i + 1) * item])[0], depth + 1)

    node(offset + 32, 0)
    return names


def _blocks(f: _File, offset: int) -> list[tuple[int, int]]:
    """``(offset, size)`` of every data block, in file order, from the R-tree index at ``offset``."""
    magic = f.unpack("I", offset, "R-tree index header")[0]
    if magic != _RTREE_MAGIC:
        raise f.damaged(f"no R-tree index at byte {offset:,} (magic 0x{magic:08X}, not 0x{_RTREE_MAGIC:08X})")
    found: set[tuple[int, int]] = set()
    seen: set[int] = set()

    def node(at: int, depth: int) -> None:
        if depth > _DEPTH or at in seen:
            raise f.damaged(f"its R-tree index loops or is over {_DEPTH} levels deep")
        seen.add(at)
        leaf, _, count = f.unpack("BBH", at, "R-tree node")
        item = 32 if leaf else 24
        raw = f.at(at + 4, count * item, "R-tree node")
        for i in range(count):
            if leaf:
                found.add(struct.unpack(f"{f.order}QQ", raw[i * item + 16 : (i + 1) * item]))
            else:
                node(struct.unpack(f"{f.order}Q", raw[i * item + 16 : (i + 1) * item])[0], depth + 1)

    node(offset + 48, 0)
    return sorted(found)


def _inflate(f: _File, raw: bytes, limit: int, at: int) -> bytes:
    """The block at byte ``at`` decompressed (at most ``limit`` bytes, the header's buffer size)."""
    z = zlib.decompressobj()
    try:
        out = z.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise f.damaged(f"the block at byte {at:,} is not zlib data ({exc})") from None
    if len(out) > limit or z.unconsumed_tail:
        raise f.damaged(f"the block at byte {at:,} decompresses past the header's {limit:,}-byte buffer")
    if not z.eof:
        raise f.damaged(f"the block at byte {at:,} ends inside its zlib stream (cut short)")
    return out


def _records(f: _File, data: bytes, names: dict[int, str], at: int, out: list[str]) -> None:
    """Appends the block's records (``chromId start end rest\\0``) to ``out`` as BED text lines."""
    pos, n = 0, len(data)
    head = struct.Struct(f"{f.order}III")
    while pos < n:
        end = data.find(b"\0", pos + 12)
        if pos + 12 > n or end < 0:
            raise f.damaged(f"a record of the block at byte {at:,} runs off the block's end")
        chrom_id, start, stop = head.unpack_from(data, pos)
        if chrom_id not in names:
            raise f.damaged(
                f"record {len(out) + 1} is on chromosome id {chrom_id}, absent from its chromosome tree"
            )
        try:
            rest = data[pos + 12 : end].decode("utf-8")
        except UnicodeDecodeError:
            raise f.damaged(f"record {len(out) + 1} holds bytes that are not UTF-8 text") from None
        out.append(
            f"{names[chrom_id]}\t{start}\t{stop}\t{rest}" if rest else f"{names[chrom_id]}\t{start}\t{stop}"
        )
        pos = end + 1


def bigbed_lines(path: str | Path) -> list[str]:
    """Every record of a bigBed as its BED text line (tab-separated fields), in file order.

    Raises:
        BedFormatError: not a readable bigBed (no magic, a version below 1), a tree or block past the end
            of the file, a block that is not zlib data or overflows its buffer, a record on a chromosome
            the file does not list or running off its block, a damaged gzip stream (``.bb.gz``); each one
            line naming the file.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """
    p = Path(path)
    try:
        check_input_file(p, None, "bigBed")
    except DataError as exc:
        raise BedFormatError(str(exc)) from None
    data = p
    try:
        data = FORMAT.unpacked(p)  # a .bb.gz's copy: released below, removed once no reader holds it
        with open(data, "rb") as fh:
            order = FORMAT.byte_order(fh.read(4))
            if order is None:
                raise BedFormatError(f"{p} is not a bigBed file: it does not start with the magic 0x8789F2EB")
            f = _File(p, fh, order)
            fields = f.unpack("IHHQQQHHQQIQ", 0, "header")
            version, tree, index, buffer = fields[1], fields[3], fields[5], fields[10]
            if version < 1:
                raise f.damaged(f"version {version} (bigBed versions start at 1)")
            names = _chromosomes(f, tree)
            out: list[str] = []
            for at, size in _blocks(f, index):
                raw = f.at(at, size, "data block")
                _records(f, _inflate(f, raw, buffer, at) if buffer else raw, names, at, out)
    except OSError as exc:
        raise read_failure(exc, str(p), "check the file", BedFormatError) from None
    finally:
        release(data)
    return out
