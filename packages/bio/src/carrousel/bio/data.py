"""Training data of ``bio train`` and ``bio discover``: FASTA sequences and BED peaks as centred windows
(files read by :mod:`carrousel.bio.fasta` and :mod:`carrousel.bio.bed`),
random and GC-matched genome windows (never overlapping excluded regions), planted motif instances in
genomic background, and the assembly of a labelled training set from the sources of a
:class:`~carrousel.bio.config.TrainDataConfig`.

Every function that draws at random takes a ``numpy.random.Generator`` (or a seed), so a fixed seed
gives the same windows every time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.bed import Intervals, Peak, merge_intervals, read_peaks
from carrousel.bio.bigbed import is_bigbed
from carrousel.bio.config import SynthConfig, TrainDataConfig
from carrousel.bio.config_checks import no_training_source
from carrousel.bio.dna import gc_fraction
from carrousel.bio.errors import MotifError, TrainConfigError
from carrousel.bio.fasta import encode, read_sequences
from carrousel.bio.genome import Genome, open_genome
from carrousel.bio.motifs import Motif
from carrousel.bio.synth import dinucleotide_shuffle, plant_dataset
from carrousel.bio.validation import (
    MIN_TRAIN_PER_CLASS,
    check_count,
    check_lengths,
    check_overlap,
    drop_only_n,
    usable_peaks,
)
from carrousel.core.args import check_args
from carrousel.core.bundle import file_sha256
from carrousel.core.option_names import named_path, option

__all__ = [
    "TrainingSet",
    "default_genome",
    "discover_windows",
    "fit_windows",
    "gc_matched_windows",
    "genome_windows",
    "peak_windows",
    "planted_dataset",
    "sequences_to_windows",
    "training_set",
]

logger = logging.getLogger(__name__)


def default_genome() -> Path:
    """The E. coli 536 sample genome (``carrousel-data fetch bio``): background of planted training."""
    from carrousel.core.samples import sample_path

    return sample_path("bio.ecoli")


@check_args
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


@check_args
def sequences_to_windows(path: str | Path, window: int) -> tuple[list[str], np.ndarray]:
    """Reads a FASTA of training sequences (Biopython) into centred windows."""
    names, seqs = read_sequences(path)
    codes = [encode(s, n) for n, s in zip(names, seqs, strict=True)]
    return names, fit_windows(codes, window)


@check_args
def peak_windows(peaks: str | Path, genome: str | Path | Genome, window: int) -> np.ndarray:
    """Windows of ``window`` bases centred on each peak's summit (or middle), from the genome.

    Only the peaks' windows are read (:class:`~carrousel.bio.genome.Genome`: by position through the
    genome's index). Peaks on records missing from the genome, or past their record's end, are skipped
    with a warning; windows running off a record's end are padded with N.

    Raises:
        BedFormatError: a line of ``peaks`` is not an interval.
        TrainingDataError: when no peak lies on a record of the genome.
    """
    x, notes, _ = _peak_windows(read_peaks(peaks), peaks, genome, window)
    for note in notes:
        logger.warning("%s", note)
    return x


def _peak_windows(
    peaks: list[Peak], bed: str | Path, genome: str | Path | Genome, window: int
) -> tuple[np.ndarray, list[str], list[Peak]]:
    """``(windows, warnings, peaks used)``: the checks of :func:`carrousel.bio.validation.usable_peaks`
    on the record lengths of the genome's index, then each window read by position."""
    with open_genome(genome) as g:
        kept, notes = usable_peaks(peaks, g.lengths, bed, g.path)
        out = np.empty((len(kept), window), dtype=np.uint8)
        for i, p in enumerate(kept):
            a = _window_start(p, window)
            out[i] = g.window(p.chrom, a, a + window)
    return out, notes, kept


def _window_start(p: Peak, window: int) -> int:
    """Where the window of ``window`` bases centred on the peak's summit (or middle) starts."""
    return p.centre - window // 2


