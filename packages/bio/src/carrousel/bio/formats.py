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

Every score column holds one quantity, named where the format names columns (:data:`COLUMN_DOCS`):
``pwm_score`` the PWM log-odds of the site in bits, ``model_score`` the model probability (``NA`` /
``null`` on PWM hits), ``p-value`` / ``pvalue`` the exact PWM p-value of the site (model hits too),
``q-value`` the q-value of the call (of the PWM p-values on ``pwm`` rows, of the model p-values on
``model`` rows). With ``--method both`` a site found by both methods is two rows, each with both scores
where known. BED's score column is an integer 0-1000 from the site's PWM p-value,
``min(1000, round(-10 log10 p))`` (a Phred-like scale: p = 1e-4 -> 40, p = 1e-10 -> 100); 0 when a hit
has no PWM p-value. GFF3's score column (6) is the PWM score (bits) when every hit comes from the PWM, the
model probability when every hit comes from the model, and ``.`` when the file mixes both (the
``pwm_score`` and ``model_score`` attributes name each); a ``#`` comment line says which.

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
from carrousel.bio.hits import COLUMN_DOCS, Hits, ScanResult
from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_write_bytes, is_special
from carrousel.core.errors import CarrouselError, OutputError

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
    """BED score 0..1000 from a p-value: ``min(1000, round(-10 log10 p))`` (like a Phred scale; 0 for a
    missing p-value)."""
    if math.isnan(p) or not p > 0:
        return 1000 if p == 0 else 0
    return int(min(1000, round(-10 * math.log10(p))))


def to_bed(hits: Hits) -> str:
    """BED6: chrom, 0-based start, end, name (``TF_ID``), score (0-1000 from -10 log10 of the site's
    PWM p-value, whatever the method; 0 without one), strand."""
    lines = []
    for r in hits.rows():
        lines.append(
            f"{r['record']}\t{r['start']}\t{r['end']}\t{bed_name(r['motif_id'], r['motif_name'])}"
            f"\t{_bed_score(r['pvalue'])}\t{r['strand']}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _fmt(x: float) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


_GFF3_SCORE = {
    "pwm": ("pwm_score", "PWM log-odds score of the site (bits)"),
    "model": ("model_score", "model probability for the window holding the site"),
}


def to_gff3(hits: Hits, result: ScanResult | None = None) -> str:
    """GFF3 with one ``TF_binding_site`` (SO:0000235) feature per hit; 1-based closed coordinates.

    Column 6 holds one quantity for the whole file (the PWM bits or the model probability, ``.`` when
    the file holds both methods' hits; a ``#`` comment line names it); the ``pwm_score``, ``pvalue``,
    ``qvalue``, ``model_score`` and ``model_pvalue`` attributes name every figure.
    """
    lines = ["##gff-version 3"]
    if result is not None:
        lines += [f"##sequence-region {gff3_seqid(r.name)} 1 {r.length}" for r in result.records]
    methods = set(hits["method"].tolist())
    column, what = (
        _GFF3_SCORE[methods.pop()] if len(methods) == 1 and hits["method"][0] in _GFF3_SCORE else ("", "")
    )
    lines.append(f"# score column: {what or 'none (.): see the pwm_score and model_score attributes'}")
    esc = gff3_escape
    for i, r in enumerate(hits.rows(), 1):
        attrs = [
            f"ID=hit{i}",
            f"Name={esc(r['motif_name'])}",
            f"motif_id={esc(r['motif_id'])}",
            f"method={esc(r['method'])}",
            f"pwm_score={_fmt(r['pwm_score'])}",
            f"pvalue={_fmt(r['pvalue'])}",
            f"qvalue={_fmt(r['qvalue'])}",
        ]
        if not math.isnan(r["model_score"]):
            attrs += [f"model_score={_fmt(r['model_score'])}", f"model_pvalue={_fmt(r['model_pvalue'])}"]
        if r["sequence"]:
            attrs.append(f"sequence={esc(r['sequence'])}")
        score = _fmt(r[column]) if column else "."
        lines.append(
            f"{gff3_seqid(r['record'])}\tcarrousel-bio\tTF_binding_site\t{r['start'] + 1}\t{r['end']}"
            f"\t{'.' if score == 'NA' else score}\t{r['strand']}\t.\t{';'.join(attrs)}"
        )
    return "\n".join(lines) + "\n"


_TSV_COLS = [
    ("motif_id", "motif_id"),
    ("motif_alt_id", "motif_name"),
    ("sequence_name", "record"),
    ("start", "start"),
    ("stop", "end"),
    ("strand", "strand"),
    ("pwm_score", "pwm_score"),
    ("p-value", "pvalue"),
    ("q-value", "qvalue"),
    ("matched_sequence", "sequence"),
    ("method", "method"),
    ("model_score", "model_score"),
    ("model_p-value", "model_pvalue"),
]


def to_tsv(hits: Hits) -> str:
    """FIMO-like TSV (1-based start, inclusive stop) with p- and q-values, plus model columns; the
    score columns are named for what they hold (``pwm_score`` in bits, ``model_score`` a probability)."""
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


@check_args
def to_json(result: ScanResult, include_hits: bool = False) -> str:
    """The summary (records, bases, hits per motif, time) as strict JSON, optionally with every hit
    (each score under its own name, ``pwm_score`` and ``model_score``, described in ``"columns"``)."""
    out: dict[str, Any] = result.summary()
    if include_hits:
        out["columns"] = COLUMN_DOCS
        out["hit_rows"] = [{k: _finite(v) for k, v in r.items() if k != "score"} for r in result.hits.rows()]
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
    """Refuses hits whose score, p-value or q-value is NaN or infinite (naming the motif); a score
    column that does not apply to a row (a model hit's missing PWM score) may be NaN, never infinite."""
    pwm_rows = hits["method"] == "pwm"
    for col in ("score", "pwm_score", "model_score", "pvalue", "qvalue"):
        x = np.asarray(hits[col], dtype=np.float64)
        must = pwm_rows if col == "pwm_score" else ~pwm_rows if col == "model_score" else True
        bad = np.flatnonzero(np.isinf(x) | (np.isnan(x) & must))
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
