"""Training data sources for ``bio train``: planted motifs, positive/negative FASTA, peaks + genome."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from carrousel.bio.errors import FastaFormatError, ScanConfigError
from carrousel.bio.fasta import encode, iter_records, read_sequences

__all__ = ["fit_windows", "peak_windows", "read_bed", "sequences_to_windows"]

logger = logging.getLogger(__name__)


def fit_windows(seqs: list[np.ndarray], window: int) -> np.ndarray:
    """Centres each sequence in a window of ``window`` bases: longer ones are cut around their centre,
    shorter ones padded with N (code 4).

    Returns:
        ``(len(seqs), window)`` uint8 codes.
    """
    out = np.full((len(seqs), window), 4, dtype=np.uint8)
    for i, s in enumerate(seqs):
        if s.size >= window:
            a = (s.size - window) // 2
            out[i] = s[a : a + window]
        else:
            a = (window - s.size) // 2
            out[i, a : a + s.size] = s
    return out


def sequences_to_windows(path: str | Path, window: int) -> tuple[list[str], np.ndarray]:
    """Reads a FASTA of training sequences (Biopython) into centred windows."""
    names, seqs = read_sequences(path)
    codes = [encode(s, n) for n, s in zip(names, seqs, strict=True)]
    return names, fit_windows(codes, window)


def read_bed(path: str | Path) -> list[tuple[str, int, int, int | None]]:
    """Reads BED / narrowPeak intervals: ``(chrom, start, end, summit_offset or None)``.

    Raises:
        FastaFormatError: on a missing file or malformed line (naming the line).
    """
    p = Path(path)
    if not p.is_file():
        raise FastaFormatError(f"BED file not found: {p}")
    out = []
    for n, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t") if "\t" in line else line.split()
        try:
            chrom, start, end = f[0], int(f[1]), int(f[2])
            summit = int(f[9]) if len(f) >= 10 and int(f[9]) >= 0 else None
        except (IndexError, ValueError) as exc:
            raise FastaFormatError(
                f"{p}, line {n}: not a BED line (chrom, start, end): {line[:60]!r}"
            ) from exc
        if end <= start:
            raise FastaFormatError(f"{p}, line {n}: end {end} is not after start {start}")
        out.append((chrom, start, end, summit))
    if not out:
        raise FastaFormatError(f"{p}: no intervals found")
    return out


def peak_windows(peaks: str | Path, genome: str | Path, window: int) -> np.ndarray:
    """Windows of ``window`` bases centred on each peak's summit (or middle), from the genome.

    Peaks on records missing from the genome are skipped with a warning; windows running off a record's
    end are padded with N.
    """
    intervals = read_bed(peaks)
    wanted = {c for c, *_ in intervals}
    recs = {name: codes for name, codes in iter_records(genome) if name in wanted}
    missing = wanted - set(recs)
    if missing == wanted:
        raise ScanConfigError(
            f"none of the peak chromosomes ({', '.join(sorted(missing)[:3])}) are in {genome}: "
            "use the genome the peaks were called on (BED names must match its FASTA record names)"
        )
    if missing:
        logger.warning("%d peak chromosomes not in the genome; their peaks are skipped", len(missing))
    out = []
    for chrom, start, end, summit in intervals:
        if chrom not in recs:
            continue
        centre = start + (summit if summit is not None else (end - start) // 2)
        a = centre - window // 2
        seq = recs[chrom]
        w = np.full(window, 4, dtype=np.uint8)
        lo, hi = max(a, 0), min(a + window, seq.size)
        if hi > lo:
            w[lo - a : hi - a] = seq[lo:hi]
        out.append(w)
    return np.stack(out)