def _training_windows(path: str | Path, window: int, where: str) -> tuple[np.ndarray, list[str]]:
    """A training FASTA as windows, checked: none shorter than the window, enough with some base."""
    names, seqs = read_sequences(path)
    check_lengths([len(s) for s in seqs], window, where)
    x, notes = drop_only_n(
        fit_windows([encode(s, n) for n, s in zip(names, seqs, strict=True)], window),
        where,
        [f"record {n!r}" for n in names],
    )
    check_count(x.shape[0], MIN_TRAIN_PER_CLASS, where, notes=notes)
    return x, notes


@check_args
def genome_windows(
    path: str | Path | Genome,
    window: int,
    n: int,
    rng: np.random.Generator,
    exclude: Intervals | None = None,
) -> np.ndarray:
    """``(n, window)`` random windows without N from a genome of any size, both strands.

    Draws a record in proportion to its length and a position in it (from the index), and reads only
    the windows drawn (:meth:`carrousel.bio.genome.Genome.random_windows`).

    Args:
        path: FASTA to draw from (or an open :class:`~carrousel.bio.genome.Genome`).
        window: window width.
        n: number of windows.
        rng: random generator.
        exclude: regions (e.g. peaks) that no window may overlap, from :func:`merge_intervals`.

    Raises:
        TrainingDataError: when no record is long enough, or too few clean windows lie outside ``exclude``.
    """
    with open_genome(path) as g:
        return g.random_windows(window, n, rng, exclude)


@check_args
def gc_matched_windows(
    genome: str | Path | Genome,
    targets: np.ndarray,
    n_per: int,
    rng: np.random.Generator,
    exclude: Intervals | None = None,
) -> np.ndarray:
    """Genome windows whose GC content matches each target window (within 2.5%, nearest otherwise).

    A window's GC content is the share of G and C among its bases other than N, so that a target padded
    with N (a peak near a record's end) or holding an N run is matched by its sequence, not its padding.

    The candidates are :func:`genome_windows` (random record and position, read by position): memory
    grows with the number of targets, never with the genome.

    Args:
        genome: FASTA to draw from (or an open :class:`~carrousel.bio.genome.Genome`).
        targets: ``(m, w)`` codes of the windows to match.
        n_per: background windows per target.
        rng: random generator.
        exclude: regions no background window may overlap (the peaks), from :func:`merge_intervals`.
    """
    w = targets.shape[1]
    pool = genome_windows(genome, w, max(20 * targets.shape[0] * n_per, 2000), rng, exclude)
    pool_gc = gc_fraction(pool)
    order = np.argsort(pool_gc)
    sorted_gc = pool_gc[order]
    tgc = gc_fraction(targets)
    used = np.zeros(pool.shape[0], dtype=bool)
    picks = []
    for g in np.repeat(tgc, n_per):
        j = int(np.searchsorted(sorted_gc, g))
        for d in range(pool.shape[0]):
            cand = [j + d, j - d - 1]
            hit = next((c for c in cand if 0 <= c < pool.shape[0] and not used[order[c]]), None)
            if hit is not None:
                used[order[hit]] = True
                picks.append(order[hit])
                break
    return pool[np.array(picks, dtype=np.int64)]


