"""A CSV/TSV header naming two columns alike: pandas reads the second as ``NAME.1``, so ``NAME`` was read
from the first silently (``text,text,label``: the training texts were column 1, whichever the user meant).
Reading such a column is refused naming its columns; a repeated name that is not read stays harmless."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column
from carrousel.nlp.errors import TextDataError


def _write(path: Path, header: str) -> Path:
    path.write_text(header + "\n" + "".join(f"a{i},b{i},{'pos' if i % 2 else 'neg'}\n" for i in range(4)))
    return path


@pytest.mark.parametrize("header", ["text,text,label", "text,label,label"])
def test_a_repeated_column_read_is_refused(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path / "d.csv", header)
    with pytest.raises(TextDataError) as err:
        load_texts(TextDataConfig(source=str(path)))
    name = header.split(",")[1]
    numbers = "1, 2" if name == "text" else "2, 3"
    assert f"the header names 2 columns {name!r} (columns {numbers})" in str(err.value)
    assert "rename them apart in the header row" in str(err.value)


def test_a_repeated_text_column_of_a_table_to_classify_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "text,text,label")
    with pytest.raises(TextDataError, match=r"names 2 columns 'text' \(columns 1, 2\)"):
        read_column(path, "text")


def test_a_repeated_name_not_read_and_the_second_by_its_pandas_name_are_read(tmp_path: Path) -> None:
    ids = tmp_path / "ids.csv"
    ids.write_text("id,id,text,label\n1,2,good,pos\n3,4,bad,neg\n")
    got = load_texts(TextDataConfig(source=str(ids)))
    assert (got.texts, got.labels) == (["good", "bad"], ["pos", "neg"])
    path = _write(tmp_path / "t.csv", "text,text,label")
    assert load_texts(TextDataConfig(source=str(path), text_col="text.1")).texts[:2] == ["b0", "b1"]
