"""UCSC ``.2bit`` genomes (``hg38.2bit``, as ``twoBitToFa`` and BLAT read them), read by position.

A ``.2bit`` file carries its own index: record names and file offsets follow the header, and each record
starts with its length, its runs of N, its soft-masked (lower-case) runs and then its bases packed four
to a byte (``T C A G`` = ``0 1 2 3``, the first base in the two most significant bits). :class:`TwoBit`
reads the header, the index and each record's length when opened, and then any ``[start, end)`` of a
record by seeking to the bytes that cover it: a 3 Gb genome is never read whole. Bases come back as the
letters a FASTA of the same genome holds (``twoBitToFa``'s output: ``N`` in N runs, lower case in masked
runs), so every reader downstream treats both files alike (``--mask-lower`` included).

The format (UCSC FAQ "2bit format"): signature ``0x1A412743`` in the writer's byte order (read swapped,
it means the other order), version 0 (32-bit offsets) or 1 (64-bit offsets, for files over 4 GiB),
record count, reserved; per record in the index: name length (one byte), name, offset. A file is
recognised by its signature whatever its name (:func:`is_twobit`); one named ``.2bit`` without it, a
version other than 0 or 1, an index or a record running past the end of the file, or two records of one
name are each one :class:`~carrousel.bio.errors.FastaFormatError` naming the file and the problem. A
gzip-compressed one (``hg38.2bit.gz``) is read from its decompressed copy
(:meth:`~carrousel.bio.magic.BinaryFormat.unpacked`), messages naming the file given.
"""

from __future__ import annotations

import os
import struct
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.magic import BinaryFormat, release
from carrousel.core.args import check_args
from carrousel.core.files_text import read_failure
from carrousel.core.paths import user_path

__all__ = ["FORMAT", "SIGNATURE", "TwoBit", "is_twobit"]

SIGNATURE = 0x1A412743  # the first four bytes, in the byte order of the file's writer
_SHIFTS = np.array([6, 4, 2, 0], dtype=np.uint8)
_LETTERS = np.frombuffer(b"TCAG", dtype=np.uint8)[(np.arange(256, dtype=np.uint8)[:, None] >> _SHIFTS) & 3]
_WORDS = np.ascontiguousarray(_LETTERS).view(np.uint32).reshape(-1)  # a byte's 4 letters as one word
_N = ord("N")
_LOWER = 0x20  # ASCII upper -> lower case
_CACHED = 64  # records whose N and mask runs are kept in memory at once
_FIX = "download or convert it again"
FORMAT = BinaryFormat(
    "2bit file", SIGNATURE, "the 2bit signature 0x1A412743", (".2bit",), FastaFormatError, _FIX
)


def is_twobit(path: str | Path) -> bool:
    """Whether ``path`` is a regular file starting with the 2bit signature (either byte order), or a gzip
    file whose content does.

    Raises:
        FastaFormatError: the file is named ``.2bit`` but does not start with the signature, or named
            ``.2bit.gz`` and its gzip stream is damaged or does not start with it.
    """
    return FORMAT.recognises(path)


@dataclass(frozen=True)
class _Runs:
    """A record's N and soft-masked runs (sorted by start) and where its packed bases begin."""

    n_starts: np.ndarray  # (runs,) int64
    n_ends: np.ndarray  # (runs,) int64, end excluded
    n_reach: np.ndarray  # (runs,) running maximum of n_ends, searched to skip runs ending before a range
    mask_starts: np.ndarray
    mask_ends: np.ndarray
    mask_reach: np.ndarray
    dna: int  # file offset of the packed bases


def _cover(
    starts: np.ndarray, ends: np.ndarray, reach: np.ndarray, start: int, end: int
) -> np.ndarray | None:
    """``(end - start,)`` bool: the positions of ``[start, end)`` inside a run (None when none is)."""
    i = int(np.searchsorted(reach, start, side="right"))
    j = int(np.searchsorted(starts, end, side="left"))
    if i >= j:
        return None
    n = end - start
    edges = np.zeros(n + 1, dtype=np.int8)  # +1 where a run starts, -1 where one ends: depth by a cumsum
    np.add.at(edges, np.clip(starts[i:j] - start, 0, n), 1)
    np.add.at(edges, np.clip(ends[i:j] - start, 0, n), -1)
    return np.cumsum(edges[:n], dtype=np.int8) > 0


