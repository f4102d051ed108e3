"""Columnar hit tables shared by the PWM and model scans, and the scan result.

Each column holds one quantity whatever the method: ``pwm_score`` is always the PWM log-odds of the site
(bits), ``model_score`` always the model's probability for the window, ``pvalue`` always the exact PWM
p-value of the site. ``score`` is kept for Python callers only (the calling method's own score: the PWM
bits on a ``pwm`` row, the model probability on a ``model`` row) and is never written to a hit file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from carrousel.bio.errors import HitsIndexError
from carrousel.bio.fasta import RecordInfo
from carrousel.core.args import check_args
from carrousel.core.provenance import PrecisionReport

__all__ = ["COLUMNS", "COLUMN_DOCS", "Hits", "ScanResult"]

COLUMNS: dict[str, Any] = {
    "record": object,  # sequence name
    "start": np.int64,  # 0-based start
    "end": np.int64,  # exclusive end
    "strand": object,  # "+" or "-"
    "motif_id": object,  # matrix ID
    "motif_name": object,  # TF name
    "score": np.float64,  # the row's method's score (pwm_score or model_score): Python callers only
    "pwm_score": np.float64,  # PWM log-odds of the site in bits (every row: model hits too, when placed)
    "pvalue": np.float64,  # exact PWM p-value (model hits: PWM p-value of the same site)
    "qvalue": np.float64,  # BH q-value over the whole scan (per motif, per method)
    "method": object,  # pwm | model
    "model_score": np.float64,  # model probability of the window (NaN for PWM-only hits)
    "model_pvalue": np.float64,  # empirical p-value of the model score vs shuffled background (NaN: none)
    "sequence": object,  # matched sequence, read on the hit's strand
}


COLUMN_DOCS: dict[str, str] = {
    "start": "0-based start of the site, as in BED (the TSV and GFF3 columns are 1-based: start + 1)",
    "end": "end of the site, exclusive (= the 1-based inclusive stop of the TSV and GFF3 columns)",
    "pwm_score": "PWM log-odds score of the site (bits)",
    "pvalue": "exact PWM p-value of the site",
    "qvalue": "Benjamini-Hochberg q-value of the call, per motif and method (pwm: of the PWM p-values; "
    "model: of the model p-values)",
    "model_score": "model probability for the window holding the site (null on PWM hits)",
    "model_pvalue": "p-value of the model's score against its null (null on PWM hits)",
}


@dataclass
class Hits:
    """A table of sites: one numpy array per column of :data:`COLUMNS`, all the same length."""

    cols: dict[str, np.ndarray] = field(
        default_factory=lambda: {k: np.zeros(0, dtype=v) for k, v in COLUMNS.items()}
    )

    def __len__(self) -> int:
        return int(self.cols["start"].size)

    def __getitem__(self, name: str) -> np.ndarray:
        if not isinstance(name, str):  # before: KeyError: 0 from the column dict (also from list(hits))
            raise HitsIndexError(
                f"hits are indexed by column name (hits['start']), not by {type(name).__name__}; "
                f"for rows iterate them (for hit in hits: ...) or use hits.rows()[{name!r}]"
            )
        return self.cols[name]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows in order, each a dict of Python scalars (as :meth:`rows`): ``for hit in hits``,
        ``pd.DataFrame(hits)``."""
        return iter(self.rows())

    @staticmethod
    def from_columns(**cols: Any) -> Hits:
        """Builds a table; missing columns get NaN / empty defaults.

        ``score`` follows from the named scores when it is not given (``pwm_score`` on ``pwm`` rows,
        ``model_score`` on ``model`` rows); a caller that gives only ``score`` on ``pwm`` rows gets it
        as their ``pwm_score`` too (the older calling convention).
        """
        n = len(next(iter(cols.values())))
        out: dict[str, np.ndarray] = {}
        for k, dt in COLUMNS.items():
            if k in cols:
                out[k] = np.asarray(cols[k], dtype=dt)
            elif dt is np.float64:
                out[k] = np.full(n, np.nan)
            else:
                out[k] = np.full(n, "", dtype=object)
        pwm_rows = out["method"] == "pwm"
        if "score" not in cols:
            out["score"] = np.where(pwm_rows, out["pwm_score"], out["model_score"])
        elif "pwm_score" not in cols:
            out["pwm_score"] = np.where(pwm_rows, out["score"], np.nan)
        return Hits(out)

    @staticmethod
    def concat(parts: list[Hits]) -> Hits:
        """Concatenates tables."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return Hits()
        return Hits({k: np.concatenate([p.cols[k] for p in parts]) for k in COLUMNS})

    def take(self, idx: np.ndarray | slice) -> Hits:
        """Rows at ``idx`` (indices, a boolean mask or a slice)."""
        return Hits({k: v[idx] for k, v in self.cols.items()})

    def sorted(self) -> Hits:
        """Sorted by record order of appearance, start, strand and motif."""
        if not len(self):
            return self
        records = self.cols["record"].tolist()
        rec_order = {r: i for i, r in enumerate(dict.fromkeys(records))}
        r = np.fromiter((rec_order[x] for x in records), dtype=np.int64, count=len(records))
        ids = self.cols["motif_id"].tolist()
        rank = {m: i for i, m in enumerate(sorted(set(ids)))}
        motif = np.fromiter((rank[m] for m in ids), dtype=np.int64, count=len(ids))
        minus = self.cols["strand"] == "-"
        return self.take(np.lexsort((motif, minus, self.cols["start"], r)))

    def methods(self) -> set[str]:
        """The methods (``pwm``, ``model``) of the rows."""
        return set(self.cols["method"].tolist())

    @check_args
    def motif_counts(self, both: bool) -> dict[str, int]:
        """Hits per motif (``ID:method`` keys when ``both``), in order of first appearance."""
        per: dict[str, int] = {}
        for mid, method in zip(self.cols["motif_id"].tolist(), self.cols["method"].tolist(), strict=True):
            key = mid if not both else f"{mid}:{method}"
            per[key] = per.get(key, 0) + 1
        return per

    def rows(self) -> list[dict[str, Any]]:
        """The table as a list of dicts of python scalars."""
        keys = list(self.cols)
        return [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(keys, vals, strict=True)}
            for vals in zip(*(self.cols[k] for k in keys), strict=True)
        ]


@dataclass
class ScanResult:
    """What a scan found, plus the summary ``--json`` prints."""

    hits: Hits
    records: list[RecordInfo]
    bases: int  # bases read (N included)
    motifs: list[tuple[str, str]]  # (id, name) of every motif scanned
    method: str
    tests: dict[str, int] = field(default_factory=dict)  # windows tested per motif (both strands)
    seconds: float = 0.0
    background: list[float] = field(default_factory=list)  # PWM background base probabilities (A, C, G, T)
    background_kind: str = "uniform"  # where they came from: uniform | input
    background_order: int = 0  # the background's Markov order: 0 (base frequencies) | 1 (previous base too)
    background_transitions: list[list[float]] | None = None  # order 1: P(next base | base), rows A C G T
    mask_lower: bool = False  # soft-masked (lower-case) bases were read as N (no site touches them)
    started: float = field(default_factory=time.perf_counter)
    model_null: dict[str, Any] = field(default_factory=dict)  # the model scan's null: source, reason
    model_stages: dict[str, int] = field(default_factory=dict)  # windows left after each model stage
    model_calls: dict[str, Any] = field(default_factory=dict)  # the model scan's calling rule and why
    precisions: PrecisionReport | None = None  # MotifModel.precisions of a scan that ran the network
    jaspar_release: str | None = None  # the JASPAR release motif IDs and names were looked up in

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: records, bases scanned, hits per motif, time."""
        per = self.hits.motif_counts(self.method == "both")
        names = dict(self.motifs)
        return {
            "method": self.method,
            "records": len(self.records),
            "bases": int(self.bases),
            "motifs": len(self.motifs),
            "hits": len(self.hits),
            "hits_per_motif": {
                k: {"name": names.get(k.split(":")[0], ""), "hits": v} for k, v in per.items()
            },
            "tests_per_motif": self.tests,
            # full precision: the p-values are computed under these exact numbers, so rounding them (4
            # decimals before) left the p-values irreproducible from the JSON
            "background": [float(x) for x in self.background],
            "background_kind": self.background_kind,
            "background_order": self.background_order,
            "background_transitions": (
                None
                if self.background_transitions is None
                else [[float(x) for x in row] for row in self.background_transitions]
            ),
            "mask_lower": self.mask_lower,
            "jaspar_release": self.jaspar_release,
            **(self.precisions or {}),
            **(
                {
                    "model_null": self.model_null,
                    "model_calls": self.model_calls,
                    "model_stages": self.model_stages,
                }
                if self.model_stages
                else {}
            ),
            "seconds": round(self.seconds, 3),
            "bases_per_second": round(self.bases / self.seconds, 1) if self.seconds > 0 else None,
        }
