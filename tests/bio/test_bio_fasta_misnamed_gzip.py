"""A plain FASTA named ``.fa.gz`` (uncompressed by a browser that kept the name, or gunzip -c > x.fa.gz)
was refused as "a damaged gzip file (no gzip header); download or compress it again": it is not damaged,
and downloading it again does not help. The line now says it is plain FASTA text and how to rename it; a
file that is neither gzip nor FASTA text keeps the damaged-gzip line."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_chunks


def test_plain_fasta_named_gz_is_told_to_be_renamed(tmp_path: Path) -> None:
    path = tmp_path / "genome.fa.gz"
    path.write_text(">chr1\nACGTACGTAC\n")
    with pytest.raises(FastaFormatError) as exc:
        list(iter_chunks(path))
    assert (
        str(exc.value)
        == f"{path} is plain FASTA text, not gzip: rename it (mv {path} {tmp_path / 'genome.fa'})"
    )


def test_other_bytes_named_gz_are_still_a_damaged_gzip(tmp_path: Path) -> None:
    path = tmp_path / "genome.fa.gz"
    path.write_bytes(b"<html>not found</html>\n")
    with pytest.raises(FastaFormatError, match="is a damaged gzip file"):
        list(iter_chunks(path))