def planted_dataset(
    motifs: Sequence[Motif], genome: str | Path, cfg: SynthConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Planted training set: motif instances in real genomic windows, with three kinds of negatives.

    Positives: a genomic window with one instance of motif ``k`` (sampled from its frequencies, random
    strand and position), sometimes a second motif as well. Negatives: dinucleotide-shuffled positives,
    plain genomic windows, and windows with a decoy (the motif's columns shuffled) planted.

    Returns:
        ``(x (N, window) uint8 codes, y (N, K) float32 multi-task labels)``.
    """
    cfg = cfg or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    K = len(motifs)
    w = cfg.window
    if max(m.length for m in motifs) > w:
        raise MotifError(
            f"a motif is longer than the training window ({w}); give a larger {option('window')}"
        )
    n_pos = cfg.n_per_motif * K
    bg = genome_windows(genome, w, n_pos + cfg.n_background + cfg.n_decoy, rng)
    return plant_dataset(motifs, bg, cfg, rng)


@dataclass
class TrainingSet:
    """Labelled windows for training, with what the model is calibrated on and where they came from.

    Attributes:
        x: ``(N, W)`` uint8 codes.
        y: ``(N, K)`` float32 0/1 labels, one column per task.
        tasks: one motif per task (planted training), the first named motif, or none (derived from the
            trained filters).
        seeds: motifs whose log-odds seed the first filters.
        null_source: ``(M, W)`` windows shuffled for the null calibration.
        sources: provenance: the input files with their sha256.
        negatives: where the negatives came from (the file as its caller named it: ``"--negatives FILE"``
            in a command, ``"negatives='FILE'"`` to a Python caller; ``"GC-matched genome windows"``,
            ``"shuffled positives"`` or ``"planted"``).
        real_negatives: the negatives are real sequence (a file or genome windows): shuffled positives are
            added as further training negatives and the held-out negatives become the background null.
        background: ``(M, W)`` real background windows not trained on (fresh genome windows: GC-matched
            to the positives, or plain with planted training), stored as scored as the model's
            background null (else the held-out negatives are).
    """

    x: np.ndarray
    y: np.ndarray
    tasks: list[Motif]
    seeds: list[Motif]
    null_source: np.ndarray
    sources: dict[str, Any] = field(default_factory=dict)
    negatives: str = "planted"
    real_negatives: bool = False
    background: np.ndarray | None = None


def _source(path: str | Path) -> dict[str, str]:
    return {"path": str(path), "sha256": file_sha256(path)}


@check_args
def training_set(cfg: TrainDataConfig, motifs: Sequence[Motif], seed: int = 0) -> TrainingSet:
    """Builds the training windows from one of three sources.

    * ``positives`` (+ ``negatives``) FASTA: one task; negatives default to GC-matched windows of
      ``genome`` (when given) or dinucleotide-shuffled positives.
    * ``peaks`` + ``genome`` (default genome: the E. coli sample): windows at the peaks' summits, one
      task; GC-matched genome background that never overlaps a peak or its window.
    * planted ``motifs`` in windows of ``genome`` (default: the E. coli sample): one task per motif, with
      shuffled, plain-genome and decoy negatives.

    Args:
        cfg: the sources and window sizes.
        motifs: the resolved ``cfg.motifs`` (planted tasks, or filter seeds with the other sources).
        seed: random seed.

    Every source is checked before any window is drawn (:mod:`carrousel.bio.validation`): at least
    20 windows per class, no sequence shorter than the window, no window of only N, positives and negatives
    not largely the same sequences, peaks on the genome's records and within them.

    Raises:
        TrainConfigError: no source, or peaks without a genome.
        TrainingDataError: a check above fails (one line naming the file and the fix).
    """
    rng = np.random.default_rng(seed)
    named = list(motifs)
    window = cfg.window
    genome: str | Path | None = cfg.genome
    if genome is None and cfg.positives is None:
        genome = default_genome()
    sources: dict[str, Any] = {}
    notes: list[str] = []
    background: np.ndarray | None = None  # real windows never trained on, for the background null
    if cfg.positives is not None or cfg.peaks is not None:
        kept: list[Peak] = []
        if cfg.positives is not None:
            where = named_path(cfg.positives, option("positives"))
            pos, notes = _training_windows(cfg.positives, window, where)
            sources["positives"] = _source(cfg.positives)
        else:
            assert cfg.peaks is not None
            if genome is None:
                raise TrainConfigError(
                    f"{option('peaks')} needs {option('genome')} to read the peak sequences from"
                )
            where = named_path(cfg.peaks, option("peaks"))
            pos, notes, kept = _peak_windows(read_peaks(cfg.peaks), cfg.peaks, genome, window)
            unit = "record" if is_bigbed(cfg.peaks) else "line"  # a bigBed's peaks are numbered by record
            pos, dropped = drop_only_n(pos, where, [f"{unit} {p.line}" for p in kept])
            notes += dropped
            check_count(pos.shape[0], MIN_TRAIN_PER_CLASS, where, notes=notes)
            sources["peaks"] = _source(cfg.peaks)
        if cfg.negatives is not None:
            neg_where = named_path(cfg.negatives, option("negatives"))
            neg, more = _training_windows(cfg.negatives, window, neg_where)
            pair = f"{where} and {neg_where}"  # where: the positives' (--positives or --peaks)
            notes += more + check_overlap([w.tobytes() for w in pos], [w.tobytes() for w in neg], pair)
            sources["negatives"] = _source(cfg.negatives)
            negatives = neg_where  # --negatives FILE in a command, negatives='FILE' to a Python caller
        elif genome is not None:  # background windows never overlap a peak, nor a positive window
            ats = [(p, _window_start(p, window)) for p in kept]
            spans = [(p.chrom, max(min(p.start, a), 0), max(p.end, a + window)) for p, a in ats]
            exclude = merge_intervals(spans) if kept else None
            neg = gc_matched_windows(genome, pos, 1, rng, exclude)
            negatives = "GC-matched genome windows"
            # fresh GC-matched windows, never trained on: the model's background null (1,000 or more)
            per = min(-(-1000 // pos.shape[0]), 10)
            background = gc_matched_windows(genome, pos, per, np.random.default_rng(seed + 2), exclude)
        else:
            neg = np.stack([dinucleotide_shuffle(w, rng) for w in pos])
            negatives = "shuffled positives"
        x = np.concatenate([pos, neg])
        y = np.concatenate([np.ones((pos.shape[0], 1)), np.zeros((neg.shape[0], 1))]).astype(np.float32)
        null_source = neg
        tasks = named[:1]  # the task's motif; every named motif seeds the filters
    else:
        if not named:
            raise TrainConfigError(no_training_source())
        assert genome is not None
        n_neg = cfg.n_negatives or max(cfg.per_motif * len(named) // 4, 500)
        if cfg.per_motif < MIN_TRAIN_PER_CLASS or 2 * n_neg + n_neg // 2 < MIN_TRAIN_PER_CLASS:
            raise TrainConfigError(
                f"{option('per_motif', cfg.per_motif)} and {option('n_negatives', cfg.n_negatives)}: planted training needs "
                f"at least {MIN_TRAIN_PER_CLASS} windows per class; raise them"
            )
        scfg = SynthConfig(
            window=window,
            n_per_motif=cfg.per_motif,
            n_shuffled=n_neg,
            n_background=n_neg,
            n_decoy=n_neg // 2,
            seed=seed,
        )
        x, y = planted_dataset(named, genome, scfg)
        # calibration null from fresh genome windows (not seen in training), shuffled when fitting
        null_source = genome_windows(genome, window, 4000, np.random.default_rng(seed + 1))
        tasks = named
        negatives = "planted"
    if genome is not None and (cfg.positives is None or cfg.negatives is None):  # the genome was read
        sources["genome"] = _source(genome)
    for note in notes:  # every check passed: the warnings of the data kept
        logger.warning("%s", note)
    real = negatives not in ("planted", "shuffled positives")
    if negatives == "planted":
        background = null_source
    return TrainingSet(x, y, tasks, named, null_source, sources, negatives, real, background)


@check_args
def discover_windows(
    window: int, sequences: str | Path | None, motifs: Sequence[Motif], seed: int = 0
) -> np.ndarray:
    """Windows ``bio discover`` reads a model's filters on: the ``sequences`` FASTA, or else windows of
    the E. coli sample with the model's motifs planted (plain genome windows when it has none).

    Returns:
        ``(N, window)`` uint8 codes.
    """
    if sequences is not None:
        return sequences_to_windows(sequences, window)[1]
    if motifs and all(m.source != "model" for m in motifs):
        cfg = SynthConfig(n_per_motif=100, n_shuffled=0, n_background=0, n_decoy=0, seed=seed)
        return planted_dataset(motifs, default_genome(), cfg)[0]
    return genome_windows(default_genome(), window, 3000, np.random.default_rng(seed))
