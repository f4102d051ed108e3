"""Random access to a genome FASTA by record and position, in bounded memory.

:class:`Genome` is the one place training reads genome sequence from (windows at peak summits, random and
GC-matched background windows): record names and lengths come from a samtools ``.fai`` index (built with
pyfaidx), and each window is read from the file by its position, so a 3 Gb genome never sits in memory.
Windows come back as ``uint8`` codes of :mod:`carrousel.bio.dna` (``N`` and IUPAC codes -> 4; a letter
that is no base is a :class:`~carrousel.bio.errors.FastaFormatError` naming the record and position).

Where the index lives: ``G.fa.fai`` beside the FASTA (as ``samtools faidx`` writes it), used as is when at
least as new as the FASTA, else built there; when that folder is not writable, in the carrousel cache
(``$CARROUSEL_CACHE/fai``, default ``~/.cache/carrousel/fai``), else in the temp folder. An index is
written under a temporary name and renamed, so an interrupted build never leaves a partial one.

Compressed genomes: a BGZF file (``bgzip``, named ``.gz`` or ``.bgz``) is read by position too, with its
``.gzi`` block index beside the ``.fai``. A plain gzip FASTA cannot be read by position; one of at most
:data:`MAX_WHOLE_BASES` bases (such as the E. coli sample) is read whole into memory, with a log note, and
a larger one is a one-line error naming the fix (``bgzip`` it, or decompress it). The same holds for a
plain FASTA that cannot be indexed (lines of uneven length within a record): small ones are read whole,
large ones refused naming the fix. A UCSC ``.2bit`` genome is read by position through its own index
(:class:`~carrousel.bio.twobit.TwoBit`), with no ``.fai``.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from carrousel.bio.bed import Intervals
from carrousel.bio.dna import AMBIGUOUS, encode, reverse_complement
from carrousel.bio.errors import FastaFormatError, TrainingDataError
from carrousel.bio.fasta import check_fasta_file, iter_chunks
from carrousel.bio.fasta_bytes import compression, letters_fix
from carrousel.bio.genome_index import StaleIndexError, UnindexableError, build_faidx, open_faidx
from carrousel.bio.twobit import TwoBit, is_twobit
from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.paths import is_gzip
from carrousel.core.text import name_some

__all__ = ["MAX_WHOLE_BASES", "Genome", "open_genome"]

logger = logging.getLogger(__name__)

MAX_WHOLE_BASES = 50_000_000  # a FASTA that cannot be indexed is read whole only up to this many bases
_PEAKS = "the peaks' coordinates"  # what a genome's positions locate, in the fix for a letter that is no base


def _fresh(index: Path, fasta: Path) -> bool:
    """Whether ``index`` exists and is at least as new as ``fasta``."""
    try:
        return index.stat().st_mtime_ns >= fasta.stat().st_mtime_ns
    except OSError:
        return False


def _index_places(fasta: Path) -> Iterator[Path]:
    """Where the ``.fai`` of ``fasta`` may live, in order: beside it, the carrousel cache, the temp folder."""
    yield fasta.parent / f"{fasta.name}.fai"
    key = hashlib.sha256(str(fasta.resolve()).encode()).hexdigest()[:16]
    from carrousel.core.samples import cache_dir

    yield cache_dir() / "fai" / f"{fasta.name}.{key}.fai"
    yield Path(tempfile.gettempdir()) / "carrousel-fai" / f"{fasta.name}.{key}.fai"


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (made if missing): tried, not guessed from modes."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


class Genome:
    """A genome FASTA read by position: record lengths from its index, windows read on demand.

    Open one with :meth:`open` (indexed, the default) or :meth:`read_whole` (every record in memory, for
    files that cannot be indexed); use it as a context manager, or :meth:`close` it.

    Attributes:
        path: the FASTA file.
        lengths: length of every non-empty record, in file order.
        index: the ``.fai`` in use (``None`` for a ``.2bit`` file, its own index, and for records held in
            memory).
    """

    def __init__(
        self,
        path: Path,
        lengths: dict[str, int],
        faidx: Any = None,
        records: dict[str, np.ndarray] | None = None,
        index: Path | None = None,
    ) -> None:
        self.path = path
        self.lengths = lengths
        self.index = index
        self._faidx = faidx
        self._records = records

    @classmethod
    @check_args
    def open(cls, path: str | Path, max_whole_bases: int | None = None) -> Genome:
        """Opens ``path`` for reading by position, building its index when it has none.

        Args:
            path: FASTA, BGZF-compressed FASTA, UCSC ``.2bit``, or (small) gzipped FASTA.
            max_whole_bases: most bases of a FASTA that cannot be indexed read whole instead (default
                :data:`MAX_WHOLE_BASES`).

        Raises:
            FastaFormatError: the file is missing or unreadable, is not FASTA, has duplicate record names,
                or cannot be indexed and holds more than ``max_whole_bases`` bases.
        """
        p = check_fasta_file(path)
        if is_twobit(p):  # a UCSC .2bit genome is its own index
            tb = TwoBit.open(p)
            return cls(p, {name: size for name, size in tb.lengths.items() if size}, faidx=tb)
        limit = MAX_WHOLE_BASES if max_whole_bases is None else max_whole_bases
        kind = compression(p)
        gz_name = is_gzip(p) or p.suffix.lower() == ".bgz"
        if kind == "gzip" or (kind == "bgzf" and not gz_name):
            if kind == "bgzf":
                why, fix = "is BGZF but not named *.gz, so it is not read by position", "name it *.gz"
            else:
                why = "is gzip-compressed (not BGZF), so it cannot be read by position"
                fix = "decompress it (`gunzip`) or compress it with `bgzip` (from htslib) instead of gzip"
            return cls._whole(p, limit, why, fix)
        if kind == "none" and is_gzip(p):
            return cls.read_whole(p)  # the streaming reader names the problem (not gzip)
        try:
            return cls._indexed(p, bgzf=kind == "bgzf")
        except UnindexableError as exc:
            why = f"cannot be indexed ({exc})"
            fix = "rewrite it with one line width (e.g. `seqkit seq -w 60`)"
            if "before the first sequence" in str(exc):  # pyfaidx takes no '#' comment lines
                fix = "delete the comment lines before the first '>' header (the index cannot skip them)"
            return cls._whole(p, limit, why, fix)

    @classmethod
    def _whole(cls, p: Path, max_bases: int, why: str, fix: str) -> Genome:
        genome = cls.read_whole(p, max_bases, f"{p} {why} and holds over {max_bases:,} bases; {fix}")
        total = sum(genome.lengths.values())
        logger.info("%s %s; read whole into memory (%s bases)", p, why, f"{total:,}")
        return genome

    @classmethod
    @check_args
    def read_whole(cls, path: str | Path, max_bases: int | None = None, too_many: str = "") -> Genome:
        """Reads every record of ``path`` into memory with the streaming reader (:mod:`carrousel.bio.fasta`).

        Args:
            path: FASTA or gzipped FASTA.
            max_bases: stop with ``FastaFormatError(too_many)`` past this many bases (``None``: no bound).
            too_many: the message for that error.
        """
        p = check_fasta_file(path)
        records: dict[str, np.ndarray] = {}
        parts: list[np.ndarray] = []  # the current record's chunks, joined when it ends
        total = 0
        for chunk in iter_chunks(p, chunk_size=1 << 22, coordinates=_PEAKS):
            total += chunk.codes.size
            if max_bases is not None and total > max_bases:
                raise FastaFormatError(too_many or f"{p} holds over {max_bases:,} bases")
            parts.append(chunk.codes)
            if chunk.last:
                records[chunk.record] = np.concatenate(parts) if len(parts) > 1 else parts[0]
                parts = []
        return cls(p, {k: int(v.size) for k, v in records.items()}, records=records)

    @classmethod
    def _indexed(cls, p: Path, bgzf: bool) -> Genome:
        """The genome read through its ``.fai`` (and ``.gzi``): a fresh one is used, else one is built."""
        for fai in _index_places(p):
            gzi = fai.with_suffix(".gzi")
            if _fresh(fai, p) and (not bgzf or _fresh(gzi, p)):
                with suppress(StaleIndexError):
                    return cls._from_faidx(p, open_faidx(p, fai, gzi, build=False), fai, bgzf)
            if _writable(fai.parent):
                return cls._from_faidx(p, build_faidx(p, fai, gzi, bgzf), fai, bgzf)
            logger.debug("%s is not writable; the index of %s goes elsewhere", fai.parent, p)
        raise FastaFormatError(f"{p}: no writable folder for its index; set CARROUSEL_CACHE to one")

    @classmethod
    def _from_faidx(cls, p: Path, faidx: Any, fai: Path, bgzf: bool) -> Genome:
        index = faidx.index
        if not bgzf and index:  # an index of another file: its last record ends past this one's end
            last = next(reversed(index.values()))
            if last.offset + last.rlen > p.stat().st_size:
                faidx.close()
                raise StaleIndexError(fai)
        lengths = {name: int(rec.rlen) for name, rec in index.items() if rec.rlen > 0}
        empty = [name for name, rec in index.items() if rec.rlen == 0]
        if not lengths:
            faidx.close()
            raise FastaFormatError(f"{p}: no sequence in any of its {len(index)} record(s)")
        if empty:
            many = len(empty) > 1
            logger.warning(
                "%d FASTA record%s no sequence; skipped: %s",
                len(empty), "s have" if many else " has", name_some(empty, 3, quote=True),
            )  # fmt: skip
        return cls(p, lengths, faidx=faidx, index=fai)

    @property
    def indexed(self) -> bool:
        """Whether windows are read from the file by position (not from records held in memory)."""
        return self._faidx is not None

    @check_args
    def fetch(self, name: str, start: int, end: int) -> np.ndarray:
        """Codes of ``name[start:end]`` (0-based, end excluded, ``0 <= start <= end <= length``).

        Returns:
            ``(end - start,)`` uint8 codes.

        Raises:
            KeyError: no record ``name``.
            ValueError: the range is not within the record.
            FastaFormatError: a letter in the range is no base, or the file is shorter than its index.
        """
        size = self.lengths[name]
        if not 0 <= start <= end <= size:
            raise ValueError(f"{name}:{start}-{end} is not within {name} (0-{size})")
        if self._records is not None:
            return self._records[name][start:end].copy()
        if end == start:
            return np.zeros(0, dtype=np.uint8)
        try:
            text = self._faidx.fetch(name, start + 1, end)
        except (OSError, ValueError) as exc:  # a damaged BGZF block, bytes that are not text
            raise FastaFormatError(f"{self.path}: cannot read {name}:{start}-{end} ({exc})") from None
        try:  # the FASTA fix of a gap (remove it) would shift every later position: N keeps them
            codes = encode(text, name, start, hint=False)
        except FastaFormatError as exc:
            raise FastaFormatError(f"{self.path}: {exc}; {letters_fix(self.path, _PEAKS, text)}") from None
        if codes.size != end - start:
            raise FastaFormatError(
                f"{self.path}: {name}:{start}-{end} reads {codes.size} bases; the file changed after it "
                f"was indexed: delete {self.index} and run again"
            )
        return codes

    @check_args
    def window(self, name: str, start: int, end: int) -> np.ndarray:
        """Codes of ``name[start:end]``, N (code 4) where the range runs off either end of the record."""
        out = np.full(end - start, AMBIGUOUS, dtype=np.uint8)
        lo, hi = max(start, 0), min(end, self.lengths[name])
        if hi > lo:
            out[lo - start : hi - start] = self.fetch(name, lo, hi)
        return out

    @check_args
    def random_windows(
        self, window: int, n: int, rng: np.random.Generator, exclude: Intervals | None = None
    ) -> np.ndarray:
        """``(n, window)`` random windows without N, either strand, none overlapping ``exclude``.

        A record is drawn in proportion to its window starts, then a start in it; windows holding an N
        or overlapping ``exclude`` are drawn again. Only the windows drawn are read.

        Raises:
            TrainingDataError: no record is ``window`` bases long, or too few clean windows were found.
        """
        named = [(name, size) for name, size in self.lengths.items() if size >= window]
        if not named:
            raise TrainingDataError(f"{self.path}: no record is at least {window} bases long")
        sizes = np.array([size - window + 1 for _, size in named], dtype=np.float64)
        cdf = (sizes / sizes.sum()).cumsum()  # rng.choice(len(named), p=...) without its O(records) checks
        cdf /= cdf[-1]
        out = np.empty((n, window), dtype=np.uint8)
        filled = tries = 0
        while filled < n:
            tries += 1
            if tries > 200 * n + 10_000:
                raise TrainingDataError(
                    f"{self.path}: found only {filled} of {n} background windows of {window} bp without N "
                    f"outside the peaks; use a larger genome or give {option('negatives')}"
                )
            name, size = named[int(cdf.searchsorted(rng.random(), side="right"))]
            s = int(rng.integers(size - window + 1))
            if exclude is not None and _overlaps(exclude.get(name), s, s + window):
                continue
            w = self.fetch(name, s, s + window)
            if (w >= AMBIGUOUS).any():
                continue
            out[filled] = reverse_complement(w) if rng.random() < 0.5 else w
            filled += 1
        return out

    def close(self) -> None:
        """Closes the file (a no-op for records held in memory)."""
        if self._faidx is not None:
            self._faidx.close()

    def __enter__(self) -> Genome:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def open_genome(genome: str | Path | Genome) -> Iterator[Genome]:
    """``genome`` itself when already open (left open), else :meth:`Genome.open` of the path (closed after)."""
    if isinstance(genome, Genome):
        yield genome
        return
    with Genome.open(genome) as g:
        yield g


def _overlaps(excluded: tuple[np.ndarray, np.ndarray] | None, start: int, end: int) -> bool:
    if excluded is None:
        return False
    starts, ends = excluded
    i = int(np.searchsorted(starts, end)) - 1  # last interval starting before the window ends
    return i >= 0 and int(ends[i]) > start
