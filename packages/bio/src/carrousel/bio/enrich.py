"""Known-motif enrichment (``bio enrich``, as HOMER's known-motif table): for each motif, how many target
sequences and how many background sequences hold at least one PWM hit, the fold enrichment and a one-sided
hypergeometric p-value (Fisher's exact test), with Benjamini-Hochberg q-values over the motifs.

The hits come from the PWM scanner of :mod:`carrousel.bio.pwm` (exact p-values, both strands, windows
with N never scored): the targets and the background are packed into one sequence, each record followed
by an N so that no window spans two records, and every motif is scanned once over the whole of it; a hit's
start tells its record. Motifs are scanned on a few worker threads (the compiled scan releases the GIL).
A background given must be about as long as the targets (a longer sequence holds a hit more often).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from carrousel.bio.config import BackgroundKind, EnrichConfig
from carrousel.bio.enrich_stats import fold_enrichment, hypergeometric_log_sf
from carrousel.bio.errors import SequenceSetError
from carrousel.bio.motif_names import motif_label
from carrousel.bio.motifs import Motif
from carrousel.bio.pwm import IntegerPWM, SequenceCodes, scan_windows, warn_unreachable
from carrousel.bio.pwm_null import Background
from carrousel.bio.synth import dinucleotide_shuffle, dinucleotide_shuffle_runs
from carrousel.bio.validation import lengths_apart, median_bases
from carrousel.core.args import check_args
from carrousel.core.metrics import benjamini_hochberg
from carrousel.core.option_names import option
from carrousel.core.text import name_some

__all__ = [
    "MIN_SEQUENCES",
    "TSV_COLUMNS",
    "EnrichResult",
    "MotifEnrichment",
    "PackedSequences",
    "composition",
    "enrich_motifs",
    "enrich_sets",
    "fold_enrichment",
    "hypergeometric_log_sf",
    "shuffled_background",
]

logger = logging.getLogger(__name__)

MIN_SEQUENCES = 10  # target and background sequences each, for a test that can say anything
_N = np.array([4], dtype=np.uint8)  # the separator after each record (an N: no window spans it)


@dataclass(frozen=True)
class MotifEnrichment:
    """One motif's line of the enrichment table."""

    motif_id: str  # JASPAR ID (or the motif file's ID)
    motif_name: str  # TF name
    target_hits: int  # target sequences with at least one hit
    targets: int  # target sequences
    background_hits: int  # background sequences with at least one hit
    background: int  # background sequences
    fold: float  # target fraction / background fraction (background floored at half a sequence)
    log10_pvalue: float  # log10 of the one-sided hypergeometric p-value (finite even where p underflows)
    pvalue: float  # P(at least target_hits of the targets hold a hit | hits in both sets), hypergeometric
    qvalue: float = 1.0  # Benjamini-Hochberg over all motifs tested

    @property
    def target_percent(self) -> float:
        """Percent of the targets with a hit."""
        return 100.0 * self.target_hits / self.targets

    @property
    def background_percent(self) -> float:
        """Percent of the background sequences with a hit."""
        return 100.0 * self.background_hits / self.background

    def row(self) -> dict[str, object]:
        """JSON-ready fields (all finite), percentages and fold rounded to 0.01, p-values to 4 digits."""
        return {
            "motif_id": self.motif_id,
            "motif_name": self.motif_name,
            "target_hits": self.target_hits,
            "targets": self.targets,
            "target_percent": round(self.target_percent, 2),
            "background_hits": self.background_hits,
            "background": self.background,
            "background_percent": round(self.background_percent, 2),
            "fold": round(self.fold, 3),
            "log10_pvalue": round(self.log10_pvalue, 3) or 0.0,
            "pvalue": float(f"{self.pvalue:.4g}"),
            "qvalue": float(f"{self.qvalue:.4g}"),
        }


