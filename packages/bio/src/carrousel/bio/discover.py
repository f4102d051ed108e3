"""Motif discovery from a trained model: convolution filters -> count matrices (from the windows that
activate them) -> filters ranked by their contribution to the model's output -> Tomtom-style comparison
against JASPAR with analytic p-values (:mod:`carrousel.bio.tomtom`) -> logos (:mod:`carrousel.bio.logos`)
and a report. :func:`carrousel.bio.pipeline.discover` writes the files.

* Sites: a filter fires in a window when the window's max activation reaches
  ``activation_fraction`` (0.5) x the filter's max over all windows read (Basset/DanQ practice); the
  site count is the number of such windows, and the matrix averages the strongest ``max_sites`` of them.
* Contribution: the mean drop of the task output's logit when the filter's activations are set to zero
  (in-silico knock-out on up to ``rank_windows`` windows read). The task output is the model's only
  output, or else the one with the highest mean logit on the windows read. Motifs are listed by
  contribution, largest first.
* Task motif: for a model trained on sequences, whose motif for the task output is its task filter's
  (``task0_filter21``: :func:`task_motif`), that filter's discovered motif (``filter21``); else (a JASPAR
  matrix: the shipped panel; the task filter fired in too few windows) the discovered motif that best
  matches the model's motif (smallest Tomtom p-value). Before, the best match was marked in every case:
  another filter (``filter32``) where the task filter reads differently on the windows given.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
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
from carrousel.bio.tomtom import Match, compare_motifs, search
from carrousel.core.args import check_args
from carrousel.core.metrics import roc_auc
from carrousel.core.train import predict
from carrousel.core.train.inference import evaluating

__all__ = [
    "Discovery",
    "Match",
    "compare_motifs",
    "filter_contributions",
    "filter_motifs",
    "find_motifs",
    "logo_captions",
    "render_report",
    "task_filter",
    "task_motif",
    "trained_figures",
    "trim",
]

logger = logging.getLogger(__name__)

_TASK_FILTER = re.compile(r"task\d+_filter(\d+)")  # task_motif's IDs


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
    model: DanQ,
    codes: np.ndarray,
    cfg: MotifExtraction | None = None,
    prefix: str = "filter",
    acts: np.ndarray | None = None,
) -> list[tuple[int, Motif, int]]:
    """One count matrix per filter from the windows where it fires.

    A filter fires in a window whose max activation reaches ``activation_fraction`` x the filter's max
    over all windows; the sub-sequences under the kernel at the strongest ``max_sites`` of those windows'
    peaks make its matrix (DeepBind/Basset style), low-information flanks trimmed.

    Args:
        model: the network.
        codes: ``(N, W)`` windows read.
        cfg: extraction settings.
        prefix: motif IDs are ``prefix`` + filter index.
        acts: ``(N, F, W)`` activations already computed on ``codes`` (computed when None).

    Returns:
        ``[(filter index, motif, windows where it fires)]`` for filters firing in at least ``min_sites``.
    """
    cfg = cfg or MotifExtraction()
    k = model.config.kernel
    acts = _activations(model, codes) if acts is None else acts
    N, F, _W = acts.shape
    if N == 0:
        return []
    pad = k // 2
    padded = np.pad(codes, ((0, 0), (pad, pad)), constant_values=4)
    where = acts.argmax(axis=2)  # (N, F)
    peak = np.take_along_axis(acts, where[:, :, None], axis=2)[:, :, 0]
    out = []
    for f in range(F):
        val = peak[:, f]
        top = float(val.max())
        if top <= 0:
            continue
        sel = np.flatnonzero(val >= cfg.activation_fraction * top)
        if sel.size < cfg.min_sites:
            continue
        strongest = sel[np.argsort(-val[sel], kind="stable")][: cfg.max_sites]
        sites = padded[strongest[:, None], where[strongest, f][:, None] + np.arange(k)[None, :]]
        counts = np.stack([(sites == b).sum(axis=0) for b in range(4)], axis=1).astype(np.float64)
        out.append((f, Motif(f"{prefix}{f}", f"{prefix}{f}", trim(counts), "model"), int(sel.size)))
    return out


@check_args
def filter_contributions(
    model: DanQ, codes: np.ndarray, limit: int = 500, seed: int = 0, batch: int = 500
) -> tuple[int, np.ndarray]:
    """Each filter's contribution: the mean drop of the task output's logit when its activations are set
    to zero, on up to ``limit`` windows of ``codes`` (drawn at random).

    Returns:
        ``(task output index, (F,) contributions)``: the task output is the model's only one, or the one
        with the highest mean logit on the windows.
    """
    n_filters = model.config.filters
    if codes.shape[0] == 0:
        return 0, np.zeros(n_filters)
    rng = np.random.default_rng(seed)
    pick = codes[np.sort(rng.choice(codes.shape[0], min(limit, codes.shape[0]), replace=False))]
    knocked: list[int] = []

    def zero(_m: nn.Module, _i: tuple[Tensor, ...], out: Tensor) -> Tensor:
        return out.index_fill(1, torch.tensor(knocked, device=out.device), 0.0) if knocked else out

    device = next(model.parameters()).device
    handle = model.norm.register_forward_hook(zero)
    try:
        with evaluating(model):
            xs = [
                torch.from_numpy(one_hot(pick[i : i + batch])).to(device) for i in range(0, len(pick), batch)
            ]

            def logits() -> np.ndarray:
                return torch.cat([model(x) for x in xs]).cpu().double().numpy()

            base = logits()
            task = int(np.argmax(base.mean(axis=0)))
            drops = np.zeros(n_filters)
            for f in range(n_filters):
                knocked[:] = [f]
                drops[f] = float(np.mean(base[:, task] - logits()[:, task]))
    finally:
        handle.remove()
    return task, drops


@check_args
def task_motif(model: DanQ, pos: np.ndarray, neg: np.ndarray, task: int = 0) -> Motif:
    """The motif of the filter whose per-window maximum best separates positives from negatives (read on
    the windows where it reaches 0.9 x its max: the sharp matrix the model scan places sites with)."""
    cfg = MotifExtraction(activation_fraction=0.9, min_sites=1)
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


def task_filter(motif: Motif, info: Mapping[str, Any] | None = None) -> int | None:
    """The filter a model's motif was read from (:func:`task_motif`'s ``task{k}_filter{f}``), or None: a
    JASPAR matrix (the panel), or a network whose filters ``bio export --distill-filters`` renumbered
    (``info``: the model's, which records it)."""
    found = _TASK_FILTER.fullmatch(motif.id)
    kept = dict((info or {}).get("distilled") or {}).get("filters") or {}
    return None if found is None or kept.get("before") != kept.get("after") else int(found[1])


# ---------------------------------------------------------------------------------------------- report
@dataclass
class Discovery:
    """Discovered motifs (by contribution, largest first), their JASPAR matches, logos and files."""

    motifs: list[Motif]
    sites: dict[str, int]  # motif ID -> windows where its filter fires
    matches: dict[str, list[Match]]
    logos: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    contributions: dict[str, float] = field(default_factory=dict)  # mean logit drop when knocked out
    task: str = ""  # the model output the contributions are measured on
    task_motif: str | None = None  # the task filter's discovered motif, else the best match of the task's
    task_match: Match | None = None  # that comparison (target: the model's motif for the task)
    task_filter: int | None = None  # the filter the model's task motif was read from (None: not a filter's)
    trained: dict[str, Any] | None = None  # the model trained for this run: windows, epochs, held-out val

    @check_args
    def rows(self, matches: int | None = None) -> list[tuple[str, ...]]:
        """Per motif, by rank: rank, ID (with ``(task motif)``), consensus, sites, contribution and its
        first ``matches`` JASPAR matches (all when None) as text."""
        out: list[tuple[str, ...]] = []
        for i, m in enumerate(self.motifs, 1):
            best = self.matches.get(m.id, [])[:matches]
            match = ", ".join(f"{x.target_name} ({x.target_id}, E={x.evalue:.2g})" for x in best) or "-"
            mark = " (task motif)" if m.id == self.task_motif else ""
            contrib = f"{self.contributions.get(m.id, 0.0):.3f}"
            out.append((str(i), m.id + mark, m.consensus(), str(self.sites.get(m.id, 0)), contrib, match))
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary."""
        tm = self.task_match
        return {
            "task": self.task,
            "task_motif": None
            if self.task_motif is None or tm is None
            else {
                "id": self.task_motif,
                "task_filter": self.task_filter,  # the filter the reference was read from (None: not one's)
                "reference": tm.target_id,
                "reference_name": tm.target_name,
                "pvalue": tm.pvalue,
                "evalue": tm.evalue,
            },
            "motifs": [
                {
                    "rank": i + 1,
                    "id": m.id,
                    "consensus": m.consensus(),
                    "sites": self.sites.get(m.id, 0),
                    "contribution": round(self.contributions.get(m.id, 0.0), 4),
                    "task_motif": m.id == self.task_motif,
                    "matches": [
                        {"id": x.target_id, "name": x.target_name, "score": round(x.score, 3)}
                        | {
                            k: getattr(x, k)
                            for k in ("overlap", "offset", "strand", "pvalue", "evalue", "qvalue")
                        }
                        for x in self.matches.get(m.id, [])
                    ],
                }
                for i, m in enumerate(self.motifs)
            ],
            "files": self.files,
            "trained_model": self.trained,
        }


def render_report(d: Discovery, fmt: ReportFormat | str = ReportFormat.md) -> str:
    """Markdown (or simple HTML) report: motifs by contribution, the task's motif marked, with their
    best JASPAR matches (E-values: Tomtom-style, analytic)."""
    rows = [
        (*row, Path(d.logos[m.id]).name if m.id in d.logos else "")
        for row, m in zip(d.rows(), d.motifs, strict=True)
    ]
    head = ["rank", "motif", "consensus", "sites", "contribution", "JASPAR matches", "logo"]
    note = (
        f"Task output: {d.task or '-'}. Contribution: mean drop of its logit when the filter is zeroed. "
        "Sites: windows where the filter's max activation reaches half its overall max."
    )
    if d.trained is not None:
        note += f" Model trained for this run: {trained_figures(d.trained)}."
    if ReportFormat(fmt) is ReportFormat.html:
        e = html.escape
        body = "".join(
            f"<tr><td>{r}</td><td>{e(a)}</td><td><code>{b}</code></td><td>{c}</td><td>{k}</td><td>{e(m)}</td>"
            f"<td>{f'<img src=logos/{e(g)}>' if g else ''}</td></tr>"
            for r, a, b, c, k, m, g in rows
        )
        cols = "".join(f"<th>{h}</th>" for h in head)
        return (
            f"<html><body><h1>carrousel-bio motif discovery</h1><p>{e(note)}</p><table border=1>"
            f"<tr>{cols}</tr>{body}</table></body></html>\n"
        )
    lines = ["# carrousel-bio motif discovery", "", note, "", "| " + " | ".join(head) + " |"]
    lines.append("|" + "---|" * len(head))
    lines += [
        f"| {r} | {a} | `{b}` | {c} | {k} | {e} | {f'![](logos/{g})' if g else ''} |"
        for r, a, b, c, k, e, g in rows
    ]
    return "\n".join(lines) + "\n"


def logo_captions(found: Discovery) -> dict[str, str]:
    """Motif ID -> the caption of its logo: rank by contribution, sites and the best JASPAR match."""
    out = {}
    for i, m in enumerate(found.motifs, 1):
        best = found.matches.get(m.id, [])[:1]
        match = (
            f"best match {best[0].target_name} ({best[0].target_id}, E={best[0].evalue:.2g})"
            if best
            else "no match"
        )
        mark = ", task motif" if m.id == found.task_motif else ""
        out[m.id] = f"rank {i}{mark}, {found.sites.get(m.id, 0)} sites; {match}"
    return out


def find_motifs(
    model: DanQ,
    codes: np.ndarray,
    targets: list[Motif],
    cfg: MotifExtraction | None = None,
    task_motifs: list[Motif] | None = None,
    output_names: list[str] | None = None,
    task_filters: list[int | None] | None = None,
) -> Discovery:
    """Filters -> motifs (read on ``codes``), ranked by contribution -> their best matches among
    ``targets``; the task motif is marked: the motif of filter ``task_filters[task output]`` (the filter
    ``task_motifs[task output]`` was read from, :func:`task_filter`) where it was found and compares with
    it, else the motif best matching ``task_motifs[task output]`` (no files written:
    :func:`carrousel.bio.pipeline.discover` writes the motifs, logos and report).

    A task motif that is not among ``targets`` (a trained model's own filter motif) is compared in a
    second search, of ``targets`` and itself; the JASPAR matches' p-, E- and q-values are the search of
    ``targets`` alone, as Tomtom against that collection gives them (the extra motif no part of them)."""
    cfg = cfg or MotifExtraction()
    found = filter_motifs(model, codes, cfg)
    output, drops = filter_contributions(model, codes, cfg.rank_windows)
    found.sort(key=lambda t: (-drops[t[0]], t[0]))
    motifs = [m for _, m, _ in found]
    names = output_names or []
    task = names[output] if output < len(names) else f"output {output}"
    reference = task_motifs[output] if task_motifs and output < len(task_motifs) else None
    ids = {t.id for t in targets}
    pool = targets + ([reference] if reference is not None and reference.id not in ids else [])
    own = task_filters[output] if task_filters and output < len(task_filters) else None
    matches: dict[str, list[Match]] = {}
    compared: dict[str, Match] = {}  # motif ID -> its comparison with the task's motif
    for m in motifs:
        res = search(m, pool, cfg.min_overlap)
        alone = res if len(pool) == len(targets) else search(m, targets, cfg.min_overlap)  # JASPAR's
        matches[m.id] = alone[: cfg.top_matches]
        ref = next((x for x in res if reference is not None and x.target_id == reference.id), None)
        if ref is not None:
            compared[m.id] = ref
    same = next((m.id for f, m, _ in found if f == own and m.id in compared), None)
    best = min(compared, key=lambda k: compared[k].pvalue, default=None)  # the first of equal p-values
    task_id = same or best
    if own is not None and same is None:
        logger.info("task filter %d: no motif to compare (too few sites); marking %s", own, best)
    return Discovery(
        motifs,
        {m.id: n for _, m, n in found},
        matches,
        contributions={m.id: float(drops[f]) for f, m, _ in found},
        task=task,
        task_motif=task_id,
        task_match=None if task_id is None else compared[task_id],
        task_filter=own,
    )


def trained_figures(trained: dict[str, Any]) -> str:
    """``held-out AUROC 0.612, AUPRC 0.640 (40 windows, 8 epochs)`` of a model trained for the run (how far
    its filters are worth reading: near 0.5 they are noise)."""
    val = trained.get("val") or {}

    def fig(key: str) -> str:
        x = val.get(key)
        return "n/a" if x is None else f"{x:.3f}"

    return (
        f"held-out AUROC {fig('auroc')}, AUPRC {fig('auprc')} ({trained['windows']} windows, "
        f"{trained['epochs']} epochs)"
    )
