"""Motifs: JASPAR offline (pyjaspar) by ID, name or collection/taxon, and JASPAR/MEME/TRANSFAC files.

A :class:`Motif` holds a count (or frequency) matrix ``(length, 4)`` over ``A C G T``. Log-odds PWMs are
built by :func:`log_odds` against a background (0-order ``(4,)``), with pseudocounts spread by the
background as FIMO does (``--motif-pseudo``).

Motif specs understood by :func:`resolve_motifs` (comma-separated or repeated):

* ``MA0139.2`` / ``MA0139`` - a JASPAR matrix ID (latest version without the ``.N``);
* ``CTCF`` - a JASPAR transcription-factor name (case-insensitive; a shared name: see ``motif_names``);
* ``jaspar:CORE/vertebrates`` - a whole collection and taxon group (``jaspar:CORE`` for all taxa);
* a path to a ``.jaspar``, ``.meme``, ``.transfac``/``.dat``, ``.pfm`` or HOMER ``.motif`` file (an
  existing path, or one with a folder or a motif file extension, is always read as a file).

Every motif is checked where it is made (:class:`Motif`): its counts (or frequencies) must be finite and
non-negative, with at least one position and some count at every position; a base absent from every
position is allowed (46 JASPAR 2024 matrices have one; the pseudocount covers it). A file's bad motif is a
:class:`~carrousel.bio.errors.MotifFormatError` naming the motif and the file; a bad matrix in a JASPAR
collection is skipped with a warning.
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, jaspar_db, release_name
from carrousel.bio.motif_columns import pfm_without_header
from carrousel.bio.motif_homer import homer_motifs
from carrousel.bio.motif_lines import (
    diagnose,
    meme_alphabet_problem,
    meme_alt_names,
    meme_is_rna,
    pfm_layout,
    read_problem,
    reader_text,
)
from carrousel.bio.motif_names import motif_specs, pick_by_name
from carrousel.bio.motif_write import write_jaspar, write_meme
from carrousel.core.errors import DataError
from carrousel.core.files import read_text
from carrousel.core.option_names import option
from carrousel.core.paths import format_suffix, uncompressed_name, user_path
from carrousel.core.text import name_some

__all__ = [
    "JASPAR_RELEASE",
    "Motif",
    "check_counts",
    "from_biopython",
    "jaspar_db",
    "load_motif_file",
    "log_odds",
    "parse_motifs",
    "resolve_motifs",
    "write_jaspar",
    "write_meme",
]

logger = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Z]{2}\d{4}(\.\d+)?$")
_FILE_EXTENSIONS = (".jaspar", ".meme", ".transfac", ".dat", ".pfm", ".motif", ".txt", ".gz")
_MAX_FILE_BYTES = 256 << 20  # a motif file of more than 256 MiB is not one


@dataclass(frozen=True)
class Motif:
    """A DNA motif as a count matrix.

    Attributes:
        id: matrix ID (``MA0139.2``) or a name given by the file.
        name: transcription-factor name.
        counts: ``(length, 4)`` counts (or frequencies) over A, C, G, T.
        source: where it came from (``JASPAR2024``, a file path, ``model``...).
    """

    id: str
    name: str
    counts: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        check_counts(self.counts, self.id, self.name, self.source)

    @property
    def length(self) -> int:
        """Number of positions."""
        return int(self.counts.shape[0])

    def frequencies(self, background: np.ndarray | None = None, pseudocount: float = 0.1) -> np.ndarray:
        """``(length, 4)`` probabilities with a background-weighted pseudocount.

        Args:
            background: ``(4,)`` probabilities (uniform if None).
            pseudocount: total pseudocount per column, spread by the background (FIMO's default 0.1).
        """
        bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=np.float64)
        c = np.asarray(self.counts, dtype=np.float64)
        n = c.sum(axis=1, keepdims=True)
        n = np.where(n > 0, n, 1.0)
        return (c + pseudocount * bg) / (n + pseudocount)

    def reverse_complement(self) -> Motif:
        """The motif read on the other strand."""
        return Motif(self.id, self.name, self.counts[::-1, ::-1].copy(), self.source)

    def consensus(self) -> str:
        """Most frequent base per position."""
        return "".join("ACGT"[i] for i in np.argmax(self.counts, axis=1))

    def information_content(self) -> float:
        """Total information content in bits against a uniform background."""
        f = self.frequencies(pseudocount=0.01)
        return float(np.sum(2.0 + np.sum(f * np.log2(f), axis=1)))


def check_counts(counts: object, mid: str = "motif", name: str = "", source: str = "") -> None:
    """Fails unless ``counts`` is a usable ``(length, 4)`` count or frequency matrix.

    Raises:
        MotifFormatError: not ``(length, 4)``, no position, a count negative or not finite (NaN,
            infinite, or so large that a position's total overflows), or a position whose four counts
            are all zero; the message names the motif, its source and the position (1-based).
    """
    label = (
        f"motif {mid!r}"
        + (f" ({name})" if name and name != mid else "")
        + (f" in {source}" if source else "")
    )
    try:
        c = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError):
        raise MotifFormatError(f"{label}: its counts are not numbers; fix the matrix") from None
    if c.ndim != 2 or c.shape[1] != 4:
        raise MotifFormatError(f"{label}: counts of shape {c.shape}, expected (positions, 4); fix the matrix")
    if c.shape[0] == 0:
        raise MotifFormatError(f"{label} has no positions; give at least one column of counts")
    with np.errstate(over="ignore", invalid="ignore"):
        totals = c.sum(axis=1)
    bad = np.flatnonzero(~np.isfinite(c).all(axis=1))
    if bad.size:
        raise MotifFormatError(
            f"{label}, position {bad[0] + 1}: a count is not finite (NaN or infinite); fix it"
        )
    bad = np.flatnonzero((c < 0).any(axis=1))
    if bad.size:
        raise MotifFormatError(f"{label}, position {bad[0] + 1}: a negative count; counts must be >= 0")
    bad = np.flatnonzero(~np.isfinite(totals))
    if bad.size:
        raise MotifFormatError(f"{label}, position {bad[0] + 1}: counts too large (their sum is not finite)")
    bad = np.flatnonzero(totals <= 0)
    if bad.size:
        raise MotifFormatError(
            f"{label}, position {bad[0] + 1} has no counts (all four are zero); fix or remove the position"
        )


def log_odds(motif: Motif, background: np.ndarray | None = None, pseudocount: float = 0.1) -> np.ndarray:
    """Log-odds matrix ``(length, 4)`` in bits: ``log2(p_motif / p_background)``.

    Args:
        motif: the motif.
        background: ``(4,)`` 0-order background probabilities (uniform if None).
        pseudocount: see :meth:`Motif.frequencies`.
    """
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=np.float64)
    return np.log2(motif.frequencies(bg, pseudocount) / bg[None, :])


def from_biopython(m: object, source: str = "", default_id: str = "motif") -> Motif:
    """Converts a ``Bio.motifs.Motif`` (including pyjaspar's) to :class:`Motif`.

    Args:
        m: the Biopython motif (a TRANSFAC one gives its ``ID``/``AC`` and ``NA`` lines).
        source: where it came from (kept as the motif's ``source``).
        default_id: the ID of a motif whose file names none (a PFM file, a TRANSFAC record without ID).
    """
    counts = np.array([[float(c) for c in m.counts[b]] for b in "ACGT"], dtype=np.float64).T  # type: ignore[attr-defined]
    # A TRANSFAC record keeps its ID / AC / NA lines as dict keys, not attributes.
    tags = m if isinstance(m, dict) else {}
    mid = (
        getattr(m, "matrix_id", None) or getattr(m, "id", None) or tags.get("ID") or tags.get("AC")
        or getattr(m, "name", None) or tags.get("NA") or default_id
    )  # fmt: skip
    name = getattr(m, "name", None) or tags.get("NA") or mid
    return Motif(str(mid), str(name), counts, source)


def _by_id(mid: str, release: str) -> Motif:
    """The motif of a JASPAR matrix ID (its latest version when ``mid`` has no ``.N``)."""
    db = jaspar_db(release)
    with warnings.catch_warnings():  # pyjaspar warns on an unknown ID; we raise a clear error below
        warnings.simplefilter("ignore")
        m = db.fetch_motif_by_id(mid)
    if m is None:
        raise MotifNotFoundError(f"JASPAR ID {mid!r} not found in {release}; check the ID (e.g. MA0139.2)")
    return from_biopython(m, release)


def _by_name(name: str, release: str) -> list[Motif]:
    db = jaspar_db(release)
    with warnings.catch_warnings():  # pyjaspar warns on an empty result; we raise a clear error below
        warnings.simplefilter("ignore")
        found = db.fetch_motifs_by_name(_sql(name)) or db.fetch_motifs_by_name(_sql(name.upper()))
    if not found:
        raise MotifNotFoundError(
            f"no JASPAR motif named {name!r} in {release}; give a matrix ID (MA0139.2), a name such as "
            "CTCF, jaspar:CORE/vertebrates or a motif file"
        )

    return [from_biopython(pick_by_name(found, name, release), release)]  # vertebrate, CORE, lowest ID


def _sql(text: str) -> str:
    """``text`` as pyjaspar needs it: it puts names, collections and taxa into its SQL between quotes."""
    return text.replace("'", "''")


def _by_collection(spec: str, release: str) -> list[Motif]:
    body = spec.split(":", 1)[1]
    collection, _, tax = body.partition("/")
    db = jaspar_db(release)
    kwargs: dict[str, object] = {"collection": _sql(collection.upper() or "CORE")}
    if tax:
        kwargs["tax_group"] = [_sql(tax.lower())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = db.fetch_motifs(**kwargs)
    if not found:
        raise MotifNotFoundError(
            f"JASPAR collection {spec!r} is empty in {release}; try jaspar:CORE/vertebrates"
        )
    out, skipped = [], []
    for m in found:
        try:
            out.append(from_biopython(m, release))
        except MotifFormatError:
            skipped.append(str(getattr(m, "matrix_id", "?")))
    if skipped:
        logger.warning(
            "%d matrices of %s cannot be scored and are skipped: %s",
            len(skipped),
            spec,
            name_some(skipped),
        )
    if not out:
        raise MotifNotFoundError(
            f"JASPAR collection {spec!r} has no usable matrix; try jaspar:CORE/vertebrates"
        )
    return out


def load_motif_file(path: str | Path) -> list[Motif]:
    """Reads every motif of a JASPAR, MEME, TRANSFAC or PFM file through ``Bio.motifs``.

    The file is read through :func:`carrousel.core.files.read_text` (a regular, readable, non-empty
    file; gzip when it ends in ``.gz``; UTF-8 text without NUL bytes or endless lines).

    Raises:
        MotifNotFoundError: the file is missing, of an unknown format or holds no motif.
        MotifFormatError: it is not a readable motif text file, or a motif's counts cannot be scored.
    """
    p = user_path(path)  # a spec "~/motifs.meme" from Python (resolve_motifs, a config's motifs)
    if not (p.exists() or p.is_symlink()):
        raise MotifNotFoundError(f"motif file not found: {p}; check the path")
    try:
        text = read_text(p, "motif file", "motif", max_bytes=_MAX_FILE_BYTES, max_line=100_000)
    except DataError as exc:
        raise MotifFormatError(str(exc)) from None
    ext = format_suffix(p)  # .pfm of CTCF.PFM.GZ too
    return parse_motifs(text, ext, str(p))


def parse_motifs(text: str, ext: str = "", source: str = "<text>") -> list[Motif]:
    """Parses JASPAR, MEME (minimal), TRANSFAC, PFM or HOMER text (the format from ``ext`` or the content).

    Args:
        text: the file's text.
        ext: the file's extension, lower case with its dot (``".jaspar"``), or ``""``.
        source: where the text came from (kept as each motif's ``source``, and for messages).

    Raises:
        MotifNotFoundError: no motif found.
        MotifFormatError: a motif's counts cannot be scored (see :func:`check_counts`).
    """
    from Bio import motifs as bm

    if ext == ".meme" or re.search(r"^\s*(MEME version|letter-probability matrix:)", text, re.M | re.I):
        if alphabet := meme_alphabet_problem(text):  # a protein motif was 'no motif found', no reason
            raise MotifNotFoundError(f"{source}: {alphabet}")
        if meme_is_rna(text):  # an RBP's motif (CISBP-RNA, ATtRACT) on DNA: read as MEME-suite users read it
            logger.warning("%s: an RNA alphabet (A C G U): U is read as T to scan DNA", source)
        fmts = ["minimal"]
    elif ext in (".transfac", ".dat") or re.search(r"^(P0|PO)\s", text, re.M):
        fmts = ["transfac"]
    elif (homer := homer_motifs(text)) is not None:  # Biopython's JASPAR reader took its rows 4 at a time
        return [Motif(mid, name, counts, source) for mid, name, counts in homer]
    else:
        text = pfm_without_header(text)  # an 'A C G T' line over 4 columns names them
        try:  # a .pfm or bare count rows: 4 rows (A C G T) or 4 columns ("pfm" alone kept 4 rows of 6 x 4)
            layout = pfm_layout(text, ext)
        except ValueError as exc:
            raise MotifFormatError(f"{source}: {exc}") from None
        fmts = [layout] if layout else ["jaspar", "pfm-four-columns", "pfm-four-rows"]
    for fmt in fmts:
        try:  # a TRANSFAC P0 header whose columns are not A, C, G and T
            given = reader_text(text, fmt)
        except ValueError as exc:
            raise MotifFormatError(f"{source}: {exc}") from None
        try:
            # strict=False: JASPAR's TRANSFAC export ('AC MA0001.1': one space, not two) was 'no motif found'
            found = list(bm.parse(io.StringIO(given), fmt, strict=False))
        except Exception:
            continue
        if found and read_problem(text, fmt):  # Biopython cuts a MEME matrix short, drops a JASPAR N row
            break
        if found:
            named = source and not source.startswith("<")  # a file's stem names its motifs that have no ID
            stem = (Path(uncompressed_name(source)).stem if named else "") or "motif"
            ids = [stem] if len(found) == 1 else [f"{stem}_{i}" for i in range(1, len(found) + 1)]
            out = [from_biopython(m, source, default_id) for m, default_id in zip(found, ids, strict=True)]
            alt = meme_alt_names(text) if fmt == "minimal" else []
            if len(alt) == len(out):  # MEME's alternate names (FIMO's motif_alt_id), which Biopython drops
                out = [Motif(m.id, a or m.name, m.counts, m.source) for m, a in zip(out, alt, strict=True)]
            return out
    why = diagnose(text)
    raise MotifNotFoundError(
        f"{source}: no motif found" + (f" ({why})" if why else "")
        + "; expected a JASPAR, MEME (minimal), TRANSFAC or PFM file"
    )  # fmt: skip


def resolve_motifs(specs: str | Sequence[str], release: str = JASPAR_RELEASE) -> list[Motif]:
    """Turns motif specs (IDs, names, ``jaspar:COLLECTION/taxon``, files) into motifs.

    Args:
        specs: one spec, a comma-separated string, or a list of them.
        release: pyjaspar release for ID/name lookups, case ignored (the motifs' ``source`` spells it as
            pyjaspar does: :func:`~carrousel.bio.jaspar_release.release_name`).

    Returns:
        The motifs, in the order given, without duplicates (the same ID with the same counts).

    Raises:
        MotifFormatError: two different matrices share an ID (their hits could not be told apart).
    """
    items, release = motif_specs(specs), release_name(release)
    if not items:
        raise MotifNotFoundError(
            f"no motif given; pass {option('motifs', flag='--motif')} with an ID, name or file"
        )
    out: list[Motif] = []
    for item in items:
        if item.lower().startswith("jaspar:"):
            out.extend(_by_collection(item, release))
        elif _is_file_spec(item):
            out.extend(load_motif_file(item))
        elif _ID.match(item.upper()):
            out.append(_by_id(item.upper(), release))
        else:
            out.extend(_by_name(item, release))
    seen: dict[str, Motif] = {}
    for m in out:
        first = seen.setdefault(m.id, m)
        if first is not m and not np.array_equal(first.counts, m.counts):  # hits would not say which
            raise MotifFormatError(
                f"two different motifs are named {m.id!r} ({first.source or 'JASPAR'} and "
                f"{m.source or 'JASPAR'}); rename one in its file"
            )
    return list(seen.values())


def _is_file_spec(item: str) -> bool:
    """A spec names a file when that path exists, holds a folder separator or ends like a motif file."""
    p = Path(item)
    return p.exists() or p.is_symlink() or os.sep in item or item.lower().endswith(_FILE_EXTENSIONS)
