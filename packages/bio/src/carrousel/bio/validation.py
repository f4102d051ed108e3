"""Checks of training and evaluation data, made before any training or scoring.

* Training (``bio train``, and the training step of ``bio discover``): both classes present with at least
  :data:`MIN_TRAIN_PER_CLASS` windows each; no sequence shorter than the window (the error names how many
  and the ``--window`` that fits); windows holding only N dropped (a warning naming the first BED lines
  or FASTA records; an error when too few are left); positives and negatives sharing half of the smaller
  set or more refused (fewer shared: a warning with the count).
* Peaks (``--peaks`` on ``--genome``): peaks on records the genome lacks, or starting (or centred) past
  their record's end, are skipped with one warning naming the first BED line; none left is an error
  naming the line and the record's length.
* Evaluation (``bio evaluate``): at least :data:`MIN_EVAL_PER_CLASS` sequences per class (AUROC and AUPRC
  on fewer say nothing), not the same sequences on both sides, and both classes filling the window to
  about the same length (a class padded with far more N is told apart by its padding, not its motif).

Each check raises one line naming the file and the fix; warnings are returned as text for the caller to
log once every check has passed (so a refused run prints its error alone).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np

from carrousel.bio.bed import Peak
from carrousel.bio.bigbed import is_bigbed
from carrousel.bio.errors import BioError, TrainingDataError
from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.text import name_some

__all__ = [
    "MAX_LENGTH_RATIO",
    "MAX_SHARED_FRACTION",
    "MIN_EVAL_PER_CLASS",
    "MIN_TRAIN_PER_CLASS",
    "check_count",
    "check_lengths",
    "check_matched_lengths",
    "check_overlap",
    "drop_only_n",
    "lengths_apart",
    "median_bases",
    "usable_peaks",
]

MIN_TRAIN_PER_CLASS = 20  # windows per class before any training
MIN_EVAL_PER_CLASS = 10  # sequences per class for AUROC / AUPRC
MAX_SHARED_FRACTION = 0.5  # positives also among the negatives, as a fraction of the smaller set
MAX_LENGTH_RATIO = 1.5  # evaluation and enrichment: two sets' median bases, the larger over the smaller


@check_args
def check_lengths(lengths: Sequence[int], window: int, where: str, fix: str | None = None) -> None:
    """Refuses sequences shorter than the training window (padding them with N would teach the model
    where the padding is, not the motif).

    Args:
        lengths: the sequences' lengths.
        window: the training window.
        where: the file and its option, for the message.
        fix: what to do (default: ``give --window SHORTEST or longer sequences``, ``window=SHORTEST`` from
            Python: :func:`~carrousel.core.option_names.option`).

    Raises:
        TrainingDataError: naming how many are shorter, the shortest, and the fix.
    """
    short = [n for n in lengths if n < window]
    if short:
        todo = fix or f"give {option('window', min(short))} or longer sequences"  # window=40 from Python
        raise TrainingDataError(
            f"{len(short)} of {len(lengths)} sequences in {where} are shorter than the {window}-base "
            f"window (shortest {min(short)}); {todo}"
        )


def median_bases(seqs: Sequence[np.ndarray] | np.ndarray) -> float:
    """Median count of bases other than N (code 4) over sequences, or over the rows of ``(n, W)`` windows."""
    return float(np.median([np.count_nonzero(s != 4) for s in seqs]))


def lengths_apart(a: float, b: float) -> bool:
    """Whether two median lengths (:func:`median_bases`) are more than :data:`MAX_LENGTH_RATIO` apart."""
    return max(a, b) > MAX_LENGTH_RATIO * max(min(a, b), 1.0)


def check_matched_lengths(pos: np.ndarray, neg: np.ndarray, error: type[BioError]) -> None:
    """Refuses two classes of windows holding very different numbers of bases (``bio evaluate``).

    Sequences shorter than the window are padded with N: when one class is padded far more than the other,
    a model (and a PWM's best score, taken over fewer positions) separates the padding, not the motif, and
    the AUROC says nothing of the motif (26-base CRP sites against 200-base E. coli windows: 0.97 for a
    model that scores 0.58 against 26-base windows).

    Args:
        pos: ``(P, W)`` codes of the positive windows (4 = N).
        neg: ``(Q, W)`` codes of the negative windows.
        error: the error class to raise.

    Raises:
        error: when the larger median count of bases other than N exceeds the smaller by more than
            :data:`MAX_LENGTH_RATIO`.
    """
    med = [median_bases(x) for x in (pos, neg)]
    if lengths_apart(*med):
        raise error(
            f"the positives hold {med[0]:g} bases of the {pos.shape[1]}-base window (median) and the "
            f"negatives {med[1]:g}, the rest N: the scores would tell the padding apart, not the motif; "
            f"give both classes sequences of about the same length (e.g. cut the longer ones to {min(med):g} "
            f"bases, or give {pos.shape[1]} or more each)"
        )


def drop_only_n(x: np.ndarray, where: str, labels: Sequence[str] = ()) -> tuple[np.ndarray, list[str]]:
    """``x`` without the windows holding no A, C, G or T, and a warning when some were dropped.

    Args:
        x: ``(N, W)`` window codes (4 = N).
        where: the class and its source (``"--peaks peaks.bed"``), for the message.
        labels: where each window came from (``"line 7"``, ``"record 'r2'"``); the warning names the first
            3 dropped (``line 4, line 9 and 2 more``; none given: the count alone).
    """
    keep = (x < 4).any(axis=1)
    if keep.all():
        return x, []
    n = int((~keep).sum())
    which = f": {name_some([labels[int(i)] for i in np.flatnonzero(~keep)], 3)}" if labels else ""
    return x[keep], [
        f"{n} of {x.shape[0]} sequences in {where} hold only N (no A, C, G or T){which}; dropped"
    ]


@check_args
def check_count(
    n: int,
    minimum: int,
    where: str,
    error: type[BioError] = TrainingDataError,
    notes: Sequence[str] = (),
    purpose: str = "to train",
) -> None:
    """Fails when a class has fewer than ``minimum`` examples.

    Args:
        n: examples of the class.
        minimum: the least accepted.
        where: the class and its source (``"--positives pos.fa"``), for the message.
        error: the error class to raise.
        notes: why examples were dropped, added to the message.
        purpose: what the examples are for, for the message.
    """
    if n < minimum:
        why = f" ({'; '.join(notes)})" if notes else ""
        raise error(
            f"{where}: {n} usable sequence(s){why}; at least {minimum} per class are needed {purpose}; "
            "give more data"
        )


def check_overlap(
    pos: Sequence[Hashable], neg: Sequence[Hashable], where: str, error: type[BioError] = TrainingDataError
) -> list[str]:
    """Refuses positives and negatives that are largely the same sequences.

    Args:
        pos: the positives (window bytes or sequence strings).
        neg: the negatives, of the same kind.
        where: the two sources, for the message (``"--positives a.fa and --negatives b.fa"``).
        error: the error class to raise.

    Returns:
        A warning when a few positives are also negatives (none when no sequence is shared).

    Raises:
        error: when the shared positives are at least :data:`MAX_SHARED_FRACTION` of the smaller set.
    """
    negatives = set(neg)
    shared = sum(1 for s in pos if s in negatives)
    if not shared:
        return []
    text = f"{shared} of {len(pos)} positive sequences also appear among the negatives ({where})"
    if shared >= MAX_SHARED_FRACTION * min(len(pos), len(neg)):
        raise error(f"{text}; the two classes must be different sequences: check the files")
    return [f"{text}; they are kept in both classes"]


def _other_naming(peaks: Sequence[Peak], lengths: dict[str, int]) -> dict[str, str]:
    """Peak record name -> the genome's, for the names found in the genome under the other naming."""
    out = {}
    for chrom in {p.chrom for p in peaks}:
        other = {"chrM": "MT", "MT": "chrM"}.get(chrom) or (
            chrom[3:] if chrom.startswith("chr") else f"chr{chrom}"
        )
        if other in lengths:
            out[chrom] = other
    return dict(sorted(out.items()))


def usable_peaks(
    peaks: Sequence[Peak], lengths: dict[str, int], bed: str | Path, genome: str | Path
) -> tuple[list[Peak], list[str]]:
    """The peaks that lie on a record of the genome (clipped to its end), with warnings for the others.

    A peak is skipped when the genome has no record of its name, or when it starts (or its summit or
    middle lies) at or past its record's end; a point (``start == end``) only past it, as one at the
    record's length (after its last base) is valid BED, read like one at 0 (before the first base). When
    no peak's record name is in the genome but some are once the UCSC and Ensembl namings are swapped
    (``chr1`` / ``1``, ``chrX`` / ``X``, ``chrM`` / ``MT``), the peaks are read in the genome's naming,
    and the first warning says so.

    Args:
        peaks: the BED lines (:func:`carrousel.bio.bed.read_peaks`).
        lengths: length of every record of the genome (their names are quoted when no peak matches).
        bed: the BED file, for messages.
        genome: the genome FASTA, for messages.

    Raises:
        TrainingDataError: no peak lies on a record of the genome, or every one is centred past its end
            (naming the first BED line, its centre and the record's length).
    """
    notes = []
    if not any(p.chrom in lengths for p in peaks) and (alias := _other_naming(peaks, lengths)):
        shown = name_some((f"{a} as {b}" for a, b in alias.items()), 3)
        notes.append(
            f"no peak chromosome of {bed} is a record of {genome}, which names them the other way (UCSC chr1 / "
            f"Ensembl 1): read {shown}"
        )
        peaks = [p._replace(chrom=alias.get(p.chrom, p.chrom)) for p in peaks]
    missing = sorted({p.chrom for p in peaks} - set(lengths))
    on_genome = [p for p in peaks if p.chrom in lengths]
    if not on_genome:
        names = list(lengths)  # what the genome calls its records: often a near miss (chr1 / 1, gi|..|ACC|)
        raise TrainingDataError(
            f"none of the peak chromosomes ({name_some(missing, 3)}) are in {genome}, whose records are "
            f"{name_some(names, 3)}: use the genome the peaks were called on (BED names must match "
            "its FASTA record names)"
        )
    kept, past = [], []  # a window is centred on each peak (Peak.centre), so its centre is checked
    unit = "record" if is_bigbed(bed) else "line"  # a bigBed's peaks are numbered by record
    for p in on_genome:
        size = lengths[p.chrom]
        # the last position a peak may start or centre at; a point may sit after the last base (as at 0
        # it sits before the first)
        last = size if p.start == p.end else size - 1
        if p.start > last or p.centre > last:
            past.append(p)
        else:
            kept.append(p._replace(end=min(p.end, size)))
    first = past[0] if past else None
    if first is not None and not kept:
        raise TrainingDataError(
            f"{bed}, {unit} {first.line}: peak {first.chrom}:{first.start}-{first.end} is centred at "
            f"{first.centre} (summit, else midpoint), past the end of {first.chrom} ({lengths[first.chrom]:,} "
            f"bases in {genome}), as are all {len(past)} peaks on the genome; use the genome the peaks were "
            "called on"
        )
    if missing:
        n = sum(1 for p in peaks if p.chrom not in lengths)
        notes.append(
            f"{n} of {len(peaks)} peaks lie on records not in {genome} ({name_some(missing, 3)}); skipped"
        )
    if first is not None:
        notes.append(
            f"{len(past)} of {len(peaks)} peaks are centred (summit, else midpoint) past their chromosome's "
            f"end, where no window can be centred (first: {bed}, {unit} {first.line}, "
            f"{first.chrom}:{first.start}-{first.end} centred at {first.centre}, {first.chrom} is "
            f"{lengths[first.chrom]:,} bases); "
            "skipped: use the genome the peaks were called on (a peak centred inside is kept, clipped at the end)"
        )
    return kept, notes
