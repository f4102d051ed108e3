"""Hit tables as BED6, GFF3 and TSV text, and the JSON summary; written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.hits import Hits, ScanResult
from carrousel.core.io import atomic_write_text

__all__ = ["FORMATS", "format_for", "to_bed", "to_gff3", "to_json", "to_tsv", "write_hits"]

FORMATS = ("bed", "gff3", "tsv", "json")


def _bed_score(p: float) -> int:
    """BED score 0..1000 from a p-value: ``min(1000, round(-10 log10 p))`` (like a Phred scale)."""
    if not p > 0 or math.isnan(p):
        return 1000 if p == 0 else 0
    return int(min(1000, round(-10 * math.log10(p))))


def _name(mid: str, name: str) -> str:
    return name if name and name == mid else f"{name}_{mid}" if name else mid


def to_bed(hits: Hits) -> str:
    """BED6: chrom, 0-based start, end, name (``TF_ID``), score (0-1000 from -10 log10 p), strand."""
    lines = []
    for r in hits.rows():
        p = r["pvalue"] if not math.isnan(r["pvalue"]) else r["model_pvalue"]
        lines.append(
            f"{r['record']}\t{r['start']}\t{r['end']}\t{_name(r['motif_id'], r['motif_name'])}"
            f"\t{_bed_score(p)}\t{r['strand']}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _fmt(x: float) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def to_gff3(hits: Hits, result: ScanResult | None = None) -> str:
    """GFF3 with one ``TF_binding_site`` (SO:0000235) feature per hit; 1-based closed coordinates."""
    lines = ["##gff-version 3"]
    if result is not None:
        lines += [f"##sequence-region {r.name} 1 {r.length}" for r in result.records]
    for i, r in enumerate(hits.rows(), 1):
        attrs = [
            f"ID=hit{i}",
            f"Name={r['motif_name']}",
            f"motif_id={r['motif_id']}",
            f"method={r['method']}",
            f"pvalue={_fmt(r['pvalue'])}",
            f"qvalue={_fmt(r['qvalue'])}",
        ]
        if not math.isnan(r["model_score"]):
            attrs += [f"model_score={_fmt(r['model_score'])}", f"model_pvalue={_fmt(r['model_pvalue'])}"]
        if r["sequence"]:
            attrs.append(f"sequence={r['sequence']}")
        lines.append(
            f"{r['record']}\tcarrousel-bio\tTF_binding_site\t{r['start'] + 1}\t{r['end']}"
            f"\t{_fmt(r['score'])}\t{r['strand']}\t.\t{';'.join(attrs)}"
        )
    return "\n".join(lines) + "\n"


_TSV_COLS = [
    ("motif_id", "motif_id"),
    ("motif_alt_id", "motif_name"),
    ("sequence_name", "record"),
    ("start", "start"),
    ("stop", "end"),
    ("strand", "strand"),
    ("score", "score"),
    ("p-value", "pvalue"),
    ("q-value", "qvalue"),
    ("matched_sequence", "sequence"),
    ("method", "method"),
    ("model_score", "model_score"),
    ("model_p-value", "model_pvalue"),
]


def to_tsv(hits: Hits) -> str:
    """FIMO-like TSV (1-based start, inclusive stop) with p- and q-values, plus model columns."""
    lines = ["\t".join(c for c, _ in _TSV_COLS)]
    for r in hits.rows():
        vals = []
        for _, k in _TSV_COLS:
            v = r[k]
            if k == "start":
                v = v + 1
            vals.append(_fmt(v) if isinstance(v, float) else str(v))
        lines.append("\t".join(vals))
    return "\n".join(lines) + "\n"


def to_json(result: ScanResult, include_hits: bool = False) -> str:
    """The summary (records, bases, hits per motif, time) as JSON, optionally with every hit."""
    out: dict[str, Any] = result.summary()
    if include_hits:
        out["hit_rows"] = [
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in result.hits.rows()
        ]
    return json.dumps(out, indent=2)


def format_for(path: str | Path | None, fmt: str | None) -> str:
    """Picks the output format from ``fmt`` or the file extension (default BED)."""
    if fmt:
        f = fmt.lower()
        f = "gff3" if f == "gff" else f
        return f
    if path is None:
        return "bed"
    ext = Path(path).suffix.lower().lstrip(".")
    return {"gff": "gff3", "gff3": "gff3", "tsv": "tsv", "txt": "tsv", "json": "json"}.get(ext, "bed")


def write_hits(result: ScanResult, fmt: str, path: str | Path | None = None) -> str:
    """Renders the hits in ``fmt`` (bed | gff3 | tsv | json); writes atomically to ``path`` if given.

    Returns:
        The rendered text.
    """
    if fmt == "bed":
        text = to_bed(result.hits)
    elif fmt == "gff3":
        text = to_gff3(result.hits, result)
    elif fmt == "tsv":
        text = to_tsv(result.hits)
    elif fmt == "json":
        text = to_json(result, include_hits=True)
    else:
        from carrousel.bio.errors import ScanConfigError

        raise ScanConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if path is not None:
        atomic_write_text(path, text)
    return text
