"""Table files as users' tools write them: Excel's semicolon CSV, nested JSON objects, cells holding lists
(:mod:`carrousel.nlp.table_cells`)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column
from carrousel.nlp.errors import ColumnNotFoundError, TextDataError
from tests.cli_harness import assert_clean_failure

ROWS = [("a fine, moving film", "positive"), ("dull; far too long", "negative"), ("loved it", "positive")]


def _semicolon_csv(path: Path) -> Path:
    """As Excel saves "CSV UTF-8" under German or French settings: a BOM, semicolons, CRLF line ends."""
    body = "text;label\r\n" + "".join(f'"{t}";{lab}\r\n' for t, lab in ROWS)
    path.write_bytes(body.encode("utf-8-sig"))
    return path


def test_a_semicolon_separated_csv_is_read_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: "line 2 has 3 fields, the header 1; quote a text holding a comma", which named a text's comma,
    not the file's separator, and left no way to read the file."""
    data = _semicolon_csv(tmp_path / "excel.csv")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = load_texts(TextDataConfig(str(data)))
    assert got.texts == [t for t, _ in ROWS] and got.labels == [lab for _, lab in ROWS]
    assert "separated by semicolons, not commas" in caplog.text
    assert read_column(data, "text") == [t for t, _ in ROWS]  # predict --file reads the table so too


@pytest.mark.parametrize(
    ("name", "sep", "said"), [("tabs.csv", "\t", "tabs, not commas"), ("commas.tsv", ",", "commas, not tabs")]
)
def test_a_table_separated_otherwise_than_its_suffix_says_is_read_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, sep: str, said: str
) -> None:
    """A "tab-delimited" export saved as .csv was "line 2 has 5 fields, the header 1; quote a text holding a
    comma"; a comma file named .tsv "no column 'text'; columns found: 'text,label'"."""
    data = tmp_path / name
    data.write_text(f"text{sep}label\n" + "".join(f'"{t}"{sep}{lab}\n' for t, lab in ROWS))
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = load_texts(TextDataConfig(str(data)))
    assert got.texts == [t for t, _ in ROWS] and got.labels == [lab for _, lab in ROWS]
    assert f"separated by {said}" in caplog.text


