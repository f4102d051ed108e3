"""HOMER's ``.motif`` files: each motif a ``>`` header line, then one row of 4 probabilities (A C G T) per
position.

The header is tab-separated: the consensus, the motif's name, the log-odds detection threshold and
optional statistics (``>GCCGGAAGTG<TAB>ETS:RUNX(...)/Homer<TAB>6.834<TAB>...``). Biopython has no reader
for it: its JASPAR reader took the rows 4 at a time as 4-row matrices, so an 8-position HOMER motif became
two 4-position motifs of the wrong orientation, without a word. :func:`homer_motifs` reads the file when
its lines say HOMER: only headers and rows of 4 numbers, and either a header with HOMER's threshold column
or a motif of other than 4 rows (JASPAR's unlabelled layout has exactly 4 rows, one per base; 4 rows
under a header without HOMER's columns stay JASPAR's).
"""

from __future__ import annotations

import numpy as np

from carrousel.core.encodings import file_lines

__all__ = ["homer_motifs"]


def _number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def homer_motifs(text: str) -> list[tuple[str, str, np.ndarray]] | None:
    """The ``(id, name, counts)`` of each motif of a HOMER ``.motif`` text, in order, or None when the text
    is not one. The ID and the name are the header's name column (the consensus when it has none);
    counts are the ``(length, 4)`` probability rows as written."""
    blocks: list[tuple[list[str], list[list[float]]]] = []
    for line in file_lines(text):
        if not line.strip():
            continue
        if line.startswith(">"):
            blocks.append((line[1:].rstrip().split("\t"), []))
            continue
        tokens = line.split()
        if not blocks or len(tokens) != 4 or not all(_number(t) for t in tokens):
            return None
        blocks[-1][1].append([float(t) for t in tokens])
    if not blocks or any(not rows for _, rows in blocks):
        return None
    homer_header = any(len(h) >= 3 and _number(h[2]) for h, _ in blocks)
    if not homer_header and all(len(rows) == 4 for _, rows in blocks):
        return None  # JASPAR's unlabelled 4-row layout (or a 4-position HOMER motif: the same numbers)
    out = []
    for header, rows in blocks:
        name = (header[1] if len(header) > 1 else "").strip() or header[0].strip() or "motif"
        out.append((name, name, np.array(rows, dtype=np.float64)))
    return out