@check_args
def shuffled_background(
    targets: Sequence[np.ndarray], per_sequence: int, seed: int = 0, mask_lower: bool = False
) -> list[np.ndarray]:
    """``per_sequence`` dinucleotide shuffles of every target (the same dinucleotide counts, no motif
    order): a background with the targets' composition. With ``mask_lower`` (masked bases read as N) each
    run of A/C/G/T is shuffled on its own and every N stays in place, so that a shuffle is tested at the
    same positions as its target (whole shuffles move the N, and with them the windows tested)."""
    rng = np.random.default_rng(seed)
    shuffle = dinucleotide_shuffle_runs if mask_lower else dinucleotide_shuffle
    return [shuffle(t, rng) for t in targets for _ in range(per_sequence)]


class PackedSequences:
    """Records packed into one scannable sequence, each followed by an N.

    Args:
        records: ``(n_i,)`` uint8 base codes of each record.
    """

    def __init__(self, records: Sequence[np.ndarray]) -> None:
        lengths = np.array([r.size for r in records], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
        parts = [p for r in records for p in (np.asarray(r, dtype=np.uint8), _N)]
        self.codes = SequenceCodes(np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8))
        self.n_records = len(records)

    @check_args
    def records_with_hits(self, pwm: IntegerPWM, threshold: int) -> np.ndarray:
        """``(n_records,)`` bool: records holding a window (either strand) scoring at least ``threshold``."""
        out = np.zeros(self.n_records, dtype=bool)
        n_win = self.codes.n - pwm.length + 1
        if n_win <= 0 or threshold > pwm.hi:
            return out
        hist = np.zeros(pwm.sf.size, dtype=np.int64)
        starts, _, _ = scan_windows(pwm, self.codes, n_win, threshold, hist, every_score=False)
        out[np.searchsorted(self.starts, starts, side="right") - 1] = True
        return out


@check_args
def enrich_motifs(
    motifs: Sequence[Motif],
    targets: Sequence[np.ndarray],
    background: Sequence[np.ndarray],
    pvalue: float = 1e-4,
    pwm_background: Background | None = None,
    pseudocount: float = 0.1,
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
) -> list[MotifEnrichment]:
    """The enrichment of every motif in ``targets`` over ``background``, sorted by p-value.

    Args:
        motifs: the motifs to test.
        targets: ``(n_i,)`` uint8 codes of each target sequence.
        background: ``(m_j,)`` uint8 codes of each background sequence.
        pvalue: a sequence holds a hit where a window's exact PWM p-value is at most this.
        pwm_background: 0-order base composition of the PWM scores and p-values (uniform if None).
        pseudocount: total pseudocount per motif column, spread by ``pwm_background``.
        progress: called with 1 after each motif.
        threads: worker threads (default: CPU count, at most 4).

    Returns:
        One :class:`MotifEnrichment` per motif, by increasing p-value (then decreasing fold, then ID),
        with BH q-values over all of them.
    """
    bg = pwm_background or Background.uniform()
    packed = PackedSequences([*targets, *background])
    n_t, n_b = len(targets), len(background)
    total = n_t + n_b

    def one(pw: IntegerPWM) -> MotifEnrichment:
        motif = pw.motif
        hit = packed.records_with_hits(pw, pw.threshold(pvalue))
        k, b = int(hit[:n_t].sum()), int(hit[n_t:].sum())
        log_p = hypergeometric_log_sf(k, n_t, k + b, total)
        return MotifEnrichment(
            motif_id=motif.id,
            motif_name=motif.name,
            target_hits=k,
            targets=n_t,
            background_hits=b,
            background=n_b,
            fold=fold_enrichment(k, n_t, b, n_b),
            log10_pvalue=log_p / math.log(10.0),
            pvalue=math.exp(log_p),
        )

    workers = max(1, threads if threads is not None else min(os.cpu_count() or 1, 4))
    rows: list[MotifEnrichment] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="carrousel-enrich") as pool:
        pwms = list(pool.map(lambda m: IntegerPWM(m, bg, pseudocount), motifs))
        warn_unreachable(pwms, pvalue)  # as bio scan: a motif that can never hit is no 'not enriched'
        _warn_longer(pwms, max((t.size for t in targets), default=0))  # nor one no target can hold
        for row in pool.map(one, pwms):
            rows.append(row)
            if progress is not None:
                progress(1)
    if not rows:
        return rows
    q = benjamini_hochberg(np.array([r.pvalue for r in rows]))
    rows = [replace(r, qvalue=float(qi)) for r, qi in zip(rows, q, strict=True)]
    rows.sort(key=lambda r: (r.log10_pvalue, -r.fold, r.motif_id))
    return rows


