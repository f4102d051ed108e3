"""Texts and labels that pandas reads as missing by default ("None", "NA", "N/A", "null", "nan"...): a CSV/TSV
row whose text was one was refused as "empty or only whitespace" (training, evaluation) or, as a table given
to ``predict --file``, stopped the run; they are now read as written. A cell that is truly empty still is."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column
from carrousel.nlp.errors import TextDataError

_WORDS = ["None", "NA", "N/A", "null", "nan", "NaN", "#N/A"]


@pytest.mark.parametrize("suffix,sep", [(".csv", ","), (".tsv", "\t")])
def test_words_pandas_reads_as_missing_are_texts_and_labels(tmp_path: Path, suffix: str, sep: str) -> None:
    path = tmp_path / f"d{suffix}"
    rows = [f"{word}{sep}{'NA' if i % 2 else 'pos'}" for i, word in enumerate(_WORDS)]
    path.write_text(f"text{sep}label\n" + "\n".join(rows) + "\n")
    got = load_texts(TextDataConfig(source=str(path)))
    assert got.texts == _WORDS
    assert got.labels == ["NA" if i % 2 else "pos" for i in range(len(_WORDS))]
    assert read_column(path, "text") == _WORDS


def test_an_empty_cell_is_still_refused(tmp_path: Path) -> None:
    text = tmp_path / "t.csv"
    text.write_text("text,label\ngood,pos\n,neg\n")
    with pytest.raises(TextDataError, match="text 2 is empty or only whitespace"):
        load_texts(TextDataConfig(source=str(text)))
    label = tmp_path / "l.csv"
    label.write_text("text,label\ngood,1\nbad,0\nok,\n")
    with pytest.raises(TextDataError, match="row 3 has no label in column 'label'"):
        load_texts(TextDataConfig(source=str(label)))


@pytest.mark.parametrize("header", [True, False])
def test_texts_that_look_like_numbers_are_read_as_written(tmp_path: Path, header: bool) -> None:
    """A text column of number-like texts was parsed as numbers: "007" was read (and classified, and printed)
    as "7.0", "1e3" as "1000.0". Labels still read as before (an integer column: "1", "0")."""
    path = tmp_path / "d.csv"
    path.write_text(("text,label\n" if header else "") + "007,1\n1e3,0\n0012,1\n12,0\n")
    cfg = TextDataConfig(
        source=str(path), header=header, **({} if header else {"text_col": "0", "label_col": "1"})
    )
    got = load_texts(cfg)
    assert got.texts == ["007", "1e3", "0012", "12"] and got.labels == ["1", "0", "1", "0"]
    if header:
        assert read_column(path, "text") == ["007", "1e3", "0012", "12"]
        review = tmp_path / "r.csv"  # the column found in the well-known names' stead
        review.write_text("Review Text,stars\n007,1\n0012,5\n")
        assert read_column(review, "text") == ["007", "0012"]
