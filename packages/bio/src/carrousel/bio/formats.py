"""Hit tables as BED6, GFF3, FIMO-like TSV and JSON text, and writing them atomically.

Text from the inputs (record names, motif IDs and names) is made safe for each format:

* GFF3 (spec 1.26): column 9 attribute values percent-encode ``;`` ``=`` ``&`` ``,``, tab, newline,
  carriage return, ``%`` and the control characters (``%00``-``%1F``, ``%7F``); no other character is
  encoded, so spaces stay. The seqid (column 1 and ``##sequence-region``) percent-encodes every character
  outside ``[a-zA-Z0-9.:^*$@!+_?|-]`` (UTF-8 bytes for non-ASCII).
* BED: the name (column 4, ``NAME_ID``, or ``ID`` when the two are the same) has every whitespace or
  control character replaced by ``_``, so the line keeps its 6 columns in whitespace- and tab-separated
  readers; an empty name becomes ``.``. Record names never hold whitespace (a FASTA name ends at the
  first space).
* TSV: tabs, newlines and control characters inside a field become spaces.
* JSON: strict (no NaN or Infinity: a missing figure is ``null``).

A hit whose score, p-value or q-value is not finite is an error naming its motif, never an output (a
model column that does not apply, such as a PWM hit's model p-value, is ``NA`` / ``null``). The format
follows the file's extension (``.bed``, ``.gff3``/``.gff``, ``.tsv``/``.txt``, ``.json``, each also
gzip-compressed as ``.gz``); any other extension is an error unless the format is given. A special file
(``/dev/stdout``, a FIFO) is written in place, as BED unless the format is given.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.config import HitFormat
from carrousel.bio.errors import NonFiniteHitError, ScanConfigError
from carrousel.bio.hits import Hits, ScanResult
from carrousel.core.errors import CarrouselError, OutputError
from carrousel.core.io import atomic_write_bytes, is_special

__all__ = [
    "FORMATS",
    "bed_name",
    "format_for",
    "gff3_escape",
    "gff3_seqid",
    "render_hits",
    "to_bed",
    "to_gff3",
    "to_json",
    "to_tsv",
    "write_hits",
]

FORMATS = tuple(f.value for f in HitFormat)

_GFF3_ATTRIBUTE = re.compile(r"[;=&,%\x00-\x1f\x7f]")
_GFF3_SEQID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:^*$@!+_?|-")
_UNSAFE_NAME = re.compile(r"[\s\x00-\x1f\x7f]+")
_UNSAFE_FIELD = re.compile(r"[\t\r\n\x00-\x1f\x7f]")


def _percent(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def gff3_escape(value: str) -> str:
    """A GFF3 column 9 value: ``;`` ``=`` ``&`` ``,`` ``%``, tab, newline and control characters
    percent-encoded, nothing else (``"a;b c"`` -> ``"a%3Bb c"``)."""
    return _GFF3_ATTRIBUTE.sub(lambda m: _percent(m.group()), value)


def gff3_seqid(value: str) -> str:
    """A GFF3 seqid: every character outside ``[a-zA-Z0-9.:^*$@!+_?|-]`` percent-encoded."""
    return "".join(ch if ch in _GFF3_SEQID_SAFE else _percent(ch) for ch in value)


def bed_name(motif_id: str, name: str) -> str:
    """The BED name of a hit: ``NAME_ID`` (``ID`` alone when the name is empty or equal to it), with
    every run of whitespace or control characters replaced by ``_``."""
    text = name if name and name == motif_id else f"{name}_{motif_id}" if name else motif_id
    return _UNSAFE_NAME.sub("_", text) or "."


def _bed_score(p: float) -> int:
    """BED score 0..1000 from a p-value: ``min(1000, round(-10 log10 p))`` (like a Phred scale)."""
    if not p > 0 or math.isnan(p):
        return 1000 if p == 0 else 0
    return int(min(1000, round(-10 * math.log10(p))))


def to_bed(hits: Hits) -> str:
    """BED6: chrom, 0-based start, end, name (``TF_ID``), score (0-1000 from -10 log10 p), strand."""
    lines = []
    for r in hits.rows():
        p = r["pvalue"] if not math.isnan(r["pvalue"]) else r["model_pvalue"]
        lines.append(
            f"{r['record']}\t{r['start']}\t{r['end']}\t{bed_name(r['motif_id'], r['motif_name'])}"
            f"\t{_bed_score(p)}\t{r['strand']}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _fmt(x: float) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def to_gff3(hits: Hits, result: ScanResult | None = None) -> str:
    """GFF3 with one ``TF_binding_site`` (SO:0000235) feature per hit; 1-based closed coordinates."""
    lines = ["##gff-version 3"]
    if result is not None:
        lines += [f"##sequence-region {gff3_seqid(r.name)} 1 {r.length}" for r in result.records]
    esc = gff3_escape
    for i, r in enumerate(hits.rows(), 1):
        attrs = [
            f"ID=hit{i}",
            f"Name={esc(r['motif_name'])}",
            f"motif_id={esc(r['motif_id'])}",
            f"method={esc(r['method'])}",
            f"pvalue={_fmt(r['pvalue'])}",
            f"qvalue={_fmt(r['qvalue'])}",
        ]
        if not math.isnan(r["model_score"]):
            attrs += [f"model_score={_fmt(r['model_score'])}", f"model_pvalue={_fmt(r['model_pvalue'])}"]
        if r["sequence"]:
            attrs.append(f"sequence={esc(r['sequence'])}")
        lines.append(
            f"{gff3_seqid(r['record'])}\tcarrousel-bio\tTF_binding_site\t{r['start'] + 1}\t{r['end']}"
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
            vals.append(_fmt(v) if isinstance(v, float) else _UNSAFE_FIELD.sub(" ", str(v)))
        lines.append("\t".join(vals))
    return "\n".join(lines) + "\n"


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def to_json(result: ScanResult, include_hits: bool = False) -> str:
    """The summary (records, bases, hits per motif, time) as strict JSON, optionally with every hit."""
    out: dict[str, Any] = result.summary()
    if include_hits:
        out["hit_rows"] = [{k: _finite(v) for k, v in r.items()} for r in result.hits.rows()]
    return json.dumps(out, indent=2, allow_nan=False)


_EXTENSIONS = {"bed": "bed", "gff": "gff3", "gff3": "gff3", "tsv": "tsv", "txt": "tsv", "json": "json"}


def format_for(path: str | Path | None, fmt: HitFormat | str | None) -> HitFormat:
    """The output format: ``fmt``, or else from the file extension (``.bed``, ``.gff``/``.gff3``,
    ``.tsv``/``.txt``, ``.json``, each optionally followed by ``.gz``); BED for stdout and special files.

    Raises:
        ScanConfigError: ``fmt`` is not a format, or ``path`` has no known extension and ``fmt`` is None.
    """
    if fmt:
        name = str(fmt.value if isinstance(fmt, HitFormat) else fmt).lower()
        try:
            return HitFormat("gff3" if name == "gff" else name)
        except ValueError:
            raise ScanConfigError(f"unknown hit format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    if path is None or is_special(path) or str(Path(path).parent) in ("/dev", "/dev/fd", "/proc/self/fd"):
        return HitFormat.bed
    ext = Path(Path(path).name.lower().removesuffix(".gz")).suffix.lstrip(".")
    if ext not in _EXTENSIONS:
        what = f"'.{ext}' is not the extension of a hit format" if ext else "no extension"
        raise ScanConfigError(
            f"--out {path}: {what}; name the file .bed, .gff3, .tsv or .json (.gz to compress), "
            f"or give --format {', '.join(FORMATS)}"
        )
    return HitFormat(_EXTENSIONS[ext])


def _check_finite(hits: Hits) -> None:
    """Refuses hits whose score, p-value or q-value is NaN or infinite (naming the motif)."""
    for col in ("score", "pvalue", "qvalue"):
        bad = np.flatnonzero(~np.isfinite(np.asarray(hits[col], dtype=np.float64)))
        if bad.size:
            i = int(bad[0])
            raise NonFiniteHitError(
                f"{bad.size} hit(s) of motif {hits['motif_id'][i]} have a {col} that is not finite (first at "
                f"{hits['record'][i]}:{int(hits['start'][i])}); nothing is written: check the motif and model"
            )


def render_hits(result: ScanResult, fmt: HitFormat | str) -> str:
    """The hits of ``result`` as text in ``fmt`` (bed | gff3 | tsv | json).

    Raises:
        NonFiniteHitError: a hit's score, p-value or q-value is not finite.
    """
    _check_finite(result.hits)
    kind = format_for(None, fmt)
    if kind is HitFormat.bed:
        return to_bed(result.hits)
    if kind is HitFormat.gff3:
        return to_gff3(result.hits, result)
    if kind is HitFormat.tsv:
        return to_tsv(result.hits)
    return to_json(result, include_hits=True)


def write_hits(result: ScanResult, fmt: HitFormat | str, path: str | Path) -> str:
    """Renders the hits in ``fmt`` and writes them atomically to ``path`` (gzip-compressed when its name
    ends in ``.gz``; a special file such as ``/dev/stdout`` in place).

    Returns:
        The rendered text.

    Raises:
        NonFiniteHitError: a hit's score, p-value or q-value is not finite (nothing is written).
        OutputError: ``path`` cannot be written (the message names it).
    """
    text = render_hits(result, fmt)
    blob = text.encode("utf-8")
    if str(path).lower().endswith(".gz") and not is_special(path):
        blob = gzip.compress(blob, mtime=0)
    try:
        atomic_write_bytes(path, blob)
    except OSError as exc:
        if isinstance(exc, CarrouselError):
            raise
        raise OutputError(
            f"cannot write {path} ({exc.strerror or exc}); choose a writable path with free space"
        ) from None
    return text