@dataclass
class EnrichResult:
    """What ``bio enrich`` found: one :class:`MotifEnrichment` per motif, by p-value, and the set-up."""

    rows: list[MotifEnrichment]  # every motif tested, by increasing p-value
    targets: str  # the targets' FASTA
    n_targets: int  # target sequences
    background: str  # where the background came from (a FASTA, or shuffles of the targets)
    n_background: int  # background sequences
    shuffles: int | None  # dinucleotide shuffles per target (None: a background file)
    pvalue: float  # the PWM hit threshold
    pwm_background: str  # uniform | input
    composition: list[float]  # the PWM background's base probabilities (A, C, G, T)
    pwm_order: int = 0  # the PWM background's Markov order (0: base frequencies; enrich has no order 1)
    pwm_source: str = "uniform"  # what its probabilities were counted on
    bases: tuple[int, int] = (0, 0)  # A/C/G/T bases tested in the targets and the background (N excluded)
    mask_lower: bool = False  # soft-masked (lower-case) bases read as N on both sides
    seconds: float = 0.0  # wall time of the scans and tests
    out: str | None = None  # the TSV written, if any
    jaspar_release: str | None = None  # the JASPAR release motif IDs and names were looked up in

    @check_args
    def summary(self, top: int | None = None) -> dict[str, object]:
        """Strict-JSON-ready summary with every motif's row (or the ``top`` first)."""
        rows = self.rows if top is None else self.rows[:top]
        return {
            "targets": {"file": self.targets, "sequences": self.n_targets, "bases": self.bases[0]},
            "background": {
                "source": self.background,
                "sequences": self.n_background,
                "bases": self.bases[1],
                "shuffles_per_sequence": self.shuffles,
            },
            "mask_lower": self.mask_lower,
            "pvalue_threshold": self.pvalue,
            "jaspar_release": self.jaspar_release,
            "pwm_background": {
                "kind": self.pwm_background,
                "order": self.pwm_order,
                "source": self.pwm_source,
                "probabilities": self.composition,
            },
            "motifs": len(self.rows),
            "significant_q05": sum(1 for r in self.rows if r.qvalue <= 0.05),
            "seconds": round(self.seconds, 3),
            "out": self.out,
            "results": [{"rank": i + 1, **r.row()} for i, r in enumerate(rows)],
        }

    def to_tsv(self) -> str:
        """Every motif as a tab-separated table with a header line."""
        lines = ["rank\t" + "\t".join(TSV_COLUMNS)]
        for i, r in enumerate(self.rows):
            row = r.row()
            lines.append("\t".join([str(i + 1), *(str(row[c]) for c in TSV_COLUMNS)]))
        return "\n".join(lines) + "\n"


TSV_COLUMNS = (
    "motif_id",
    "motif_name",
    "target_hits",
    "targets",
    "target_percent",
    "background_hits",
    "background",
    "background_percent",
    "fold",
    "log10_pvalue",
    "pvalue",
    "qvalue",
)


def _warn_longer(pwms: Sequence[IntegerPWM], longest: int) -> None:
    """Warns, in one line, of the motifs longer than every target sequence (``longest`` bases): no target
    can hold a site, so their "0 hits, p = 1" rows say nothing about enrichment."""
    over = [p for p in pwms if p.length > longest]
    if over:
        named = name_some((f"{motif_label(p.motif)} ({p.length} bp)" for p in over), 5)
        logger.warning(
            "%d of %d motifs are longer than every target sequence (longest %d bp), so they give no hits: "
            "%s; their rows say nothing about enrichment: give longer sequences (or shorter motifs)",
            *(len(over), len(pwms), longest, named),
        )


