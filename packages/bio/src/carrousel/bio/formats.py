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
(``/dev/stdout``, a FIFO) is written in place, as BED unless the format is given. A scan's hits are
rendered and written a table at a time (:func:`~carrousel.bio.hit_store.hit_blocks`), never as one text.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.bio.config import HitFormat
from carrousel.bio.errors import NonFiniteHitError, ScanConfigError
from carrousel.bio.hit_store import hit_blocks
from carrousel.bio.hits import COLUMN_DOCS, Hits, ScanResult
from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_path, is_special
from carrousel.core.curves import finite_json
from carrousel.core.errors import CarrouselError, OutputError
from carrousel.core.option_names import option
from carrousel.core.paths import format_suffix, is_gzip

__all__ = [
    "FORMATS",
    "bed_name",
    "format_for",
    "gff3_escape",
    "gff3_seqid",
    "iter_hits_text",
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
    return "".join(_gff3_pieces(hits, result))


def _gff3_pieces(hits: Hits, result: ScanResult | None) -> Iterator[str]:
    lines = ["##gff-version 3"]
    if result is not None:
        lines += [f"##sequence-region {gff3_seqid(r.name)} 1 {r.length}" for r in result.records]
    methods = hits.methods()
    column, what = (
        _GFF3_SCORE[next(iter(methods))] if len(methods) == 1 and methods <= set(_GFF3_SCORE) else ("", "")
    )
    lines.append(f"# score column: {what or 'none (.): see the pwm_score and model_score attributes'}")
    yield "\n".join(lines) + "\n"
    n = 0
    for table in hit_blocks(hits):
        yield _gff3_rows(table, column, n)
        n += len(table)


def _gff3_rows(hits: Hits, column: str, before: int) -> str:
    esc = gff3_escape
    lines = []
    for i, r in enumerate(hits.rows(), before + 1):
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
            f"\t{'.' if score == 'NA' else score}\t{r['strand']}\t.\t{';'.join(attrs)}\n"
        )
    return "".join(lines)


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
    return "\t".join(c for c, _ in _TSV_COLS) + "\n" + _tsv_rows(hits)


def _tsv_rows(hits: Hits) -> str:
    lines = []
    for r in hits.rows():
        vals = []
        for _, k in _TSV_COLS:
            v = r[k]
            if k == "start":
                v = v + 1
            vals.append(_fmt(v) if isinstance(v, float) else _UNSAFE_FIELD.sub(" ", str(v)))
        lines.append("\t".join(vals) + "\n")
    return "".join(lines)


@check_args
def to_json(result: ScanResult, include_hits: bool = False) -> str:
    """The summary (records, bases, hits per motif, time) as strict JSON, optionally with every hit
    (each score under its own name, ``pwm_score`` and ``model_score``, described in ``"columns"``)."""
    if include_hits:
        return "".join(_json_pieces(result))
    return json.dumps(result.summary(), indent=2, allow_nan=False)


def _json_pieces(result: ScanResult) -> Iterator[str]:
    """``to_json(result, include_hits=True)`` a table of hits at a time (the same text)."""
    out: dict[str, Any] = {**result.summary(), "columns": COLUMN_DOCS, "hit_rows": []}
    head = json.dumps(out, indent=2, allow_nan=False)
    if not len(result.hits):
        yield head
        return
    yield head.removesuffix("[]\n}") + "[\n"
    sep = ""
    for table in hit_blocks(result.hits):
        rows = [finite_json({k: v for k, v in r.items() if k != "score"}) for r in table.rows()]
        text = ",\n".join(
            "    " + json.dumps(r, indent=2, allow_nan=False).replace("\n", "\n    ") for r in rows
        )
        yield sep + text
        sep = ",\n"
    yield "\n  ]\n}"


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
    ext = format_suffix(path).lstrip(".")  # bed of x.BED.gz
    if ext not in _EXTENSIONS:
        what = f"'.{ext}' is not the extension of a hit format" if ext else "no extension"
        raise ScanConfigError(
            f"{option('out', str(path))}: {what}; name the file .bed, .gff3, .tsv or .json (.gz to compress), "
            f"or give {option('fmt', flag='--format')} {', '.join(FORMATS)}"
        )
    return HitFormat(_EXTENSIONS[ext])


