"""The null a model scan is calibrated against, and why it was chosen.

A null must represent background, not the targets. A genome is its own background: dinucleotide shuffles
of its windows. A file of peaks is not: its shuffles keep the peaks' composition, which the network also
reads, so that null sits far above real background and most true sites miss the cut. For a peak set the
model's stored real background (held-out negatives of its training) is used, or the user's background
FASTA (``--model-background``), scored unshuffled; a model that stores none falls back to the input's own
shuffles (conservative). A stored shuffled null of the training genome is used only when asked: another
genome's composition makes it invalid for this one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.config import Calibration, ScanConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta import RecordInfo, iter_chunks
from carrousel.bio.models import MotifModel
from carrousel.bio.synth import dinucleotide_shuffle
from carrousel.core.args import check_args
from carrousel.core.option_names import naming_flags, option

__all__ = [
    "PEAK_SET_LENGTH",
    "PEAK_SET_RECORDS",
    "NullChoice",
    "background_windows",
    "choose_null",
    "padded_window",
    "shuffled_windows",
]

logger = logging.getLogger(__name__)

PEAK_SET_RECORDS = 10  # a file of at least this many records ...
PEAK_SET_LENGTH = 5  # ... of median length at most this many windows is a peak set, not a genome
MIN_SHUFFLED = 100  # shuffled windows a genome null needs (else the stored null is kept)

Score = Callable[[np.ndarray], np.ndarray]  # (N, W) codes -> (N, K) logits


@dataclass(frozen=True)
class NullChoice:
    """The null a model scan is calibrated against, and why.

    Attributes:
        calibration: the null logits.
        source: ``"shuffled input"``, ``"stored shuffled"``, ``"stored background"`` or a FASTA path.
        reason: one line saying why this null was used.
        windows: ``(N, W)`` codes of the null windows when scored in this scan (shuffles, a background
            FASTA), else None (a stored null).
        scores: ``(N, K)`` the model's logits of ``windows``, in the same order.
        peak_set: the input is a peak set (many short records), not a genome.
    """

    calibration: NullCalibration
    source: str
    reason: str
    windows: np.ndarray | None = field(default=None, repr=False, compare=False)
    scores: np.ndarray | None = field(default=None, repr=False, compare=False)
    peak_set: bool = False

    def summary(self) -> dict[str, object]:
        """JSON-ready: source, reason and null windows per output."""
        return {"source": self.source, "reason": self.reason, "windows": int(self.calibration.null.shape[1])}


@check_args
def padded_window(codes: np.ndarray, window: int) -> np.ndarray:
    """A record shorter than the window as the model scan tests it: its bases first, then N (code 4)."""
    pad = np.full(window, 4, dtype=np.uint8)
    pad[: codes.size] = codes
    return pad


def _shuffle_padded(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A dinucleotide shuffle of a window's bases, N padding left in place."""
    ok = np.flatnonzero(w < 4)
    if ok.size == w.size:
        return dinucleotide_shuffle(w, rng)
    out = w.copy()
    out[ok[0] : ok[-1] + 1] = dinucleotide_shuffle(w[ok[0] : ok[-1] + 1], rng)
    return out


@check_args
def shuffled_windows(
    path: str | Path,
    window: int,
    n_null: int,
    rng: np.random.Generator,
    records: list[RecordInfo] | None = None,
    mask_lower: bool = False,
) -> np.ndarray | None:
    """Dinucleotide shuffles of ``n_null`` windows drawn uniformly over a whole FASTA in one pass (records
    shorter than the window drawn padded with N, as they are scanned).

    Windows are drawn at random at a rate per base that halves (thinning what was kept) whenever more
    than four times ``n_null`` are held: a uniform sample of the whole file without knowing its length.

    Args:
        path: the FASTA being scanned.
        window: window width.
        n_null: windows wanted.
        rng: random generator.
        records: filled with the records read (names and lengths), when given.
        mask_lower: read soft-masked bases as N (as the scan does), so that no window touching one is drawn.

    Returns:
        ``(M, window)`` codes, or None when fewer than :data:`MIN_SHUFFLED` clean windows exist.
    """
    rate = 1.0
    picks: list[np.ndarray] = []

    def thin() -> None:  # halve the rate: every window kept so far stays with probability 1/2
        nonlocal rate, picks
        rate /= 2
        picks = [w for w, keep in zip(picks, rng.random(len(picks)) < 0.5, strict=True) if keep]

    for chunk in iter_chunks(path, 1 << 21, 0, records=records, mask_lower=mask_lower):
        c = chunk.codes
        n = c.size - window + 1
        while rate * c.size > 4 * n_null or len(picks) > 4 * n_null:  # rate: draws per base
            thin()
        if n <= 0:
            short = chunk.start == 0 and chunk.last and (c < 4).all() and c.size >= window // 2
            if short:  # drawn in proportion to its bases, as windows of long records are
                picks.extend([padded_window(c, window)] * rng.poisson(rate * c.size))
            continue
        for s in rng.integers(0, n, size=rng.poisson(rate * c.size)):
            w = c[s : s + window]
            if (w < 4).all():
                picks.append(w)
    if len(picks) < MIN_SHUFFLED:
        return None
    chosen = rng.choice(len(picks), size=min(n_null, len(picks)), replace=False)
    return np.stack([_shuffle_padded(picks[i], rng) for i in np.sort(chosen)])


