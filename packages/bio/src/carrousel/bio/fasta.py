"""Streaming FASTA / FASTA.gz reading in bounded memory, and DNA encoding.

Bases are encoded as ``uint8`` codes: ``A C G T`` (any case) -> ``0 1 2 3``; ``N`` and the IUPAC
ambiguity codes ``R Y K M S W B D H V`` (any case) -> ``4`` (never scored as a site). Any other character
is a :class:`~carrousel.bio.errors.FastaFormatError` naming the record and the 1-based position.

:func:`iter_chunks` reads a genome in blocks of bytes (so a 3 Gb genome never sits in memory) and yields
overlapping chunks per record: consecutive chunks of one record share ``overlap`` bases, so every window
of up to ``overlap + 1`` bases lies wholly inside exactly one chunk's window starts. Small files of
training sequences are read whole with Biopython's FASTA parser (:func:`read_sequences`).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from Bio.SeqIO.FastaIO import SimpleFastaParser

from carrousel.bio.errors import FastaFormatError

__all__ = [
    "ALPHABET",
    "AMBIGUOUS",
    "Chunk",
    "RecordInfo",
    "count_bases",
    "decode",
    "encode",
    "iter_chunks",
    "iter_records",
    "one_hot",
    "read_sequences",
    "reverse_complement",
    "window_sequences",
]

logger = logging.getLogger(__name__)

ALPHABET = "ACGT"
AMBIGUOUS = 4  # the code of N and IUPAC ambiguity letters
_INVALID = 255
_IUPAC = "NRYKMSWBDHV"
_SKIP = b" \t\r\n"  # whitespace removed from sequence lines (CRLF included)

_LUT = np.full(256, _INVALID, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
for _b in _IUPAC:
    _LUT[ord(_b)] = AMBIGUOUS
    _LUT[ord(_b.lower())] = AMBIGUOUS
_LUT[ord("U")] = 3
_LUT[ord("u")] = 3
_TRANSLATE = bytes(_LUT.tolist())  # the same map for bytes.translate (one C pass, whitespace deleted too)
_COMPLEMENT = np.array([3, 2, 1, 0, AMBIGUOUS], dtype=np.uint8)
_BLOCK = 1 << 20  # bytes read from the file at a time


@dataclass(frozen=True)
class Chunk:
    """A piece of one record, as codes.

    Attributes:
        record: the record's name (first word of its header).
        start: 0-based position of ``codes[0]`` in the record.
        codes: ``(n,)`` uint8 base codes.
        last: whether this is the record's final chunk.
    """

    record: str
    start: int
    codes: np.ndarray
    last: bool


@dataclass(frozen=True)
class RecordInfo:
    """A record's name and length, as found while streaming."""

    name: str
    length: int


def encode(seq: str | bytes, record: str = "<sequence>", offset: int = 0) -> np.ndarray:
    """Encodes DNA letters as codes 0..4.

    Args:
        seq: the letters (whitespace is not allowed here).
        record: record name for error messages.
        offset: 0-based position of ``seq[0]`` in the record, for error messages.

    Returns:
        ``(len(seq),)`` uint8 codes.

    Raises:
        FastaFormatError: on a character that is neither a base nor an IUPAC code.
    """
    raw = seq.encode("latin-1") if isinstance(seq, str) else seq
    return _checked(raw.translate(_TRANSLATE), raw, record, offset)


def _checked(coded: bytes, raw: bytes, record: str, offset: int) -> np.ndarray:
    """Translated bytes -> writable codes, or the error for the first invalid character.

    Args:
        coded: ``raw`` through ``_TRANSLATE`` (whitespace deleted).
        raw: the letters as read (whitespace is skipped when locating a bad one).
        record: record name for error messages.
        offset: 0-based position of ``coded[0]`` in the record.
    """
    i = coded.find(b"\xff")
    if i >= 0:
        char = chr(raw.translate(None, _SKIP)[i])
        raise FastaFormatError(
            f"record {record!r}, position {offset + i + 1}: invalid character {char!r}; "
            "expected A, C, G, T, N or an IUPAC code"
        )
    return np.frombuffer(coded, dtype=np.uint8).copy()