def composition(records: Sequence[np.ndarray]) -> Background:
    """The strand-symmetrised 0-order base composition of ``records`` (codes; N not counted)."""
    codes = np.concatenate([np.asarray(r, dtype=np.uint8) for r in records])
    counts = np.bincount(codes[codes < 4], minlength=4)[:4].astype(np.float64)
    return Background.from_counts(counts + counts[::-1])


def _bases(records: Sequence[np.ndarray]) -> int:
    """A/C/G/T bases of ``records`` (N, IUPAC and masked bases not counted)."""
    return sum(int(np.count_nonzero(np.asarray(r) < 4)) for r in records)


def _check_lengths(targets: Sequence[np.ndarray], background: Sequence[np.ndarray]) -> None:
    """Refuses a background far longer or shorter than the targets: a sequence holds a hit more often the
    longer it is, so the percentages and folds would measure the lengths (26-bp CRP sites against 200-bp
    E. coli windows: the best q-value 2.9e-05 became 0.24)."""
    t, b = median_bases(targets), median_bases(background)
    if lengths_apart(t, b):
        raise SequenceSetError(
            f"the targets hold {t:g} bases (median, N excluded) and the background {b:g}: a longer sequence "
            "holds a hit more often, so the table would compare lengths, not motifs; give a background of "
            f"about the same length (or leave out {option('background')}: shuffles of the targets)"
        )


def enrich_sets(
    cfg: EnrichConfig,
    motifs: Sequence[Motif],
    targets: Sequence[np.ndarray],
    background: Sequence[np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
) -> EnrichResult:
    """:func:`enrich_motifs` with ``cfg``'s thresholds and PWM background; without ``background``,
    ``cfg.shuffles`` dinucleotide shuffles of every target (seeded by ``cfg.seed``) are the background.

    Args:
        cfg: thresholds, PWM background kind, shuffles (its file fields are not read).
        motifs: the motifs to test.
        targets: ``(n_i,)`` uint8 codes of each target.
        background: ``(m_j,)`` uint8 codes of each background sequence, or None.
        progress: called with 1 after each motif.

    Raises:
        SequenceSetError: a background whose median length is more than
            :data:`~carrousel.bio.validation.MAX_LENGTH_RATIO` times the targets' (or less than 1 / that).
    """
    if background is None:
        background = shuffled_background(targets, cfg.shuffles, cfg.seed, cfg.mask_lower)
        source, shuffles = f"dinucleotide shuffles of the targets, {cfg.shuffles} per sequence", cfg.shuffles
    else:
        _check_lengths(targets, background)
        source, shuffles = str(cfg.background or "the background sequences given"), None
    logger.info("background: %s (%d sequences)", source, len(background))
    kind = cfg.pwm_background
    bg = composition([*targets, *background]) if kind is BackgroundKind.input else Background.uniform()
    counted = "the targets and the background, both strands (N not counted)"
    pwm_source = counted if kind is BackgroundKind.input and not bg.fallback else "uniform"
    logger.info("PWM background: %s (A C G T %s)", kind.value, " ".join(f"{x:.3f}" for x in bg.mono))
    t0 = time.perf_counter()
    rows = enrich_motifs(motifs, targets, background, cfg.pvalue, bg, cfg.pseudocount, progress)
    seconds = time.perf_counter() - t0
    logger.info("%d motifs tested in %.1f s", len(rows), seconds)
    return EnrichResult(
        rows=rows,
        targets=str(cfg.targets),
        n_targets=len(targets),
        background=source,
        n_background=len(background),
        shuffles=shuffles,
        pvalue=cfg.pvalue,
        pwm_background=kind.value,
        composition=[float(x) for x in bg.mono],  # as used: the JSON is for scripts (4 decimals before)
        pwm_order=bg.order,
        pwm_source=pwm_source,
        bases=(_bases(targets), _bases(background)),
        mask_lower=cfg.mask_lower,
        seconds=seconds,
        jaspar_release=cfg.jaspar_release,
    )
