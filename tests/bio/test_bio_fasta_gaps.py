"""An aligned FASTA (``-`` gaps) or one ending in ``*``: the error named the record and position but not
the file (with ``--positives`` and ``--negatives``, which one?) nor what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_chunks, read_sequences

SEQ = "ACGTTGCA" * 10


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("-", "an alignment gap: remove the gaps"),
        (".", "an alignment gap"),
        ("*", "a stop or end-of-sequence mark"),
    ],
)
def test_a_gap_or_stop_names_the_file_and_the_fix(tmp_path: Path, bad: str, hint: str) -> None:
    path = tmp_path / "aligned.fa"
    path.write_text(f">a\n{SEQ}\n>b\n{SEQ[:20]}{bad}{SEQ[21:]}\n")
    where = f"{path}: record 'b', position 21: invalid character '{bad}'"
    with pytest.raises(FastaFormatError) as streamed:
        list(iter_chunks(path))
    with pytest.raises(FastaFormatError) as whole:
        read_sequences(path)
    for exc in (streamed, whole):
        text = str(exc.value)
        assert text.startswith(where) and hint in text and "\n" not in text, text