def decode(codes: np.ndarray) -> str:
    """Codes 0..4 back to ``ACGTN`` letters."""
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[np.asarray(codes, dtype=np.intp)].tobytes().decode()


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of ``(..., n)`` codes (N stays N)."""
    return _COMPLEMENT[codes[..., ::-1]]


def window_sequences(codes: np.ndarray, starts: np.ndarray, length: int, minus: np.ndarray) -> list[str]:
    """Letters of windows ``codes[s:s+length]``, reverse-complemented where ``minus``.

    Args:
        codes: ``(n,)`` base codes.
        starts: ``(h,)`` window starts.
        length: window length.
        minus: ``(h,)`` bool, read the window on the reverse strand.
    """
    if starts.size == 0:
        return []
    win = codes[starts[:, None] + np.arange(length)[None, :]]
    win = np.where(minus[:, None], reverse_complement(win), win)
    text = decode(win.reshape(-1))
    return [text[i * length : (i + 1) * length] for i in range(starts.size)]


_EYE = np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])  # N: all zeros


def one_hot(codes: np.ndarray, bases_last: bool = False) -> np.ndarray:
    """``(..., n)`` codes -> ``(..., 4, n)`` float32 one-hot (an N is all zeros).

    With ``bases_last`` the array is ``(..., n, 4)`` (no transposing copy): ``np.swapaxes`` of it is the
    same one-hot in channels-last layout, which the fast convolution of :meth:`DanQ.predict` reads as is.
    """
    out = _EYE[codes]
    return out if bases_last else np.ascontiguousarray(np.moveaxis(out, -1, -2))


def _open(path: str | Path) -> BinaryIO:
    p = Path(path)
    if not p.is_file():
        raise FastaFormatError(f"FASTA file not found: {p}; check the path")
    with open(p, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return open(p, "rb")


def _iter_segments(path: str | Path) -> Iterator[tuple[str | None, bytes]]:
    """Yields ``(header, b"")`` at each record start and ``(None, sequence_bytes)`` for sequence data."""
    with _open(path) as fh:
        buf = b""
        in_record = False
        eof = False
        while True:
            if not eof:
                data = fh.read(_BLOCK)
                eof = not data
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
                    in_record = True
                    yield header, b""
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
                if not in_record:
                    if part.strip():
                        raise FastaFormatError(f"{path}: text before the first '>' header; is this FASTA?")
                    continue
                yield None, part
            if eof:
                return


def iter_chunks(
    path: str | Path,
    chunk_size: int = 1 << 22,
    overlap: int = 0,
    records: list[RecordInfo] | None = None,
    first_size: int | None = None,
) -> Iterator[Chunk]:
    """Streams a FASTA(.gz) file as overlapping chunks of codes, in bounded memory.

    Args:
        path: FASTA or gzipped FASTA file.
        chunk_size: bases per chunk (excluding the overlap carried from the previous chunk).
        overlap: bases shared by consecutive chunks of a record (motif length - 1 for a scan).
        records: if given, a :class:`RecordInfo` is appended for every non-empty record as it ends.
        first_size: bases in the file's first chunk (default ``chunk_size``); a small first chunk lets a
            pipelined consumer start working while the rest is read.

    Yields:
        :class:`Chunk` objects; each record yields at least one chunk unless it is empty (empty records
        are skipped with a warning).

    Raises:
        FastaFormatError: invalid characters, no records, or duplicate record names.
    """
    seen: set[str] = set()
    name: str | None = None
    pos = 0  # bases of the current record consumed so far
    carry = np.zeros(0, dtype=np.uint8)  # overlap kept from the previous chunk
    pending: list[np.ndarray] = []
    pending_n = 0
    n_records = 0

    emitted_last = True  # whether the current record's final chunk has been yielded
    size = max(1, min(first_size, chunk_size)) if first_size else chunk_size  # the next chunk's size

    def flush(final: bool) -> Iterator[Chunk]:
        nonlocal carry, pending, pending_n, emitted_last, size
        assert name is not None
        while pending_n >= size or (final and pending_n > 0):
            data = np.concatenate(pending) if len(pending) > 1 else pending[0]
            take, rest = data[:size], data[size:]
            size = chunk_size
            codes = np.concatenate([carry, take]) if carry.size else take
            start = pos - pending_n - carry.size
            is_last = final and rest.size == 0
            yield Chunk(name, start, codes, is_last)
            emitted_last = is_last
            carry = codes[-overlap:].copy() if overlap else np.zeros(0, dtype=np.uint8)
            pending = [rest] if rest.size else []
            pending_n = int(rest.size)
        if final and not emitted_last:
            yield Chunk(name, pos - carry.size, carry, True)
            emitted_last = True

    def end_record() -> Iterator[Chunk]:
        nonlocal carry, pending, pending_n, pos, emitted_last
        if name is None:
            return
        if pos == 0:
            logger.warning("FASTA record %r has no sequence; skipped", name)
        else:
            yield from flush(True)
            if records is not None:
                records.append(RecordInfo(name, pos))
        carry = np.zeros(0, dtype=np.uint8)
        pending, pending_n, pos, emitted_last = [], 0, 0, True

    for header, part in _iter_segments(path):
        if header is not None:
            yield from end_record()
            name = header.split()[0] if header.split() else ""
            if not name:
                raise FastaFormatError(f"{path}: a record has an empty header line; give every record a name")
            if name in seen:
                raise FastaFormatError(
                    f"{path}: duplicate record name {name!r}; names must be unique (rename one)"
                )
            seen.add(name)
            n_records += 1
            continue
        assert name is not None
        codes = _checked(part.translate(_TRANSLATE, _SKIP), part, name, pos)
        if not codes.size:
            continue
        pos += codes.size
        emitted_last = False
        pending.append(codes)
        pending_n += codes.size
        if pending_n >= size:
            yield from flush(False)
    yield from end_record()
    if n_records == 0:
        raise FastaFormatError(f"{path}: no FASTA records found (empty file?); expected lines starting '>'")


def iter_records(path: str | Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yields ``(name, codes)`` per non-empty record, each record whole (for small files)."""
    name: str | None = None
    parts: list[np.ndarray] = []
    for chunk in iter_chunks(path, chunk_size=1 << 24, overlap=0):
        if chunk.record != name:
            name, parts = chunk.record, []
        parts.append(chunk.codes)
        if chunk.last:
            yield name, np.concatenate(parts) if len(parts) > 1 else parts[0]


