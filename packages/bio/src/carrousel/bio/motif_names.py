"""The specs a ``--motif`` value holds (:func:`motif_specs`), which JASPAR profile a transcription-factor
name means (``-m VSX2``), saying so when several match, and how a motif is named in messages, plots and
files (:func:`motif_label`: ``CTCF MA0139.2``).

135 names of JASPAR2024 (CORE and UNVALIDATED, latest versions) are shared by profiles of different base
IDs: ``VSX2`` is MA0180.1 (insects) and MA0726.2 (vertebrates), ``CTCF`` MA0139.2, MA0531.2 (insects),
MA1929.2 and MA1930.2 (vertebrates, CTCF's extended motifs). The pick follows one rule, for users of
human and mouse genomes (no command takes a species): a vertebrate profile first (from either collection),
then CORE before UNVALIDATED, then the lowest base ID, at its latest version. The lowest base ID is the
profile JASPAR 2020 named plainly when it still named the later ones ``(var.2)``, ``(var.3)`` (``RORA``
MA0071, ``RORA(var.2)`` MA0072): true of 52 of the 53 names several CORE vertebrate profiles share; the
53rd, ``PGR`` (MA2323 and MA2327), is new in 2024. One line names the pick and the others, with their
taxa, and the ID that selects one: INFO (seen with ``-v``) when the rule decides, a warning when it cannot,
i.e. no profile of the name is a vertebrate one and they are of several taxa (``ABF1``: fungi MA0265.3,
plants MA0570.3), where only the user knows which organism is meant. 122 shared names give INFO, 13 warn
(before: 36 and 99; ``-m CTCF`` and ``-m JUN`` warned on every run). JASPAR2026, the default release since
(:mod:`carrousel.bio.jaspar_release`), has 146 shared names: 133 give INFO, 13 warn, and the rule takes
2024's profile for every name the two share but ``FOSB`` (2026's CORE vertebrate MA2486.1 over the
UNVALIDATED UN0122.2) and ``GLYMA-13G317000`` (a new version, MA1811.3).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from carrousel.core.args import check_args
from carrousel.core.text import name_some

if TYPE_CHECKING:
    from carrousel.bio.motifs import Motif

__all__ = ["motif_label", "motif_specs", "pick_by_name"]

logger = logging.getLogger("carrousel.bio.motifs")  # where a motif lookup's messages have always come from


def motif_specs(specs: str | Sequence[str]) -> list[str]:
    """The single specs of ``--motif`` values: each comma-separated item, stripped, empty ones left out."""
    items = [specs] if isinstance(specs, str) else specs
    return [t.strip() for s in items for t in s.split(",") if t.strip()]


@check_args
def motif_label(m: Motif, sep: str = " ", *, id_first: bool = False) -> str:
    """The motif's name and ID, ``NAME ID`` (``sep`` between them; ``ID NAME`` with ``id_first``, as motif
    files write them), or the ID alone when the name is empty or only repeats it (a learned ``task0_filter6``
    is named once, not twice).

    Example:
        >>> motif_label(ctcf), motif_label(ctcf, "_"), motif_label(ctcf, id_first=True)  # doctest: +SKIP
        ('CTCF MA0139.2', 'CTCF_MA0139.2', 'MA0139.2 CTCF')
    """
    if m.name in ("", m.id):
        return m.id
    return f"{m.id}{sep}{m.name}" if id_first else f"{m.name}{sep}{m.id}"


def _key(m: object) -> tuple[int, int, str]:
    """Vertebrates first, then CORE, then the lowest base ID (``MA0139`` of ``MA0139.2``)."""
    mid = str(getattr(m, "matrix_id", ""))
    core = getattr(m, "collection", "CORE") == "CORE"
    return (0 if _taxon(m) == "vertebrates" else 1, 0 if core else 1, mid.split(".")[0])


def _taxon(m: object) -> str:
    """The taxon group of a profile (``vertebrates``), ``?`` when JASPAR gives none."""
    return str(getattr(m, "tax_group", None) or "?")


def _label(m: object) -> str:
    return f"{getattr(m, 'matrix_id', '?')} ({_taxon(m)})"


def pick_by_name(found: Sequence[object], name: str, release: str) -> object:
    """The profile a name lookup takes, with one line when profiles of other base IDs share the name: INFO
    when the rule decides, a warning when it cannot (the module doc says both).

    Args:
        found: pyjaspar's profiles for the name (at least one; latest versions).
        name: the name as the user gave it (quoted in the line).
        release: the JASPAR release, for the line.

    Returns:
        The vertebrate profile (else any), CORE before UNVALIDATED, of lowest base ID.
    """
    ranked = sorted(found, key=_key)
    best = ranked[0]
    others = [m for m in ranked[1:] if _key(m)[2] != _key(best)[2]]
    if others:
        taxa = len({_taxon(m) for m in ranked})
        decided = _taxon(best) == "vertebrates" or taxa == 1
        why = "" if decided else f" of {taxa} taxa, none of vertebrates"
        logger.log(
            logging.INFO if decided else logging.WARNING,
            "motif name %r matches %d %s profiles%s; using %s, not %s: give a matrix ID (-m %s) to scan another",
            name, len(others) + 1, release, why, _label(best), name_some(map(_label, others), 4),
            getattr(others[0], "matrix_id", "?"),
        )  # fmt: skip
    return best
