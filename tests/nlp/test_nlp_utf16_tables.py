"""Labelled data and ``predict --file`` tables with a UTF-16 byte-order mark (Excel's "Unicode text", a
TSV; PowerShell's ``>``) are read as UTF-16.

Before, the encoding sniff found no UTF-8 and read them as Windows-1252, every other byte NUL:
``nlp sentiment evaluate --data u16.csv`` failed with 'cannot be read as CSV (DatasetGenerationCastError:
... 2 new columns ...)'.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("u16.csv", 'text,label\n"café, très bien",positive\nboring film,negative\n'),
        (
            "u16.tsv",
            "text\tlabel\ncafé, très bien\tpositive\nboring film\tnegative\n",
        ),  # Excel's "Unicode text"
        ("u16.txt", "__label__positive café, très bien\n__label__negative boring film\n"),
        ("u16-noheader.csv", '"café, très bien",positive\nboring film,negative\n'),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_tables_are_read_as_utf16(tmp_path: Path, name: str, body: str, encoding: str) -> None:
    """A table or fastText file with a UTF-16 byte-order mark; before, it was read as Windows-1252 (every
    other byte NUL) and refused as 'cannot be read as CSV (DatasetGenerationCastError...)'."""
    p = tmp_path / name
    p.write_bytes(("\ufeff" + body.replace("\n", "\r\n")).encode(encoding))
    header = "noheader" not in name
    cols = {} if header else {"text_col": "0", "label_col": "1"}
    got = load_texts(TextDataConfig(str(p), header=header, **cols))
    assert list(got.texts) == ["café, très bien", "boring film"]
    assert list(got.labels) == ["positive", "negative"]
    if name.endswith((".csv", ".tsv")) and header:
        assert read_column(p, "text") == ["café, très bien", "boring film"]
