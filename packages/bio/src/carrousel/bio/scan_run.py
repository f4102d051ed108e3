"""``bio scan`` as a function: :func:`scan` checks the inputs and outputs, loads a model when the method
needs one, scans (:func:`carrousel.bio.scan.scan_genome`) and writes the hits. It is re-exported as
:func:`carrousel.bio.pipeline.scan`.

It lives apart from :mod:`carrousel.bio.pipeline` (whose training, evaluation and discovery import
PyTorch) so that a PWM scan imports neither torch nor the model code: the ``bio`` CLI calls it from here,
and a PWM scan's fixed memory cost drops by the ~0.5 GB that importing torch costs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carrousel.bio.config import HitFormat, Method, ScanConfig
from carrousel.bio.errors import ScanConfigError
from carrousel.bio.fasta_names import check_fasta_input
from carrousel.bio.formats import format_for, write_hits
from carrousel.bio.hits import ScanResult
from carrousel.bio.magic import kept_unpacked
from carrousel.bio.scan import scan_genome
from carrousel.core.atomic import writes_in_place
from carrousel.core.files import check_output_file
from carrousel.core.option_names import option
from carrousel.core.paths import user_path

__all__ = ["scan"]

logger = logging.getLogger(__name__)

_BASES = set("ACGTUNRYKMSWBDHVacgtunrykmswbdhv\r\n")  # the letters of a sequence passed as a str


@kept_unpacked()  # a .2bit.gz read for its names, base counts and scan: decompressed once, removed on return
def scan(
    cfg: ScanConfig,
    genome: str | Path,
    out: str | Path | None = None,
    fmt: HitFormat | str | None = None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> ScanResult:
    """``bio scan``: finds sites in ``genome`` and writes the hits to ``out`` (when given).

    The model (``cfg.model``, or the packaged panel) is loaded for the model and both methods, and for a
    PWM scan without ``cfg.motifs`` (its motifs are scanned).

    Args:
        cfg: the scan options.
        genome: FASTA or FASTA.gz.
        out: hit file to write (atomically); None writes nothing.
        fmt: bed | gff3 | tsv | json (default: from ``out``'s extension, else BED).
        progress: called with the bases just scanned, after each chunk.
        total: called once with the genome's total bases.

    Returns:
        The :class:`~carrousel.bio.hits.ScanResult` (render it with :mod:`carrousel.bio.formats`).

    Raises:
        ScanConfigError: ``genome`` is not a path (an open file, a list of sequences), or ``out`` has an
            extension of no known format (and ``fmt`` is not given).
        ConfigError: ``out`` cannot be written (a folder, below a file, a read-only folder).
        DataError: ``genome`` is not a readable, non-empty regular file (and the errors of the scan).
    """
    _check_path(genome)
    genome, out = user_path(genome), (user_path(out) if out is not None else None)  # "~/genome.fa"
    if out is not None:
        check_output_file(out, option("out"), inputs=[genome])
    kind = format_for(out, fmt)  # an unknown extension fails here, before any work
    for fasta, flag in ((genome, None), (cfg.model_background, option("model_background"))):
        check_fasta_input(fasta, flag)  # a readable file without duplicate record names: before any work
    model = None
    if cfg.method is not Method.pwm or not cfg.motifs:
        from carrousel.bio.bundle import load_model  # torch: only for a scan with a model

        model = load_model(cfg.model, device=cfg.device, precision=cfg.precision.value)
    spill = None  # PWM hits past 64 MiB wait in a temporary file beside the output (same disk)
    if out is not None and not writes_in_place(out) and Path(out).parent.is_dir():
        spill = Path(out).parent
    result = scan_genome(
        genome, cfg, model=model, progress=progress, total=total, spill_dir=spill, check_names=False
    )
    if model is not None and cfg.method is not Method.pwm:  # the network ran (not only its motifs)
        result.precisions = model.precisions()
    if out is not None:
        write_hits(result, kind, out)
    return result


def _check_path(genome: Any) -> None:
    """Refuses a ``genome`` that is not a path (before: pathlib's bare TypeError, deep in the file checks)."""
    if isinstance(genome, str) and _is_sequence(genome):  # before: '<the whole sequence> not found'
        raise ScanConfigError(
            f"scan takes the genome as the path of a FASTA, FASTA.gz or .2bit file, not a DNA sequence "
            f"(a str of {len(genome)} bases); write it to a FASTA file ('>name' line, then the sequence) "
            "and pass its path"
        )
    if isinstance(genome, str | os.PathLike):
        return
    name = getattr(genome, "name", None)  # an open file knows its path
    known = isinstance(name, str) and os.path.isfile(name)
    fix = f"pass its path, {name!r}" if known else "write the sequences to a FASTA file and pass its path"
    raise ScanConfigError(
        f"scan takes the genome as the path of a FASTA, FASTA.gz or .2bit file (a str or pathlib.Path), "
        f"not a {type(genome).__name__}; {fix}"
    )


def _is_sequence(text: str) -> bool:
    """Whether ``text`` is bases (IUPAC letters, 12 or more) rather than the path of a file that exists."""
    return len(text) >= 12 and not set(text) - _BASES and not os.path.exists(text)