@check_args
def background_windows(
    path: str | Path, window: int, n_null: int, rng: np.random.Generator, mask_lower: bool = False
) -> np.ndarray:
    """Real (unshuffled) windows of a background FASTA: every half window along each record (records
    shorter than the window padded with N), at most ``n_null`` of them chosen at random; with
    ``mask_lower`` soft-masked bases read as N, as in the scan, and only windows without one are used.

    Raises:
        ScanConfigError: fewer than 20 usable windows in the file.
    """
    picks: list[np.ndarray] = []
    least = 1.0 if mask_lower else 0.5  # fraction of a window's bases that must be A/C/G/T
    for chunk in iter_chunks(path, 1 << 21, 0, mask_lower=mask_lower):
        c = chunk.codes
        if c.size < window:
            ok = (c < 4).all() if mask_lower else True
            if chunk.start == 0 and chunk.last and ok and (c < 4).sum() >= window // 2:
                picks.append(padded_window(c, window))
            continue
        starts = np.arange(0, c.size - window + 1, max(window // 2, 1))
        picks.extend(c[s : s + window] for s in starts if (c[s : s + window] < 4).mean() >= least)
    if len(picks) < 20:
        masked = " without a soft-masked (lower-case) base or N" if mask_lower else ""
        raise ScanConfigError(
            f"{option('model_background', str(path))}: only {len(picks)} usable windows of {window} bases{masked}; give a "
            "larger background FASTA"
        )
    if len(picks) > n_null:
        picks = [picks[i] for i in np.sort(rng.choice(len(picks), n_null, replace=False))]
    return np.stack(picks)


@check_args
def choose_null(
    model: MotifModel,
    score: Score,
    path: str | Path,
    cfg: ScanConfig,
    records: Sequence[RecordInfo],
    seed: int = 0,
) -> NullChoice:
    """The null of ``cfg.calibration`` / ``cfg.model_background`` (logged at INFO).

    ``auto``: a peak set (at least :data:`PEAK_SET_RECORDS` records of median length at most
    :data:`PEAK_SET_LENGTH` windows) against the model's stored real background, or its own shuffles
    when the model stores none; a genome against its own shuffles.

    Args:
        model: the model (its stored nulls).
        score: the scanner's logits function.
        path: the FASTA being scanned.
        cfg: the scan options.
        records: the FASTA's records when already counted (else counted here when needed).
        seed: random seed of the draws.

    Raises:
        ScanConfigError: ``background`` asked of a model that stores none, or a background FASTA too small.
    """
    rng = np.random.default_rng(seed)
    W = model.window
    stored = NullChoice(model.calibration, "stored shuffled", "the model's stored shuffled null, as asked")
    seen: list[RecordInfo] = list(records)
    masked = cfg.mask_lower  # nulls drawn from unmasked sequence only, as the scan tests it

    def peak_set() -> tuple[bool, str]:  # (is it a peak set, its description); counts records if needed
        if not seen:
            for _ in iter_chunks(path, 1 << 21, 0, records=seen):
                pass
        lengths = [r.length for r in seen]
        median = float(np.median(lengths)) if lengths else 0.0
        is_peaks = len(lengths) >= PEAK_SET_RECORDS and median <= PEAK_SET_LENGTH * W
        return is_peaks, f"the input is a peak set ({len(lengths)} records, median {median:.0f} bp)"

    def own_shuffles(x: np.ndarray | None, reason: str, peaks: bool) -> NullChoice:
        if x is None:
            logger.warning("input too small for its own null; using the model's stored shuffled null")
            return NullChoice(model.calibration, "stored shuffled", "the input is too small for its own null")
        s = score(x)
        return NullChoice(NullCalibration.from_scores(s), "shuffled input", reason, x, s, peaks)

    genome = "dinucleotide shuffles of windows of the scanned FASTA (a genome is its own background)"
    if cfg.model_background is not None:
        bg = background_windows(cfg.model_background, W, max(cfg.n_null, 4000), rng, cfg.mask_lower)
        reason = f"the model's scores on {bg.shape[0]} windows of {option('model_background')}"
        s = score(bg)
        src = str(cfg.model_background)
        choice = NullChoice(NullCalibration.from_scores(s), src, reason, bg, s, peak_set()[0])
    elif cfg.calibration is Calibration.genome:
        choice = own_shuffles(
            shuffled_windows(path, W, cfg.n_null, rng, None if seen else seen, masked), genome, peak_set()[0]
        )
    elif cfg.calibration is Calibration.model:
        choice = stored
    elif cfg.calibration is Calibration.background:
        if model.background is None:
            raise ScanConfigError(
                "the model stores no background null (trained on planted sites before this version, or on "
                f"shuffled negatives); use {option('calibration', 'genome', '--model-null')} or "
                f"{'model' if naming_flags() else repr('model')}, or give {option('model_background', metavar='FILE')}"
            )
        choice = NullChoice(model.background, "stored background", "the model's held-out real background")
    else:
        x = None
        if not seen:  # one pass: the records and, in case it is a genome, its shuffled windows
            x = shuffled_windows(path, W, cfg.n_null, rng, seen, masked)
        peaks, what = peak_set()
        if peaks and model.background is not None:
            n = model.background.null.shape[1]
            reason = (
                f"{what}, whose shuffles keep the targets' composition: the model's {n} held-out real "
                "background windows"
            )
            choice = NullChoice(model.background, "stored background", reason, peak_set=True)
        else:
            if x is None:
                x = shuffled_windows(path, W, cfg.n_null, rng, mask_lower=masked)
            reason = genome
            if peaks:
                reason = (
                    f"{what}, but the model stores no real background: the input's own shuffles "
                    "(conservative; their composition is the targets'; "
                    f"{option('model_background', metavar='FILE')} gives a real background)"
                )
            choice = own_shuffles(x, reason, peaks)
    logger.info("model null: %s (%s)", choice.source, choice.reason)
    return choice
