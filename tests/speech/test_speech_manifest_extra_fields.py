"""A manifest row with more fields than its header (a tab inside a TSV transcript, an unquoted comma in a
CSV one) was read with the cells past the header dropped: ``a.wav<TAB>seven three<TAB>nine two`` trained and
scored as ``seven three``, silently. It is now one line naming the manifest, the line and the fix; empty
trailing cells (a spreadsheet's trailing tab) stay accepted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carrousel.speech.data import load_corpus
from carrousel.speech.errors import CorpusError


@pytest.mark.parametrize(
    ("name", "row", "fix"),
    [
        ("m.tsv", "a.wav\tseven three\tnine two", "replace a tab in a transcript by a space"),
        ("m.csv", "a.wav,seven three, nine two", 'quote a transcript holding a comma \\("seven, three"\\)'),
    ],
)
def test_a_row_longer_than_the_header_is_refused_not_cut(
    tmp_path: Path, write_wav, name: str, row: str, fix: str
) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.full(1600, 0.1, dtype=np.float32))
    manifest = tmp_path / name
    sep = "," if name.endswith(".csv") else "\t"
    manifest.write_text(f"path{sep}transcript\n{row}\n", encoding="utf-8")
    with pytest.raises(
        CorpusError, match=f"line 2 has 3 fields, the header 2: the text past field 2 would be lost; {fix}"
    ):
        load_corpus(str(manifest))


def test_empty_trailing_cells_and_extra_header_columns_are_read(tmp_path: Path, write_wav) -> None:  # type: ignore[no-untyped-def]
    write_wav("a.wav", np.full(1600, 0.1, dtype=np.float32))
    (tmp_path / "t.tsv").write_text("path\ttranscript\na.wav\tseven three\t\t\n", encoding="utf-8")
    (tmp_path / "x.tsv").write_text("path\ttranscript\tnote\na.wav\tseven three\tloud\n", encoding="utf-8")
    assert [u.text for u in load_corpus(str(tmp_path / "t.tsv"))] == ["seven three"]
    assert [u.text for u in load_corpus(str(tmp_path / "x.tsv"))] == ["seven three"]