def _check_finite(hits: Hits) -> None:
    """Refuses hits whose score, p-value or q-value is NaN or infinite (naming the motif); a score
    column that does not apply to a row (a model hit's missing PWM score) may be NaN, never infinite."""
    cols = ("score", "pwm_score", "model_score", "pvalue", "qvalue")
    n_bad = dict.fromkeys(cols, 0)
    first: dict[str, tuple[str, str, int]] = {}
    for table in hit_blocks(hits, sequences=False):
        pwm_rows = table["method"] == "pwm"
        for col in cols:
            x = np.asarray(table[col], dtype=np.float64)
            must = pwm_rows if col == "pwm_score" else ~pwm_rows if col == "model_score" else True
            bad = np.flatnonzero(np.isinf(x) | (np.isnan(x) & must))
            if bad.size:
                i = int(bad[0])
                n_bad[col] += bad.size
                first.setdefault(col, (table["motif_id"][i], table["record"][i], int(table["start"][i])))
    for col in cols:
        if n_bad[col]:
            motif, record, start = first[col]
            raise NonFiniteHitError(
                f"{n_bad[col]} hit(s) of motif {motif} have a {col} that is not finite (first at "
                f"{record}:{start}); nothing is written: check the motif and model"
            )


def iter_hits_text(result: ScanResult, fmt: HitFormat | str) -> Iterator[str]:
    """:func:`render_hits`' text in pieces, a table of hits at a time (for scans too large to render
    whole); every hit is checked before the first piece.

    Raises:
        NonFiniteHitError: a hit's score, p-value or q-value is not finite.
    """
    _check_finite(result.hits)
    return _pieces(result, format_for(None, fmt))


def _pieces(result: ScanResult, kind: HitFormat) -> Iterator[str]:
    if kind is HitFormat.bed:
        yield from (to_bed(t) for t in hit_blocks(result.hits))
    elif kind is HitFormat.gff3:
        yield from _gff3_pieces(result.hits, result)
    elif kind is HitFormat.tsv:
        yield "\t".join(c for c, _ in _TSV_COLS) + "\n"
        yield from (_tsv_rows(t) for t in hit_blocks(result.hits))
    else:
        yield from _json_pieces(result)


def render_hits(result: ScanResult, fmt: HitFormat | str) -> str:
    """The hits of ``result`` as text in ``fmt`` (bed | gff3 | tsv | json).

    Raises:
        NonFiniteHitError: a hit's score, p-value or q-value is not finite.
    """
    return "".join(iter_hits_text(result, fmt))


def write_hits(result: ScanResult, fmt: HitFormat | str, path: str | Path) -> None:
    """Renders the hits in ``fmt`` and writes them atomically to ``path`` (gzip-compressed when its name
    ends in ``.gz``; a special file such as ``/dev/stdout`` in place), a table of hits at a time.

    Raises:
        NonFiniteHitError: a hit's score, p-value or q-value is not finite (nothing is written).
        OutputError: ``path`` cannot be written (the message names it).
    """
    pieces = iter_hits_text(result, fmt)
    gz = is_gzip(path) and not is_special(path)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            sink = _Gzip(fh) if gz else fh
            for piece in pieces:
                sink.write(piece.encode("utf-8"))
            if isinstance(sink, _Gzip):
                sink.close()
    except OSError as exc:
        if isinstance(exc, CarrouselError):
            raise
        raise OutputError(
            f"cannot write {path} ({exc.strerror or exc}); choose a writable path with free space"
        ) from None


class _Gzip:
    """Streams the bytes of ``gzip.compress(data, mtime=0)`` (the same header, level 9 deflate and
    trailer, whatever the Python version) to ``fh``."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.crc, self.size = fh, 0, 0
        self.z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        fh.write(gzip.compress(b"", mtime=0)[:10])

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.fh.write(self.z.compress(data))

    def close(self) -> None:
        self.fh.write(self.z.flush())
        self.fh.write(self.crc.to_bytes(4, "little") + (self.size & 0xFFFFFFFF).to_bytes(4, "little"))
