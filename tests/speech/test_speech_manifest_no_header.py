"""A manifest without its header line (``a.wav<TAB>one two``, the form the command table's
``path<TAB>transcript`` suggests) was refused as "the header names no path or transcript column (it has
a.wav, one two)", naming nothing to do; the line now says the first line is a recording and which header
line to add above it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError


@pytest.mark.parametrize(
    ("name", "sep", "header"), [("m.tsv", "\t", "path<TAB>transcript"), ("m.csv", ",", "path,transcript")]
)
def test_a_manifest_without_a_header_names_the_header_to_add(
    tmp_path: Path, write_wav, name: str, sep: str, header: str
) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.zeros(1600, dtype=np.float32))
    manifest = tmp_path / name
    manifest.write_text(f"a.wav{sep}one two\r\n", encoding="utf-8")
    with pytest.raises(
        CorpusError, match=f"first line is a recording, not a header: add the line {header} above"
    ):
        load_corpus(str(manifest))
    manifest.write_text(f"path{sep}transcript\na.wav{sep}one two\n", encoding="utf-8")
    assert [u.text for u in load_corpus(str(manifest))] == ["one two"]


def test_a_real_header_without_a_transcript_column_gets_no_such_hint(tmp_path: Path) -> None:
    manifest = tmp_path / "m.tsv"
    manifest.write_text("path\twords\na.wav\tone\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="names no transcript column") as info:
        load_corpus(str(manifest))
    assert "not a header" not in str(info.value)
