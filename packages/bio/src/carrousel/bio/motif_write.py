"""Motif files written: MEME minimal text (:func:`write_meme`) and JASPAR text (:func:`write_jaspar`).

Split from :mod:`carrousel.bio.motifs` (which re-exports both) to keep that module under its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from carrousel.bio.motif_names import motif_label

if TYPE_CHECKING:
    from carrousel.bio.motifs import Motif

__all__ = ["write_jaspar", "write_meme"]


def write_meme(motifs: Iterable[Motif], background: np.ndarray | None = None) -> str:
    """MEME minimal-format text of the motifs (frequencies); ``nsites`` (MEME: the number of sites the matrix
    was built from) is the fullest column's count, as a site over an N or past a window's end is missing from
    that column only (the mean column count, written before, fell below the sites read)."""
    bg = np.full(4, 0.25) if background is None else background
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "", "Background letter frequencies"]
    lines.append(" ".join(f"{b} {p:.4f}" for b, p in zip("ACGT", bg, strict=True)))
    lines.append("")
    for m in motifs:
        f = m.frequencies(pseudocount=0.0)
        nsites = max(round(float(np.asarray(m.counts).sum(axis=1).max())), 1)
        lines.append(f"MOTIF {motif_label(m, id_first=True)}")
        lines.append(f"letter-probability matrix: alength= 4 w= {m.length} nsites= {nsites} E= 0")
        lines.extend(" ".join(f"{x:.6f}" for x in row) for row in f)
        lines.append("")
    return "\n".join(lines)


def write_jaspar(motifs: Iterable[Motif]) -> str:
    """JASPAR-format text of the motifs (counts)."""
    lines = []
    for m in motifs:
        lines.append(f">{motif_label(m, chr(9), id_first=True)}")
        for j, b in enumerate("ACGT"):
            row = " ".join(f"{x:6.0f}" if float(x).is_integer() else f"{x:8.3f}" for x in m.counts[:, j])
            lines.append(f"{b}  [ {row} ]")
        lines.append("")
    return "\n".join(lines)
