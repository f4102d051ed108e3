"""The chart of ``bio scan --plot``: which motifs hit most, and where their hits fall.

Top panel: hits per motif (the ``--json`` summary's ``hits_per_motif``) as horizontal bars, most hits
first, at most :data:`MAX_BARS`. Bottom panel: for the :data:`TRACKS` motifs with most hits, the share of
each one's hits per bin of position: along the scanned sequences laid end to end (record boundaries
marked) when there are at most :data:`ALONG_RECORDS` records, as for a genome; else along each sequence,
as a fraction of its length (0.5: the centre), as for a peak set, where a bound factor's motif peaks in
the middle. A hit's position is its centre.

Memory stays bounded on a genome-size scan: :func:`scan_profile` reads the hits once, a table at a time
(:func:`carrousel.bio.hit_store.hit_blocks`, without their sequences), and keeps per motif only its count
and two histograms of :data:`BINS` bins, never the hits. matplotlib comes through
:mod:`carrousel.core.plots` (the ``carrousel-bio[plot]`` extra), imported only when the chart is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.hit_store import hit_blocks
from carrousel.bio.hits import ScanResult
from carrousel.core.args import check_args
from carrousel.core.plots import pyplot, save_png, wrap_to

__all__ = [
    "ALONG_RECORDS",
    "BINS",
    "MAX_BARS",
    "PLOT_EXTRA",
    "PLOT_PURPOSE",
    "TRACKS",
    "ScanProfile",
    "scan_figure",
    "scan_png",
    "scan_profile",
]

PLOT_EXTRA = "carrousel-bio[plot]"
PLOT_PURPOSE = "the scan chart (bio scan --plot)"
MAX_BARS = 30  # motifs drawn as bars at most (a scan of 879 motifs shows its 30 most frequent)
TRACKS = 5  # motifs whose hit positions are drawn
BINS = 50  # position bins of each motif's histograms (a 200-bp peak: 4 bp a bin)
ALONG_RECORDS = 24  # at most this many records: positions along the sequences end to end; else within each
SHORT_RECORDS = 2_000  # ... unless their mean length is below this (bp): peaks or promoters, within each
NAMED_RECORDS = 8  # record names written on the end-to-end axis at most (more: their boundaries only)


@dataclass(frozen=True)
class ScanProfile:
    """What the chart draws of a scan: per motif, its hits and where they fall.

    Attributes:
        keys: the summary's motif keys (``ID``, or ``ID:method`` for ``--method both``), most hits first.
        names: each key's motif name.
        counts: ``(motifs,)`` hits per key (the summary's ``hits_per_motif``).
        along: ``(motifs, BINS)`` hits per bin of the sequences laid end to end (bin width
            ``bases / BINS``).
        within: ``(motifs, BINS)`` hits per bin of the position within their sequence, as a fraction of
            its length.
        records: ``(name, first base)`` of each record on the end-to-end axis, in file order.
        bases: the bases of all records.
    """

    keys: list[str]
    names: list[str]
    counts: np.ndarray
    along: np.ndarray
    within: np.ndarray
    records: list[tuple[str, int]]
    bases: int

    @property
    def mode(self) -> str:
        """``along`` (one record, or a few long ones: a genome) or ``within`` (many, or short ones: a peak
        set): the positions drawn."""
        n = len(self.records)
        return "along" if n == 1 or (n <= ALONG_RECORDS and self.bases >= SHORT_RECORDS * n) else "within"


def scan_profile(result: ScanResult) -> ScanProfile:
    """Counts and position histograms of every motif's hits, read a table at a time (bounded memory).

    Args:
        result: the scan (its hits are read, not kept).

    Returns:
        The :class:`ScanProfile`, motifs ordered by hits (ties: in order of first appearance).
    """
    lengths = np.array([max(r.length, 1) for r in result.records], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    row = {r.name: i for i, r in enumerate(result.records)}
    total = max(int(lengths.sum()), 1)
    both = result.method == "both"
    index: dict[str, int] = {}
    along = np.zeros((0, BINS), dtype=np.int64)
    within = np.zeros((0, BINS), dtype=np.int64)
    for table in hit_blocks(result.hits, sequences=False):
        ids = table["motif_id"]
        keys = np.array([f"{m}:{x}" for m, x in zip(ids, table["method"], strict=True)]) if both else ids
        uniq, inv = np.unique(keys.astype(str), return_inverse=True)
        slot = np.array([index.setdefault(k, len(index)) for k in uniq.tolist()], dtype=np.int64)[inv]
        recs, rinv = np.unique(table["record"].astype(str), return_inverse=True)
        rec = np.array([row[r] for r in recs.tolist()], dtype=np.int64)[rinv]
        mid = (table["start"] + table["end"]) / 2.0
        pos = (first[rec] + mid) / total
        frac = mid / lengths[rec]
        if len(index) > along.shape[0]:
            grow = np.zeros((len(index) - along.shape[0], BINS), dtype=np.int64)
            along, within = np.vstack([along, grow]), np.vstack([within, grow])
        for hist, x in ((along, pos), (within, frac)):
            b = np.clip((x * BINS).astype(np.int64), 0, BINS - 1)
            hist += np.bincount(slot * BINS + b, minlength=along.size).reshape(along.shape)
    found = list(index)
    counts = along.sum(axis=1)
    order = sorted(range(len(found)), key=lambda i: (-int(counts[i]), i))
    names = dict(result.motifs)
    return ScanProfile(
        keys=[found[i] for i in order],
        names=[names.get(found[i].split(":")[0], "") for i in order],
        counts=counts[order],
        along=along[order],
        within=within[order],
        records=[(r.name, int(f)) for r, f in zip(result.records, first.tolist(), strict=True)],
        bases=int(lengths.sum()),
    )


def _label(key: str, name: str) -> str:
    mid, _, method = key.partition(":")
    return f"{name} {mid}" + (f" ({method})" if method else "")


def _bars(ax: Any, prof: ScanProfile, motifs: int, what: str) -> None:
    n = min(len(prof.keys), MAX_BARS)
    y = np.arange(n)
    ax.barh(y, prof.counts[:n], color="tab:blue", height=0.7)
    ax.set_yticks(y, [_label(k, m) for k, m in zip(prof.keys[:n], prof.names[:n], strict=True)], fontsize=8)
    ax.invert_yaxis()
    for yi, c in zip(y.tolist(), prof.counts[:n].tolist(), strict=True):
        ax.annotate(f" {c:,}", (c, yi), va="center", fontsize=7)
    ax.set_xlim(0, max(int(prof.counts[:n].max(initial=0)), 1) * 1.15)
    ax.set_xlabel("hits")
    shown = f"top {n} of {motifs}" if n < motifs else f"all {motifs}"
    ax.set_title(f"hits per motif ({shown} {what}; {len(prof.keys)} with a hit)", fontsize=10)
    if not n:
        ax.text(0.5, 0.5, f"no hits of the {motifs} {what}", transform=ax.transAxes, ha="center", va="center")
    ax.grid(axis="x", alpha=0.3)


def _tracks(ax: Any, prof: ScanProfile) -> None:
    n = min(len(prof.keys), TRACKS)
    hist = prof.along if prof.mode == "along" else prof.within
    if prof.mode == "along":
        scale, unit = (1e6, "Mb") if prof.bases >= 2_000_000 else (1e3, "kb")
        x = (np.arange(BINS) + 0.5) * prof.bases / BINS / scale
        where = "the sequence" if len(prof.records) == 1 else f"the {len(prof.records)} sequences end to end"
        width = prof.bases / BINS
        shown = f"{width:,.0f}" if width >= 10 else f"{width:.2g}"
        ax.set_xlabel(f"position along {where} ({unit}); bins of {shown} bp")
        ax.set_xlim(0, prof.bases / scale)
        for _, at in prof.records[1:]:
            ax.axvline(at / scale, color="gray", lw=0.8, ls=":")
        if 1 < len(prof.records) <= NAMED_RECORDS:
            for name, at in prof.records:
                ax.annotate(name, (at / scale, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                            va="top", rotation=90, color="gray")  # fmt: skip
    else:
        x = (np.arange(BINS) + 0.5) / BINS
        ax.set_xlabel(f"position within the sequence (fraction of its length; 0.5 = centre), "
                      f"{len(prof.records):,} sequences")  # fmt: skip
        ax.set_xlim(0, 1)
    for i in range(n):
        share = 100.0 * hist[i] / max(int(prof.counts[i]), 1)
        ax.plot(x, share, lw=1.4, label=f"{_label(prof.keys[i], prof.names[i])} ({int(prof.counts[i]):,})")
    ax.set_ylabel("% of the motif's hits per bin")
    ax.grid(alpha=0.3)
    if n:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="motif (hits)",
                  title_fontsize=8)  # fmt: skip
    else:
        ax.text(0.5, 0.5, "no hits", transform=ax.transAxes, ha="center", va="center")
    ax.set_title(f"where the hits of the top {n} motifs fall", fontsize=10)


@check_args
def scan_figure(result: ScanResult, source: str, how: str = "", profile: ScanProfile | None = None) -> Any:
    """Hits per motif (bars) over where the top motifs' hits fall (lines).

    Args:
        result: the scan.
        source: what was scanned, for the title (the FASTA's name).
        how: how hits were called, for the title (``"PWM p <= 0.0001"``).
        profile: :func:`scan_profile` of ``result`` (computed when not given).

    Returns:
        The matplotlib figure, two axes (bars, positions).

    Raises:
        MissingExtraError: matplotlib is not installed.
    """
    plt = pyplot(PLOT_EXTRA, PLOT_PURPOSE)
    prof = scan_profile(result) if profile is None else profile
    n = min(len(prof.keys), MAX_BARS)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 3.2 + 0.22 * max(n, 3)), height_ratios=[max(n, 3) * 0.22 + 0.8, 2.8]
    )
    both = result.method == "both"
    _bars(top, prof, len(result.motifs) * (2 if both else 1), "motif/method pairs" if both else "motifs")
    _tracks(bottom, prof)
    what = {"pwm": "PWM", "both": "PWM + model"}.get(result.method, result.method)
    seqs = f"{len(result.records):,} sequence{'s' * (len(result.records) != 1)}"
    title = f"{source}: {what} scan of {seqs}, {prof.bases:,} bp; "
    title += f"{int(prof.counts.sum()):,} hits" + (f" ({how})" if how else "")
    fig.suptitle(wrap_to(title, 10, 11), fontsize=11)
    fig.tight_layout()
    return fig


@check_args
def scan_png(result: ScanResult, path: str | Path, source: str, how: str = "") -> Path:
    """Draws :func:`scan_figure` and writes it as PNG (:func:`carrousel.core.plots.save_png`)."""
    return save_png(scan_figure(result, source, how), path)
