"""Record names of a FASTA(.gz) file checked in one quick pass over its header lines, before any work.

The streaming reader (:func:`carrousel.bio.fasta.iter_chunks`) finds a duplicate record name only when it
reaches the second one: minutes into a model scan of a large file. :func:`check_unique_names` reads the
file in blocks and looks only at the lines starting with ``>`` (a search for newline-``>`` runs at memory
speed), so a scan can refuse the file before it loads a model or writes anything.
"""

from __future__ import annotations

from pathlib import Path

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta_bytes import READ_BLOCK, UTF8_BOM, check_fasta_file, open_fasta
from carrousel.bio.twobit import TwoBit, is_twobit
from carrousel.core.files import check_input_file

__all__ = ["check_fasta_input", "check_unique_names"]


def _name(header: bytes) -> str:
    """A record's name as the streaming reader takes it: the first word of its header line."""
    words = header.decode("utf-8", "replace").strip().split()
    return words[0] if words else ""


def check_unique_names(path: str | Path) -> None:
    """Refuses a FASTA(.gz) file in which two records share a name (the first word of the header).

    Only header lines are read (decompressed when gzip); everything else about the file is left to the
    streaming reader. Of a UCSC ``.2bit`` file, the index is read (:class:`~carrousel.bio.twobit.TwoBit`),
    which refuses a duplicate name, a truncated file or one of an unknown version.

    Raises:
        FastaFormatError: a duplicate name (naming it and the lines of both headers), or the file cannot be
            read (see :mod:`carrousel.bio.fasta`).
    """
    if is_twobit(check_fasta_file(path)):  # a .2bit index: read whole (it refuses duplicate names)
        TwoBit.open(path).close()
        return
    seen: dict[str, int] = {}
    line = 1  # the line number of buf[1] (buf[0] is the byte before the block: a header follows "\n")
    prev = b"\n"
    cut: bytearray | None = None  # a header line cut by the end of a block
    cut_line = 0

    def add(header: bytes, at: int) -> None:
        name = _name(header)
        if not name:
            return  # an empty header: the streaming reader names it
        if name in seen:
            raise FastaFormatError(
                f"{path}: duplicate record name {name!r} (line {at}; first on line {seen[name]}); names "
                "must be unique (rename one)"
            )
        seen[name] = at

    with open_fasta(path) as fh:
        first = True
        while data := fh.read(READ_BLOCK):
            if first:
                data, first = data.removeprefix(UTF8_BOM), False
            buf = prev + data
            pos, n_at = 1, line  # buf[pos] lies on line n_at
            if cut is not None:
                nl = buf.find(b"\n", 1)
                cut += buf[1:] if nl < 0 else buf[1:nl]
                if nl >= 0:
                    add(bytes(cut), cut_line)
                    cut, pos = None, nl
            while cut is None:
                k = buf.find(b"\n>", pos - 1)
                if k < 0:
                    break
                n_at += buf.count(b"\n", pos, k + 1)
                pos = k + 1
                nl = buf.find(b"\n", pos)
                if nl < 0:
                    cut, cut_line = bytearray(buf[pos + 1 :]), n_at
                    break
                add(buf[pos + 1 : nl], n_at)
                pos = nl  # the end of the header line (a header may follow at once)
            line += buf.count(b"\n", 1)
            prev = buf[-1:]
    if cut is not None:
        add(bytes(cut), cut_line)


def check_fasta_input(path: str | Path | None, flag: str | None = None) -> None:
    """A FASTA input of a scan, before any work: a readable, non-empty regular file
    (:func:`~carrousel.core.files.check_input_file`, its errors naming ``flag``) without duplicate record
    names (:func:`check_unique_names`). None (an option not given) is skipped."""
    if path is not None:
        check_input_file(path, flag, "FASTA")
        check_unique_names(path)
