"""Motif discovery from a trained model: convolution filters -> count matrices (from the sequences that
activate them) -> Tomtom-style comparison against JASPAR (in Python) -> logos (logomaker, the
``carrousel-bio[discover]`` extra) and a report. :func:`carrousel.bio.pipeline.discover` writes the files."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from carrousel.bio.config import MotifExtraction, ReportFormat
from carrousel.bio.fasta import one_hot
from carrousel.bio.models import DanQ
from carrousel.bio.motifs import Motif
from carrousel.core.io import atomic_path
from carrousel.core.metrics import roc_auc
from carrousel.core.optional import require
from carrousel.core.train import predict

__all__ = [
    "Discovery",
    "Match",
    "compare_motifs",
    "filter_motifs",
    "find_motifs",
    "logo_libraries",
    "render_report",
    "task_motif",
    "trim",
    "write_logos",
]

logger = logging.getLogger(__name__)


def _features(model: nn.Module, x: Tensor) -> Tensor:
    return model.features(x)  # type: ignore[operator,no-any-return]


def _activations(model: DanQ, codes: np.ndarray, batch: int = 512) -> np.ndarray:
    """``(N, W)`` codes -> ``(N, F, W)`` filter activations (ReLU), float32."""
    return predict(
        model,
        codes,
        batch,
        forward=_features,
        prepare=lambda c: torch.from_numpy(one_hot(np.asarray(c))),
        out_dtype=np.float32,
        empty_shape=(model.config.filters, codes.shape[1]),
    )


def trim(counts: np.ndarray, min_ic: float = 0.3) -> np.ndarray:
    """Drops low-information flanks (columns below ``min_ic`` bits) from a ``(L, 4)`` count matrix."""
    f = (counts + 0.25) / (counts + 0.25).sum(axis=1, keepdims=True)
    ic = 2.0 + np.sum(f * np.log2(f), axis=1)
    keep = np.flatnonzero(ic >= min_ic)
    if keep.size == 0:
        return counts
    return counts[keep[0] : keep[-1] + 1]


def filter_motifs(
    model: DanQ, codes: np.ndarray, cfg: MotifExtraction | None = None, prefix: str = "filter"
) -> list[tuple[int, Motif, int]]:
    """One count matrix per filter from the windows where it fires most.

    For each filter, every sequence's strongest activation above ``activation_quantile`` of the filter's
    overall maximum contributes the sub-sequence under the kernel (DeepBind/Basset style).

    Returns:
        ``[(filter index, motif, number of sites)]`` for filters with at least ``min_sites`` sites.
    """
    cfg = cfg or MotifExtraction()
    k = model.config.kernel
    acts = _activations(model, codes)  # (N, F, W)
    N, F, _W = acts.shape
    pad = k // 2
    padded = np.pad(codes, ((0, 0), (pad, pad)), constant_values=4)
    out = []
    for f in range(F):
        a = acts[:, f, :]
        best = a.argmax(axis=1)
        val = a[np.arange(N), best]
        top = float(val.max()) if N else 0.0
        if top <= 0:
            continue
        sel = np.flatnonzero(val >= cfg.activation_quantile * top)
        if sel.size < cfg.min_sites:
            sel = np.argsort(-val)[: cfg.min_sites]
            sel = sel[val[sel] > 0]
        sel = sel[np.argsort(-val[sel])][: cfg.max_sites]
        if sel.size < cfg.min_sites:
            continue
        sites = padded[sel[:, None], best[sel][:, None] + np.arange(k)[None, :]]
        counts = np.stack([(sites == b).sum(axis=0) for b in range(4)], axis=1).astype(np.float64)
        counts = trim(counts)
        out.append((f, Motif(f"{prefix}{f}", f"{prefix}{f}", counts, "model"), int(sel.size)))
    return out


def task_motif(model: DanQ, pos: np.ndarray, neg: np.ndarray, task: int = 0) -> Motif:
    """The motif of the filter whose per-window maximum best separates positives from negatives."""
    cfg = MotifExtraction(min_sites=5)
    if pos.shape[0] == 0:
        return Motif(f"task{task}", f"task{task}", np.full((model.config.kernel, 4), 1.0), "model")
    a_pos = _activations(model, pos[:2000]).max(axis=2)
    a_neg = _activations(model, neg[:2000]).max(axis=2) if neg.shape[0] else np.zeros_like(a_pos)
    y = torch.cat([torch.ones(a_pos.shape[0]), torch.zeros(a_neg.shape[0])]).long()
    best, best_auc = 0, -1.0
    for f in range(a_pos.shape[1]):
        s = torch.from_numpy(np.concatenate([a_pos[:, f], a_neg[:, f]]).astype(np.float32))
        auc = roc_auc(s, y) if a_neg.shape[0] else float(a_pos[:, f].mean())
        if auc > best_auc:
            best, best_auc = f, auc
    found = [m for f, m, _ in filter_motifs(model, pos, cfg, prefix=f"task{task}_filter") if f == best]
    if found:
        return found[0]
    return Motif(f"task{task}", f"task{task}", np.full((model.config.kernel, 4), 1.0), "model")


# ---------------------------------------------------------------------------------------------- Tomtom
@dataclass(frozen=True)
class Match:
    """One query-target alignment."""

    target_id: str
    target_name: str
    offset: int  # target column aligned to query column 0 (may be negative)
    strand: str  # + or - (target reverse-complemented)
    score: float  # summed Pearson correlation over overlapping columns
    pvalue: float  # probability a random target of the database scores at least this
    evalue: float  # pvalue x number of targets


def _columns(m: Motif) -> np.ndarray:
    f = m.frequencies(pseudocount=0.01)
    return (f - f.mean(axis=1, keepdims=True)) / (f.std(axis=1, keepdims=True) + 1e-9)


def _best_alignment(q: np.ndarray, t: np.ndarray, min_overlap: int) -> tuple[float, int]:
    Lq, Lt = q.shape[0], t.shape[0]
    sim = q @ t.T / 4.0  # (Lq, Lt) Pearson correlation per column pair
    best, best_off = -np.inf, 0
    for off in range(-(Lq - min_overlap), Lt - min_overlap + 1):
        i0 = max(0, -off)
        i1 = min(Lq, Lt - off)
        if i1 - i0 < min_overlap:
            continue
        s = float(np.trace(sim[i0:i1, i0 + off : i1 + off]))
        if s > best:
            best, best_off = s, off
    return best, best_off


def compare_motifs(
    queries: list[Motif], targets: list[Motif], top: int = 3, min_overlap: int = 5
) -> dict[str, list[Match]]:
    """Tomtom-style comparison: Pearson-correlation column scores summed over the best ungapped
    alignment (both strands); p-values from the empirical distribution of scores of the query against
    column-shuffled targets, E-values by the number of targets.

    Returns:
        For each query ID, its ``top`` matches sorted by p-value.
    """
    rng = np.random.default_rng(0)
    tcols = [(_columns(t), _columns(t.reverse_complement())) for t in targets]
    out: dict[str, list[Match]] = {}
    for q in queries:
        qc = _columns(q)
        mo = min(min_overlap, q.length)
        null = []
        for _ in range(200):
            tc = tcols[int(rng.integers(len(tcols)))][0]
            null.append(_best_alignment(qc, tc[rng.permutation(tc.shape[0])], mo)[0])
        null_arr = np.sort(np.array(null))
        res = []
        for t, (tf, tr) in zip(targets, tcols, strict=True):
            sf, of = _best_alignment(qc, tf, mo)
            sr, orr = _best_alignment(qc, tr, mo)
            s, off, strand = (sf, of, "+") if sf >= sr else (sr, orr, "-")
            p = (1.0 + null_arr.size - np.searchsorted(null_arr, s, side="left")) / (null_arr.size + 1.0)
            res.append(Match(t.id, t.name, off, strand, s, float(p), float(p * len(targets))))
        res.sort(key=lambda m: (-m.score, m.pvalue))
        out[q.id] = res[:top]
    return out


# ---------------------------------------------------------------------------------------------- report
@dataclass
class Discovery:
    """Discovered motifs, their JASPAR matches, logo files and the report path."""

    motifs: list[Motif]
    sites: dict[str, int]
    matches: dict[str, list[Match]]
    logos: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "motifs": [
                {
                    "id": m.id,
                    "consensus": m.consensus(),
                    "sites": self.sites.get(m.id, 0),
                    "matches": [
                        {
                            "id": x.target_id,
                            "name": x.target_name,
                            "score": round(x.score, 3),
                            "evalue": x.evalue,
                        }
                        for x in self.matches.get(m.id, [])
                    ],
                }
                for m in self.motifs
            ],
            "files": self.files,
        }


_LOGO_EXTRA = ("carrousel-bio[discover]", "drawing motif logos (bio discover)")


def logo_libraries() -> tuple[Any, Any, Any]:
    """``(logomaker, matplotlib.pyplot, pandas)`` with matplotlib on its file backend.

    Raises:
        MissingExtraError: one of them is not installed (the ``carrousel-bio[discover]`` extra).
    """
    matplotlib = require("matplotlib", *_LOGO_EXTRA)
    matplotlib.use("Agg")
    return (
        require("logomaker", *_LOGO_EXTRA),
        require("matplotlib.pyplot", *_LOGO_EXTRA),
        require("pandas", *_LOGO_EXTRA),
    )


def write_logos(motifs: list[Motif], folder: Path) -> dict[str, str]:
    """Information-content sequence logos as PNG files ``folder/ID.png`` (logomaker and matplotlib, the
    ``carrousel-bio[discover]`` extra).

    Returns:
        ``{motif id: path}``.

    Raises:
        MissingExtraError: logomaker, matplotlib or pandas is not installed.
    """
    logomaker, plt, pd = logo_libraries()
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for m in motifs:
        f = m.frequencies(pseudocount=0.01)
        ic = 2.0 + np.sum(f * np.log2(f), axis=1)
        df = pd.DataFrame(f * ic[:, None], columns=list("ACGT"))
        fig, ax = plt.subplots(figsize=(max(2.0, 0.35 * m.length), 1.6))
        logomaker.Logo(df, ax=ax)
        ax.set_ylim(0, 2)
        ax.set_ylabel("bits")
        ax.set_title(m.id, fontsize=8)
        path = folder / f"{m.id}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        out[m.id] = str(path)
    return out


def render_report(d: Discovery, fmt: ReportFormat | str = ReportFormat.md) -> str:
    """Markdown (or simple HTML) report of the discovered motifs and their best JASPAR matches."""
    rows = []
    for m in d.motifs:
        best = d.matches.get(m.id, [])
        match = ", ".join(f"{x.target_name} ({x.target_id}, E={x.evalue:.2g})" for x in best) or "-"
        logo = Path(d.logos[m.id]).name if m.id in d.logos else ""
        rows.append((m.id, m.consensus(), d.sites.get(m.id, 0), match, logo))
    if ReportFormat(fmt) is ReportFormat.html:
        e = html.escape
        body = "".join(
            f"<tr><td>{e(a)}</td><td><code>{b}</code></td><td>{c}</td><td>{e(m)}</td>"
            f"<td>{f'<img src=logos/{e(g)}>' if g else ''}</td></tr>"
            for a, b, c, m, g in rows
        )
        return (
            "<html><body><h1>carrousel-bio motif discovery</h1><table border=1><tr><th>motif</th>"
            "<th>consensus</th><th>sites</th><th>JASPAR matches</th><th>logo</th></tr>"
            f"{body}</table></body></html>\n"
        )
    lines = [
        "# carrousel-bio motif discovery",
        "",
        "| motif | consensus | sites | JASPAR matches | logo |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | `{b}` | {c} | {e} | {f'![](logos/{g})' if g else ''} |" for a, b, c, e, g in rows]
    return "\n".join(lines) + "\n"


def find_motifs(
    model: DanQ, codes: np.ndarray, targets: list[Motif], cfg: MotifExtraction | None = None
) -> Discovery:
    """Filters -> motifs (read on ``codes``) -> their best matches among ``targets`` (no files written:
    :func:`carrousel.bio.pipeline.discover` writes the motifs, logos and report)."""
    cfg = cfg or MotifExtraction()
    found = filter_motifs(model, codes, cfg)
    motifs = [m for _, m, _ in found]
    sites = {m.id: n for _, m, n in found}
    matches = compare_motifs(motifs, targets, cfg.top_matches) if motifs else {}
    return Discovery(motifs, sites, matches)
