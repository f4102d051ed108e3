"""``nlp sentiment predict --file`` of a text file holding blank lines: one output row per line, a blank line
an empty one (an empty line; in ``--json`` an entry with ``label`` null and no probabilities), as ``translate
run --file`` keeps a file's lines aligned (before: refused, "line 2 is empty or only whitespace"). The same for
a line blank once its HTML references are read (``&nbsp;``) and for a line of only invisible characters, literal
or as references (``&#8203;``: named in a warning, by file line), in predict and translate; a text given to the
API or in ``--data`` that is blank or invisible that way is still refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_lines
from carrousel.nlp.errors import EmptyTextError
from carrousel.nlp.pipeline import SentimentModel
from tests.nlp.conftest import Run


def test_blank_lines_give_empty_rows_in_line(
    tmp_path: Path, nlp: Callable[..., Run], sentiment_model: Path
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("a wonderful film\n\n   \nan awful film\n\n")  # blank lines at the end: dropped
    done = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["predictions"]
    assert [r["text"] for r in rows] == ["a wonderful film", "", "", "an awful film"]
    assert [r["label"] is None for r in rows] == [False, True, True, False]
    assert rows[1]["probabilities"] == {} and rows[1]["tokens"] == [] and rows[1]["sentences"] == 0
    assert set(rows[1]) == set(rows[0]) - {"unknown_words_mapped"}  # the same keys: one schema
    plain = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "first")
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.split("\n")[:-1]
    assert [line == "" for line in lines] == [False, False, True, True, False]  # the argument, then the file
    assert lines[1].split("\t")[2] == "a wonderful film" and lines[4].split("\t")[2] == "an awful film"


def test_a_line_blank_once_its_references_are_read_is_a_blank_row(
    tmp_path: Path, nlp: Callable[..., Run], sentiment_model: Path
) -> None:
    """``&nbsp;`` is whitespace to the model (its references read first): a blank line, an empty row (before: a
    prediction of one ``[UNK]``)."""
    texts = tmp_path / "texts.txt"
    texts.write_text("a wonderful film\n&nbsp;\n&#32;&nbsp;\nan awful film\n")
    done = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["predictions"]
    assert [r["label"] is None for r in rows] == [False, True, True, False]
    assert rows[1]["text"] == "" and rows[1]["probabilities"] == {}


def test_a_text_blank_once_its_references_are_read_is_refused(
    tmp_path: Path, shipped: SentimentModel
) -> None:
    """The API and ``--data`` refuse a text of only ``&nbsp;`` as they refuse a blank one, naming it (before:
    read as one ``[UNK]``); ``&amp;`` alone is a text (``&``)."""
    with pytest.raises(
        EmptyTextError, match=r"text 2 \('&nbsp;'\) is only whitespace once its HTML references"
    ):
        shipped(["fine", "&nbsp;"])
    with pytest.raises(EmptyTextError, match=r"text 1 .* only whitespace once"):
        shipped.predict_proba(["&#10;&#32;"])
    assert len(shipped(["&amp;"])) == 1
    with pytest.raises(EmptyTextError, match=r"text 1 holds only invisible characters \(U\+200B\)"):
        shipped(["&#8203;"])  # a zero-width space as read
    data = tmp_path / "d.csv"
    data.write_text("text,label\ngood,pos\n&nbsp;,neg\n")
    with pytest.raises(EmptyTextError, match=r"text 2 .* only whitespace once its HTML references are read"):
        load_texts(TextDataConfig(str(data)))


def test_a_line_of_invisible_characters_is_a_blank_row_named_by_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, shipped: SentimentModel
) -> None:
    """A line of only U+200B/U+200F stopped the whole run ("text 5 holds only invisible characters") while blank
    lines were empty rows: now an empty row too, its file line named in a warning (blank lines counted: the
    numbering once left them out, naming line 5 "text 3"). Without ``blanks`` (and in the API) still refused."""
    (texts := tmp_path / "t.txt").write_text(
        "a fine film\n\n\ndull\n\u200f\n\u200b \nend\n", encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.text_checks"):
        assert read_lines(texts, blanks=True) == ["a fine film", "", "", "dull", "", "", "end"]
    assert "t.txt': lines 5, 6 hold only invisible characters (U+200F, U+200B)" in caplog.text
    with pytest.raises(EmptyTextError, match=r"t.txt': text 2 is empty"):
        read_lines(texts)
    with pytest.raises(EmptyTextError, match=r"text 2 holds only invisible characters \(U\+200F\)"):
        shipped(["a fine film", "\u200f"])  # the API: a list is not a file
    texts.write_text("a fine film\n\n\ndull\n", encoding="utf-8")
    assert read_lines(texts, blanks=True) == ["a fine film", "", "", "dull"]


def test_a_line_invisible_once_its_references_are_read_is_warned_of_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``sentiment predict --file`` read "&#8203;" as an empty row with no warning, while a literal U+200B line
    was named in one: read with ``entities``, both are named in the same warning. "&nbsp;" is blank, as a
    literal U+00A0 line is: an empty row, no warning."""
    (texts := tmp_path / "t.txt").write_text("a fine film\n&#8203;\n\u200b\n&nbsp;\ndull\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.text_checks"):
        assert read_lines(texts, blanks=True, entities=True) == ["a fine film", "", "", "", "dull"]
    assert "t.txt': lines 2, 3 hold only invisible characters (U+200B)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.text_checks"):  # translate: no unescaping
        assert read_lines(texts, blanks=True)[1:4] == ["&#8203;", "", "&nbsp;"]
    assert "t.txt': line 3 holds only invisible characters (U+200B)" in caplog.text


def test_predict_file_with_an_invisible_line_gives_an_empty_row(
    tmp_path: Path, nlp: Callable[..., Run], sentiment_model: Path
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("a wonderful film\n\u200b\nan awful film\n&#8203;\n", encoding="utf-8")
    done = nlp("sentiment", "predict", "--model", str(sentiment_model), "--file", str(texts), "--json")
    assert done.returncode == 0, done.stderr  # main: exit 1, "text 2 holds only invisible characters"
    assert [r["label"] is None for r in json.loads(done.stdout)["predictions"]] == [False, True, False, True]
    assert "lines 2, 4 hold only invisible characters (U+200B)" in done.stderr  # main: line 2 only


def test_translate_file_with_an_invisible_line_gives_an_empty_line(
    tmp_path: Path, nlp: Callable[..., Run], undertrained: Path
) -> None:
    (listing := tmp_path / "m.txt").write_text("read the file\n\u200f\nshow the old name\n", encoding="utf-8")
    kept = nlp("translate", "--model", str(undertrained), "--beam", "1", "--no-mbr", "--file", str(listing))
    assert kept.returncode == 0, kept.stderr  # main: exit 1, "text 2 holds only invisible characters"
    assert kept.stdout.split("\n")[1] == "" and len(kept.stdout.splitlines()) == 3
    assert "line 2 holds only invisible characters (U+200F)" in kept.stderr