class TwoBit:
    """An open ``.2bit`` file: record lengths from its index, bases read by position.

    Open one with :meth:`open`; use it as a context manager, or :meth:`close` it.

    Attributes:
        path: the file (as given: a ``.2bit.gz`` is read from its decompressed copy).
        lengths: length of every record (empty ones included), in index order.
    """

    def __init__(
        self, path: Path, order: str, offsets: dict[str, int], lengths: dict[str, int], data: Path
    ) -> None:
        self.path = path
        self.lengths = lengths
        self._order = order
        self._offsets = offsets
        self._fh = open(data, "rb")  # noqa: SIM115 (held until close)
        self._size = os.fstat(self._fh.fileno()).st_size
        self._runs: OrderedDict[str, _Runs] = OrderedDict()
        # closing (or collecting) it hands back its hold on a .2bit.gz's copy, once
        self._release = weakref.finalize(self, release, data)

    @classmethod
    def open(cls, path: str | Path) -> TwoBit:
        """Reads the header, the index and every record's length of ``path``.

        Raises:
            FastaFormatError: not a 2bit file, a version other than 0 or 1, no records, an index or a
                record past the end of the file (truncated), two records of one name, or unreadable (a
                ``.2bit.gz``: a damaged gzip stream too).
            OSError: too many open files or out of memory, as it came: not the file's fault (see
                :func:`~carrousel.core.files_text.read_failure`).
        """
        p = user_path(path)
        data = p
        try:
            data = FORMAT.unpacked(p)  # held by the TwoBit from here (released when it closes)
            with open(data, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                order, offsets = _read_index(p, fh, size)
                lengths: dict[str, int] = {}
                for name, offset in offsets.items():
                    fh.seek(offset)
                    raw = fh.read(4)
                    if offset + 4 > size or len(raw) < 4:
                        raise _truncated(p, f"record {name!r} starts at byte {offset:,}", size)
                    lengths[name] = struct.unpack(f"{order}I", raw)[0]
            genome = cls(p, order, offsets, lengths, data)
        except BaseException as exc:
            release(data)  # no TwoBit holds the copy (nothing to do when data is the file itself)
            if isinstance(exc, OSError):
                raise read_failure(exc, str(p), "check the file", FastaFormatError) from None
            raise
        try:  # the record that lies last in the file: a truncated download cuts it
            genome._record_runs(max(offsets, key=offsets.__getitem__))
        except FastaFormatError:
            genome.close()
            raise
        if not any(lengths.values()):
            genome.close()
            raise FastaFormatError(f"{p}: no sequence in any of its {len(lengths)} record(s)")
        return genome

    @check_args
    def read(self, name: str, start: int, end: int) -> bytes:
        """The letters of ``name[start:end]`` (0-based, end excluded), as a FASTA of the genome holds them:
        ``ACGT``, ``N`` in N runs, lower case in soft-masked runs.

        Raises:
            KeyError: no record ``name``.
            ValueError: the range is not within the record.
            FastaFormatError: the file is shorter than the record's bases (truncated) or unreadable.
            OSError: too many open files or out of memory, as it came: not the file's fault (see
                :func:`~carrousel.core.files_text.read_failure`).
        """
        size = self.lengths[name]
        if not 0 <= start <= end <= size:
            raise ValueError(f"{name}:{start}-{end} is not within {name} (0-{size})")
        if end == start:
            return b""
        runs = self._record_runs(name)
        lo, hi = start >> 2, (end + 3) >> 2
        try:
            self._fh.seek(runs.dna + lo)
            raw = self._fh.read(hi - lo)
        except OSError as exc:
            raise read_failure(exc, str(self.path), "check the file", FastaFormatError) from None
        if len(raw) < hi - lo:
            raise _truncated(self.path, f"record {name!r} ends at byte {runs.dna + hi:,}", self._size)
        letters = _WORDS[np.frombuffer(raw, dtype=np.uint8)].view(np.uint8)[start - 4 * lo : end - 4 * lo]
        n_run = _cover(runs.n_starts, runs.n_ends, runs.n_reach, start, end)
        if n_run is not None:
            np.copyto(letters, np.uint8(_N), where=n_run)
        masked = _cover(runs.mask_starts, runs.mask_ends, runs.mask_reach, start, end)
        if masked is not None:
            np.bitwise_or(letters, np.uint8(_LOWER), out=letters, where=masked)
        return letters.tobytes()

    @check_args
    def fetch(self, name: str, start: int, end: int) -> bytes:
        """:meth:`read` of ``name[start - 1:end]``: pyfaidx's ``Faidx.fetch`` (1-based, end included), so
        a :class:`~carrousel.bio.genome.Genome` reads a 2bit file as it reads an indexed FASTA."""
        return self.read(name, start - 1, end)

    @check_args
    def segments(self, block: int = 1 << 22) -> Iterator[tuple[str | None, bytes]]:
        """The file as the FASTA byte layer yields a FASTA: ``(name, b"")`` at each record (index order),
        then ``(None, letters)`` for at most ``block`` bases at a time."""
        for name, size in self.lengths.items():
            yield name, b""
            for s in range(0, size, block):
                yield None, self.read(name, s, min(size, s + block))

    def _record_runs(self, name: str) -> _Runs:
        """The N and mask runs of ``name``, read on first use (the last :data:`_CACHED` records kept)."""
        runs = self._runs.get(name)
        if runs is not None:
            self._runs.move_to_end(name)
            return runs
        runs = _read_runs(self.path, self._fh, self._order, self._offsets[name], name, self._size)
        size = self.lengths[name]
        if runs.dna + (size + 3) // 4 > self._size:
            raise _truncated(
                self.path, f"record {name!r} ends at byte {runs.dna + (size + 3) // 4:,}", self._size
            )
        self._runs[name] = runs
        if len(self._runs) > _CACHED:
            self._runs.popitem(last=False)
        return runs

    def close(self) -> None:
        """Closes the file (a ``.2bit.gz``'s copy goes once no reader holds it: :mod:`carrousel.bio.magic`)."""
        self._fh.close()
        self._release()

    def __enter__(self) -> TwoBit:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _truncated(p: Path, what: str, size: int) -> FastaFormatError:
    return FastaFormatError(
        f"{p}: {what}, past the end of the file ({size:,} bytes): it is truncated; {_FIX}"
    )


class _Reader:
    """Exact reads from a file at its current position, in blocks (the index of a genome of a million
    scaffolds is read in a few calls, not millions)."""

    def __init__(self, p: Path, fh: BinaryIO) -> None:
        self.p, self.fh, self.buf, self.pos, self.at = p, fh, b"", 0, 0

    def take(self, n: int, what: str) -> bytes:
        if len(self.buf) - self.pos < n:
            more = self.fh.read(max(n, 1 << 20))
            self.buf, self.pos = self.buf[self.pos :] + more, 0
            if len(self.buf) < n:
                raise _truncated(
                    self.p, f"the {what} runs past byte {self.at + len(self.buf):,}", self.at + len(self.buf)
                )
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        self.at += n
        return out


def _read_index(p: Path, fh: BinaryIO, size: int) -> tuple[str, dict[str, int]]:
    """The byte order and ``{name: offset}`` of the records, from the header and index of ``fh`` (of
    ``size`` bytes; ``p`` names it in messages)."""
    r = _Reader(p, fh)
    head = r.take(16, "header")
    order = FORMAT.byte_order(head)
    if order is None:
        raise FastaFormatError(f"{p} is not a 2bit file: it does not start with the 2bit signature; {_FIX}")
    version, count, _ = struct.unpack(f"{order}3I", head[4:])
    if version not in (0, 1):
        raise FastaFormatError(
            f"{p}: 2bit version {version}, not 0 or 1 (the only versions UCSC defines): the file is damaged; {_FIX}"
        )
    if count == 0:
        raise FastaFormatError(f"{p}: a 2bit file with no records; give a genome with sequence")
    offset = f"{order}{'Q' if version == 1 else 'I'}"
    width = struct.calcsize(offset)
    offsets: dict[str, int] = {}
    for i in range(count):
        name = r.take(r.take(1, "index")[0], "index").decode("utf-8", "replace")
        at = struct.unpack(offset, r.take(width, "index"))[0]
        if not name:
            raise FastaFormatError(f"{p}: record {i + 1} of the 2bit index has an empty name; {_FIX}")
        if name in offsets:
            raise FastaFormatError(f"{p}: duplicate record name {name!r}; names must be unique (rename one)")
        if at >= size:
            raise _truncated(p, f"record {name!r} starts at byte {at:,}", size)
        offsets[name] = at
    return order, offsets


def _read_runs(p: Path, fh: BinaryIO, order: str, offset: int, name: str, size: int) -> _Runs:
    """The N and mask runs of the record at ``offset`` (after its length), and where its bases begin."""
    fh.seek(offset + 4)
    r = _Reader(p, fh)
    r.at = offset + 4
    what = f"header of record {name!r}"
    u32 = np.dtype(f"{order}u4")

    def runs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        (k,) = struct.unpack(f"{order}I", r.take(4, what))
        if offset + 8 * k > size:
            raise _truncated(p, f"the {what} ({k:,} runs)", size)
        starts = np.frombuffer(r.take(4 * k, what), dtype=u32).astype(np.int64)
        ends = starts + np.frombuffer(r.take(4 * k, what), dtype=u32)
        by_start = np.argsort(starts, kind="stable")
        starts, ends = starts[by_start], ends[by_start]
        return starts, ends, np.maximum.accumulate(ends) if k else ends

    n_runs = runs()
    mask_runs = runs()
    r.take(4, what)  # reserved
    return _Runs(*n_runs, *mask_runs, dna=r.at)