def test_a_semicolon_csv_without_a_header_reads_its_columns(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("".join(f'{lab};"{t}"\n' for t, lab in ROWS[1:]))
    got = load_texts(TextDataConfig(str(data), text_col="1", label_col="0", header=False))
    assert got.texts == [t for t, _ in ROWS[1:]]


def test_a_comma_csv_with_semicolons_in_its_texts_is_read_as_before(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "commas.csv"
    data.write_text("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in ROWS))
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = load_texts(TextDataConfig(str(data)))
    assert got.texts == [t for t, _ in ROWS] and "semicolons" not in caplog.text
    one = tmp_path / "one.csv"  # one column: no separator to find
    one.write_text("text\nfine; really\n")
    assert read_column(one, "text") == ["fine; really"]


def test_a_semicolon_row_too_long_names_the_semicolon(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("text;label\nfine;positive\nbad; awful;negative\n")
    with pytest.raises(
        TextDataError, match=r"line 3 has 3 fields, the header 2; quote a text holding a semicolon"
    ):
        load_texts(TextDataConfig(str(data)))


def _nested(path: Path) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": i, "review": {"text": t, "stars": 5 if lab == "positive" else 1}, "label": lab})
            + "\n"
            for i, (t, lab) in enumerate(ROWS)
        )
    )
    return path


def test_nested_json_fields_are_columns_named_by_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the column ``review`` was read as the texts, each one the object's Python spelling
    ("{'text': 'a fine, moving film', 'stars': 5}"), trained on and predicted silently; ``--text-col
    review.text`` was "no column", with a hint about header rows a JSON file does not have."""
    data = _nested(tmp_path / "reviews.jsonl")
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        got = load_texts(TextDataConfig(str(data)))
    assert got.texts == [t for t, _ in ROWS] and got.columns == ("review.text", "label")
    assert "reading 'review.text' as the texts" in caplog.text
    stars = load_texts(TextDataConfig(str(data), text_col="review.text", label_col="review.stars"))
    assert stars.labels == ["5", "1", "5"]
    with pytest.raises(ColumnNotFoundError) as err:
        load_texts(TextDataConfig(str(data), text_col="review"))
    assert "'review.text'" in str(err.value) and "header" not in str(err.value)


def test_predict_file_reads_a_nested_text_field(tmp_path: Path, invoke: Any) -> None:
    data = _nested(tmp_path / "reviews.jsonl")
    outcome = invoke("nlp", "sentiment", "predict", "--file", data, "--json")
    assert outcome.code == 0, outcome.stderr
    assert [p["text"] for p in json.loads(outcome.stdout)["predictions"]] == [t for t, _ in ROWS]


@pytest.mark.parametrize(
    ("cell", "column", "shown"),
    [
        ({"text": ["a", "list"]}, "text", "a list in row 2 (['a', 'list'])"),
        ({"label": ["pos"]}, "label", "a list"),
    ],
)
def test_a_cell_holding_a_list_is_refused_with_its_row(
    tmp_path: Path, invoke: Any, cell: dict[str, Any], column: str, shown: str
) -> None:
    """Before: the list's Python spelling was the text (``['a', 'list']``) or the label (``"['pos']"``)."""
    rows = [{"text": t, "label": lab} for t, lab in ROWS]
    rows[1] = rows[1] | cell
    data = tmp_path / "cells.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TextDataError, match=re.escape(f"column {column!r} holds {shown}")):
        load_texts(TextDataConfig(str(data)))
    out = tmp_path / "model"
    outcome = invoke("nlp", "sentiment", "train", "--data", data, "-o", out, "--epochs", "1")
    assert_clean_failure(outcome, 1, "give one text or label per cell")
    assert not out.exists()


def test_predict_file_of_a_table_without_a_header_row_says_what_to_do(tmp_path: Path, invoke: Any) -> None:
    """``predict`` has no ``--no-header``: a headerless TSV was "no column 'text'; columns found: 'negative',
    '...'" (its first row as names) with no way forward. Now the error says to add a header or give the texts
    alone; a column named with ``--text-col`` that is absent keeps the plain message."""
    data = tmp_path / "rows.tsv"
    data.write_text("".join(f"{lab}\t{t}\n" for t, lab in ROWS))
    outcome = invoke("nlp", "sentiment", "predict", "--file", data)
    assert_clean_failure(outcome, 1, "a file without a header row? add one naming the text column")
    named = invoke("nlp", "sentiment", "predict", "--file", data, "--text-col", "review")
    assert_clean_failure(named, 1, "no column 'review'")
    assert "header row" not in named.stderr


def test_a_row_of_too_many_fields_names_the_option_that_gave_the_file(tmp_path: Path) -> None:
    """The check moved here from data.py said '--data' for every file it read, also those given to --file or
    --exclude (read_column passes its own option since this change)."""
    table = tmp_path / "held.csv"
    table.write_text("text,label\ngood,pos\nI loved it, truly,pos\n", encoding="utf-8")
    with pytest.raises(
        TextDataError, match=rf"^--exclude {table}: line 3 has 3 fields, the header 2; quote a"
    ):
        read_column(table, "text", "--exclude", None)


def _boolean_labels(path: Path) -> Path:
    rows = [{"text": t, "label": lab == "positive"} for t, lab in ROWS]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_json_boolean_labels_read_as_json_writes_them(tmp_path: Path) -> None:
    """Before: ``true``/``false`` were Python's "True"/"False", which no user wrote."""
    got = load_texts(TextDataConfig(str(_boolean_labels(tmp_path / "flags.jsonl"))))
    assert got.labels == ["true", "false", "true"]


def test_evaluate_maps_json_boolean_labels_as_the_user_spells_them(tmp_path: Path, invoke: Any) -> None:
    """Before: ``--label-map true=positive,false=negative`` "leaves 'False', 'True' unmapped". Without a map
    the shipped model still refuses the labels, whose meaning depends on the column (not guessed)."""
    data = _boolean_labels(tmp_path / "flags.jsonl")
    mapped = invoke("nlp", "sentiment", "evaluate", "--data", data, "--label-map", "true=positive,false=negative",
                    "--json")  # fmt: skip
    assert mapped.code == 0, mapped.stderr
    report = json.loads(mapped.stdout)
    assert report["rows"] == len(ROWS) and report["label_map"] == {"false": "negative", "true": "positive"}
    unmapped = invoke("nlp", "sentiment", "evaluate", "--data", data)
    assert_clean_failure(unmapped, 1, "has labels 'false', 'true' the model does not know")
