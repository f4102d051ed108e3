"""A CSV, TSV or fastText table mixing UTF-8 and Latin-1 rows is read as a plain text file is (core's
``decode_text`` with ``LEGACY_TEXT``): each line UTF-8 where it is, else Windows-1252, with the same one
warning naming how many lines are not UTF-8 and the first. Before, the table was decoded whole as
Windows-1252 and its UTF-8 rows read "cafÃ©" (``sentiment train``/``evaluate --data`` and ``predict
--file`` read tables through :func:`load_texts`/:func:`read_column`)."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column
from tests.nlp.conftest import Run

_WARNING = (
    "is not UTF-8; reading it as Windows-1252 where it is not (2 lines are not UTF-8, the first line 3)"
)


def _mixed(sep: str) -> bytes:
    return (
        f"\ufefftext{sep}label\nthe café was good{sep}pos\n".encode()
        + f"the crème was bad{sep}neg\n".encode("latin-1")
        + f"naïve 😀 fun{sep}pos\n".encode()
        + f"brûlée{sep}neg\n".encode("latin-1")
    )


_TEXTS = ["the café was good", "the crème was bad", "naïve 😀 fun", "brûlée"]


@pytest.mark.parametrize(("name", "sep"), [("d.csv", ","), ("d.tsv", "\t"), ("d.csv.gz", ",")])
def test_a_table_mixing_utf8_and_latin1_rows_keeps_its_utf8_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, sep: str
) -> None:
    data = tmp_path / name
    raw = _mixed(sep)
    data.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        read = load_texts(TextDataConfig(str(data)))
    assert read.texts == _TEXTS
    assert read.labels == ["pos", "neg", "pos", "neg"]
    assert read.columns == ("text", "label")  # the byte-order mark is not part of the first name
    assert f"{data} {_WARNING}" in caplog.messages[0]
    assert len([m for m in caplog.messages if "is not UTF-8" in m]) == 1
    assert read_column(data, "text") == _TEXTS  # predict --file


def test_a_fasttext_file_mixing_utf8_and_latin1_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "d.txt"
    data.write_bytes(
        "__label__pos the café was good\n".encode()
        + "__label__neg the crème was bad\n".encode("latin-1")
        + "__label__pos naïve 😀 fun\n".encode()
    )
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        read = load_texts(TextDataConfig(str(data)))
    assert read.texts == _TEXTS[:3]
    assert read.labels == ["pos", "neg", "pos"]
    assert caplog.messages == [
        f"{data} is not UTF-8; reading it as Windows-1252 where it is not (line 2 is not UTF-8)"
    ]


def test_sentiment_evaluate_reads_a_mixed_table(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(_mixed(",").replace(b",pos\n", b",positive\n").replace(b",neg\n", b",negative\n"))
    scored = nlp("sentiment", "evaluate", "--data", str(data), "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["rows"] == 4
    assert f"{data} {_WARNING}" in " ".join(scored.stderr.split())


def test_a_mixed_table_whose_utf8_rows_hold_bytes_windows1252_leaves_undefined(tmp_path: Path) -> None:
    """A UTF-8 row whose bytes Windows-1252 leaves undefined (``с`` is ``D1 81``) beside a Latin-1 row is
    read line by line as the rest; before, the head was tried whole as Windows-1252 first and refused."""
    data = tmp_path / "d.csv"
    data.write_bytes("text,label\nвкусно спасибо,pos\n".encode() + "brûlée,neg\n".encode("latin-1"))
    read = load_texts(TextDataConfig(str(data)))
    assert read.texts == ["вкусно спасибо", "brûlée"]
    assert read.labels == ["pos", "neg"]
