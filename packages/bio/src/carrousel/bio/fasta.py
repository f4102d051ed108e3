"""Streaming FASTA / FASTA.gz reading in bounded memory (DNA codes: :mod:`carrousel.bio.dna`).

:func:`iter_chunks` reads a genome in blocks of bytes (so a 3 Gb genome never sits in memory) and yields
overlapping chunks per record: consecutive chunks of one record share ``overlap`` bases, so every window
of up to ``overlap + 1`` bases lies wholly inside exactly one chunk's window starts. Small files of
training sequences are read whole with Biopython's FASTA parser (:func:`read_sequences`).

Both readers take a regular, readable, non-empty file only (a folder, FIFO or device is refused before it
is opened: :func:`carrousel.core.files.check_input_file`); gzip is recognised by its magic bytes, and a
file named ``.gz`` must be gzip. Comment lines (``#`` or ``;``) before the first ``>`` header are skipped
with one warning (:mod:`carrousel.bio.fasta_comments`). A truncated or corrupt archive, NUL bytes (a binary
file), other text before the first header, a comment line inside a record (naming its line), an empty
header, a duplicate record name (streaming) and a file whose records hold no sequence are each one
:class:`~carrousel.bio.errors.FastaFormatError` line naming the file. A UTF-8 byte-order mark is skipped;
lower case (soft-masking), ``N`` runs, IUPAC codes, ``U``, CRLF line ends, CR alone (an old Mac's, read
as LF: :func:`~carrousel.bio.fasta_bytes.open_fasta`) and lines of any length are valid. Both readers also take a UCSC ``.2bit`` genome (recognised by its signature whatever its name:
:mod:`carrousel.bio.twobit`), read as the FASTA ``twoBitToFa`` writes of it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from Bio.SeqIO.FastaIO import SimpleFastaParser

from carrousel.bio import fasta_comments as _fc
from carrousel.bio.dna import (
    _SKIP,
    _TRANSLATE,
    _TRANSLATE_MASKED,
    ALPHABET,
    AMBIGUOUS,
    _checked,
    decode,
    encode,
    mask_lower_case,
    one_hot,
    reverse_complement,
    window_sequences,
)
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta_bytes import (
    UTF8_BOM,
    check_fasta_file,
    comment_inside_file,
    iter_segments,
    letters_fix,
    open_fasta,
    refuse_binary,
)
from carrousel.bio.twobit import TwoBit, is_twobit
from carrousel.core.args import check_args
from carrousel.core.files import DEFAULT_MAX_BYTES

__all__ = [
    "ALPHABET",
    "AMBIGUOUS",
    "Chunk",
    "RecordInfo",
    "check_fasta_file",
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


@check_args
def iter_chunks(
    path: str | Path,
    chunk_size: int = 1 << 22,
    overlap: int = 0,
    records: list[RecordInfo] | None = None,
    first_size: int | None = None,
    mask_lower: bool = False,
    *,
    coordinates: str = "the hits' coordinates",
) -> Iterator[Chunk]:
    """Streams a FASTA(.gz) file as overlapping chunks of codes, in bounded memory.

    Args:
        path: FASTA or gzipped FASTA file.
        chunk_size: bases per chunk (excluding the overlap carried from the previous chunk).
        overlap: bases shared by consecutive chunks of a record (motif length - 1 for a scan).
        records: if given, a :class:`RecordInfo` is appended for every non-empty record as it ends.
        first_size: bases in the file's first chunk (default ``chunk_size``); a small first chunk lets a
            pipelined consumer start working while the rest is read.
        mask_lower: read soft-masked (lower-case) bases as N, so that no site touches them.
        coordinates: what the file's positions locate, named in the fix for a letter that is no base
            (write it as N: a streamed file is a genome or a scanned FASTA, where removing a gap would shift
            every later position; a training FASTA read whole is told to remove them).

    Yields:
        :class:`Chunk` objects; each record yields at least one chunk unless it is empty (empty records
        are skipped with one warning per file).

    Raises:
        FastaFormatError: the file cannot be read (see the module doc), invalid characters, no records,
            no record with sequence, an empty header or duplicate record names.
    """
    seen: set[str] = set()
    name: str | None = None
    pos = 0  # bases of the current record consumed so far
    carry = np.zeros(0, dtype=np.uint8)  # overlap kept from the previous chunk
    pending: list[np.ndarray] = []
    pending_n = 0
    n_records = 0
    empty: list[str] = []  # records without sequence
    cr_only = False  # a header holding a carriage return: lines ending in CR alone?

    emitted_last = True  # whether the current record's final chunk has been yielded
    size = max(1, min(first_size, chunk_size)) if first_size else chunk_size  # the next chunk's size
    table = _TRANSLATE_MASKED if mask_lower else _TRANSLATE
    unmasked = 0  # A/C/G/T bases left with mask_lower

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
            empty.append(name)
        else:
            yield from flush(True)
            if records is not None:
                records.append(RecordInfo(name, pos))
        carry = np.zeros(0, dtype=np.uint8)
        pending, pending_n, pos, emitted_last = [], 0, 0, True

    for header, part in iter_segments(path):
        if header is not None:
            yield from end_record()
            cr_only = cr_only or "\r" in header
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
        try:
            codes = _checked(part.translate(table, _SKIP), part, name, pos, hint=False)
        except FastaFormatError as exc:
            inside = comment_inside_file(path) if b"#" in part or b";" in part else None
            if inside is not None:
                raise inside from None
            raise FastaFormatError(f"{path}: {exc}; {letters_fix(Path(path), coordinates, part)}") from None
        if not codes.size:
            continue
        unmasked += int(np.count_nonzero(codes < 4)) if mask_lower and not unmasked else 0
        pos += codes.size
        emitted_last = False
        pending.append(codes)
        pending_n += codes.size
        if pending_n >= size:
            yield from flush(False)
    yield from end_record()
    if n_records == 0:
        raise FastaFormatError(f"{path}: no FASTA records found (empty file?); expected lines starting '>'")
    if len(empty) == n_records:
        hint = "; do its lines end in CR alone? convert them to LF" if cr_only else ""
        raise FastaFormatError(f"{path}: no sequence in any of its {n_records} record(s){hint}")
    _fc.warn_empty(path, empty)
    if mask_lower and not unmasked:
        _fc.warn_all_masked(path)


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


@check_args
def count_bases(
    path: str | Path, mask_lower: bool = False
) -> tuple[np.ndarray, np.ndarray, list[RecordInfo]]:
    """Counts mono- and dinucleotides over a file in one streaming pass (both strands pooled; with
    ``mask_lower``, lower-case bases are left out as N are).

    Returns:
        ``(mono (4,), di (4, 4), records)``: strand-symmetrised counts (each count plus its reverse
        complement's), ignoring N, and the records found.
    """
    mono = np.zeros(4, dtype=np.float64)
    di = np.zeros(16, dtype=np.float64)
    records: list[RecordInfo] = []
    for chunk in iter_chunks(path, overlap=1, records=records, mask_lower=mask_lower):
        c = chunk.codes
        mono += np.bincount(c[c < 4] if chunk.start == 0 else c[1:][c[1:] < 4], minlength=4)[:4]
        if c.size > 1:
            a, b = c[:-1], c[1:]
            ok = (a < 4) & (b < 4)
            di += np.bincount(a[ok].astype(np.int64) * 4 + b[ok], minlength=16)
    di2 = di.reshape(4, 4)
    sym_di = di2 + di2[::-1, ::-1].T
    return mono + mono[::-1], sym_di, records


@check_args
def read_sequences(path: str | Path, mask_lower: bool = False) -> tuple[list[str], list[str]]:
    """Reads a small FASTA file whole with Biopython.

    Duplicate names are allowed here (training sequences); headers that are not UTF-8 are read as
    latin-1 (sequence letters are checked either way). With ``mask_lower``, soft-masked (lower-case)
    bases read as N, as :func:`iter_chunks` reads them (one warning when no base is left).

    Returns:
        ``(names, sequences)`` with sequences upper-cased; empty records are skipped with a warning.

    Raises:
        FastaFormatError: the file cannot be read (see the module doc), text before the first header,
            invalid characters, or no record with sequence.
    """
    names: list[str] = []
    seqs: list[str] = []
    empty: list[str] = []
    cr_only = False  # a title holding a carriage return: lines ending in CR alone?
    for title, seq in _titled_sequences(path):
        cr_only = cr_only or "\r" in title
        seq = "".join(seq.split())
        seq = (mask_lower_case(seq) if mask_lower else seq).upper()
        name = title.split()[0] if title.split() else f"seq{len(names) + 1}"
        if not seq:
            empty.append(name)
            continue
        try:
            encode(seq, name)
        except FastaFormatError as exc:
            raise FastaFormatError(f"{path}: {exc}") from None
        names.append(name)
        seqs.append(seq)
    if not seqs:
        hint = "; do its lines end in CR alone? convert them to LF" if cr_only else ""
        raise FastaFormatError(f"{path}: no FASTA records with sequence found{hint}")
    _fc.warn_empty(path, empty)
    if mask_lower and not any(set(s) & set("ACGTU") for s in seqs):
        _fc.warn_all_masked(path)
    return names, seqs


def _titled_sequences(path: str | Path) -> Iterator[tuple[str, str]]:
    """``(header, sequence)`` of every record of a small FASTA(.gz) file, or of a UCSC ``.2bit`` file."""
    if is_twobit(check_fasta_file(path)):
        with TwoBit.open(path) as genome:
            if sum(genome.lengths.values()) > DEFAULT_MAX_BYTES:
                raise FastaFormatError(f"{path} holds over {DEFAULT_MAX_BYTES:,} bases; give a smaller file")
            yield from ((name, genome.read(name, 0, n).decode("ascii")) for name, n in genome.lengths.items())
        return
    with open_fasta(path) as fh:
        raw = fh.read(DEFAULT_MAX_BYTES + 1)
    if len(raw) > DEFAULT_MAX_BYTES:
        raise FastaFormatError(f"{path} is over {DEFAULT_MAX_BYTES >> 30} GiB; give a smaller file")
    refuse_binary(path, raw := raw.removeprefix(UTF8_BOM))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    yield from SimpleFastaParser(io.StringIO(_fc.after_comments(path, text)))
