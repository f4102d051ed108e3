"""The specs a ``--motif`` value holds (:func:`motif_specs`), which JASPAR profile a transcription-factor
name means (``-m VSX2``), saying so when several match, and how a motif is named in messages, plots and
files (:func:`motif_label`: ``CTCF MA0139.2``).

135 names of JASPAR2024 (CORE and UNVALIDATED, latest versions) are shared by profiles of different base
IDs: ``VSX2`` is MA0180.1 (insects) and MA0726.2 (vertebrates), ``CTCF`` MA0139.2, MA0531.2 (insects),
MA1929.2 and MA1930.2. The pick is the CORE profile of lowest base ID (the canonical one); one line names
the others, with their taxa, and the ID that selects one. It is a warning when the pick may not be the
profile meant: the pick is not a CORE vertebrate one (``VSX2`` takes the fly MA0180.1), or other CORE
profiles of its taxon share the name (``CTCF``: MA1929.2 and MA1930.2 are CORE vertebrates too). When the
pick is the one CORE vertebrate profile of the name, and the others are of other taxa or UNVALIDATED
(``SP1``: an insect one; ``NANOG``: an unvalidated one), it is the expected pick and the line is logged at
INFO (seen with ``-v``).
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


def _key(m: object) -> tuple[int, str]:
    """CORE first, then the lowest base ID (``MA0139`` of ``MA0139.2``)."""
    mid = str(getattr(m, "matrix_id", ""))
    return (0 if getattr(m, "collection", "CORE") == "CORE" else 1, mid.split(".")[0])


def _group(m: object) -> tuple[str, str]:
    """The collection and taxon group of a profile: ``("CORE", "vertebrates")``."""
    return str(getattr(m, "collection", "CORE")), str(getattr(m, "tax_group", None) or "?")


def _label(m: object) -> str:
    return f"{getattr(m, 'matrix_id', '?')} ({getattr(m, 'tax_group', None) or '?'})"


def pick_by_name(found: Sequence[object], name: str, release: str) -> object:
    """The profile a name lookup takes, with one line when profiles of other base IDs share the name: a
    warning, or INFO when the pick is the name's one CORE vertebrate profile (the module doc says why).

    Args:
        found: pyjaspar's profiles for the name (at least one).
        name: the name as the user gave it (quoted in the warning).
        release: the JASPAR release, for the warning.

    Returns:
        The CORE profile of lowest base ID (else the lowest of the others).
    """
    ranked = sorted(found, key=_key)
    best = ranked[0]
    others = [m for m in ranked[1:] if _key(m)[1] != _key(best)[1]]
    if others:
        expected = _group(best) == ("CORE", "vertebrates") and all(_group(m) != _group(best) for m in others)
        logger.log(
            logging.INFO if expected else logging.WARNING,
            "motif name %r matches %d %s profiles; using %s, not %s: give a matrix ID (-m %s) to scan another",
            name, len(others) + 1, release, _label(best), name_some(map(_label, others), 4),
            getattr(others[0], "matrix_id", "?"),
        )  # fmt: skip
    return best