def count_bases(path: str | Path) -> tuple[np.ndarray, np.ndarray, list[RecordInfo]]:
    """Counts mono- and dinucleotides over a file in one streaming pass (both strands pooled).

    Returns:
        ``(mono (4,), di (4, 4), records)``: strand-symmetrised counts (each count plus its reverse
        complement's), ignoring N, and the records found.
    """
    mono = np.zeros(4, dtype=np.float64)
    di = np.zeros(16, dtype=np.float64)
    records: list[RecordInfo] = []
    for chunk in iter_chunks(path, overlap=1, records=records):
        c = chunk.codes
        mono += np.bincount(c[c < 4] if chunk.start == 0 else c[1:][c[1:] < 4], minlength=4)[:4]
        if c.size > 1:
            a, b = c[:-1], c[1:]
            ok = (a < 4) & (b < 4)
            di += np.bincount(a[ok].astype(np.int64) * 4 + b[ok], minlength=16)
    di2 = di.reshape(4, 4)
    sym_di = di2 + di2[::-1, ::-1].T
    return mono + mono[::-1], sym_di, records


def read_sequences(path: str | Path) -> tuple[list[str], list[str]]:
    """Reads a small FASTA file whole with Biopython.

    Returns:
        ``(names, sequences)`` with sequences upper-cased; empty records are skipped with a warning.

    Raises:
        FastaFormatError: no records or invalid characters.
    """
    p = Path(path)
    if not p.is_file():
        raise FastaFormatError(f"FASTA file not found: {p}; check the path")
    opener = gzip.open if p.read_bytes()[:2] == b"\x1f\x8b" else open
    names: list[str] = []
    seqs: list[str] = []
    with opener(p, "rt") as fh:  # type: ignore[operator]
        for title, seq in SimpleFastaParser(fh):
            seq = "".join(seq.split()).upper()
            name = title.split()[0] if title.split() else f"seq{len(names) + 1}"
            if not seq:
                logger.warning("FASTA record %r has no sequence; skipped", name)
                continue
            encode(seq, name)
            names.append(name)
            seqs.append(seq)
    if not seqs:
        raise FastaFormatError(f"{p}: no FASTA records with sequence found")
    return names, seqs
