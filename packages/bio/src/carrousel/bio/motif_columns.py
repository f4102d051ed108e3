"""A motif file's columns, as its header names them, before Biopython reads it (a MEME file's alphabet:
:func:`~carrousel.bio.motif_lines.meme_alphabet_problem`).

* :func:`transfac_in_acgt`: a TRANSFAC matrix whose ``P0`` line orders its columns otherwise
  (``P0 T G C A``) is written in A C G T order (Biopython's reader refused any other order, so the file
  was 'no motif found' with no reason); a header that is not A, C, G and T is named in one line.
* :func:`pfm_without_header`: a 4-column PFM whose first line names its columns (``A C G T``, any order)
  is written as bare rows in A C G T order (the header made it no PFM at all).
"""

from __future__ import annotations

import re

from carrousel.core.encodings import file_lines

__all__ = ["pfm_without_header", "transfac_in_acgt"]

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_FIX = "a DNA matrix's columns are A, C, G and T (in any order)"


def _order(letters: list[str]) -> list[int] | None:
    """The column of each of A, C, G, T among ``letters`` (U read as T); None unless they are those four."""
    upper = ["T" if t.upper() == "U" else t.upper() for t in letters]
    return [upper.index(b) for b in "ACGT"] if sorted(upper) == list("ACGT") else None


def transfac_in_acgt(text: str) -> str:
    """``text`` with each ``P0`` (or ``PO``) matrix written in A C G T column order, as Biopython's reader
    needs: its header's first four columns must be A, C, G and T in some order (``P0 T G C A``), and each
    position row's first four counts are reordered as its header says (a consensus column after them is
    kept).

    Raises:
        ValueError: a ``P0`` header whose first four columns are not A, C, G and T (``P0 A C G N``); its
            one line names the line, the columns and the fix.
    """
    lines = file_lines(text)
    out: list[str] = []
    order: list[int] | None = None
    changed = False
    for number, line in enumerate(lines, 1):
        tokens = line.split()
        if tokens[:1] in (["P0"], ["PO"]):
            order = _order(tokens[1:5])
            if order is None:
                named = " ".join(tokens[1:5]) or "none"
                raise ValueError(f"line {number}: the {tokens[0]} header names the columns {named}; {_FIX}")
            if order != [0, 1, 2, 3] or tokens[1:5] != list("ACGT"):
                changed = True
            out.append(" ".join([tokens[0], "A", "C", "G", "T", *tokens[5:]]))
            continue
        if order is not None and tokens and tokens[0].isdigit() and len(tokens) >= 5:
            counts = tokens[1:5]
            out.append("  ".join([tokens[0], *(counts[i] for i in order), *tokens[5:]]))
            continue
        if order is not None and not (tokens and tokens[0].isdigit()):
            order = None  # the matrix ended
        out.append(line)
    return "\n".join(out) + "\n" if changed else text


def pfm_without_header(text: str) -> str:
    """A 4-column PFM's text without its first line when that line names the columns (``A C G T``, any
    order, U read as T, tabs or spaces) and every other line is 4 numbers: its rows in A C G T order. Any
    other text is returned as it is."""
    lines = [line for line in file_lines(text) if line.strip()]
    if len(lines) < 2:
        return text
    order = _order(lines[0].split())
    rows = [line.split() for line in lines[1:]]
    if order is None or not all(len(r) == 4 and all(_NUMBER.fullmatch(t) for t in r) for r in rows):
        return text
    return "\n".join("\t".join(r[i] for i in order) for r in rows) + "\n"
