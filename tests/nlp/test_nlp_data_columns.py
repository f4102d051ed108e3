"""The errors of :mod:`carrousel.nlp.data_columns` for a column that is not there, and their hints about
files without a header row (decided from the data, not from the error's text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.core.option_names import flags_named
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.data_columns import pick_columns, pick_text_column
from carrousel.nlp.errors import ColumnNotFoundError

_NO_HEADER = "(a file without a header row? add one naming the text column"


def _error(call: object) -> str:
    with pytest.raises(ColumnNotFoundError) as err:
        call()  # type: ignore[operator]
    return str(err.value)


def test_a_missing_text_column_of_a_first_row_read_as_names_hints_at_a_header_row() -> None:
    """The messages as they were: with the hint only where the default ``text`` was looked for among names
    read from a file's first row and no column stands in for it."""
    with flags_named():  # the hint's file option as the command names it (read_column's path to Python)
        assert _error(lambda: pick_text_column(["a", "b"], "text", "--file x.csv", header_read=True)) == (
            "--file x.csv: no column 'text' (--text-col); columns found: 'a', 'b' "
            f"{_NO_HEADER}, or give --file the texts alone, one per line)"
        )
    assert _error(
        lambda: pick_text_column(["a", "b"], "text", "--exclude x.csv", header_read=True, flag=None)
    ) == (
        "--exclude x.csv: no column 'text'; columns found: 'a', 'b'; name the column of the texts 'text' in "
        f"the file {_NO_HEADER})"
    )
    for call in (
        lambda: pick_text_column(["a", "b"], "text", "--file x.jsonl", header_read=False),
        lambda: pick_text_column(["a", "b"], "body_text", "--file x.csv", header_read=True),
        lambda: pick_text_column(["sentence", "review"], "text", "--file x.csv", header_read=True),
    ):
        assert "header row" not in _error(call)


def test_several_stand_ins_in_a_file_whose_path_says_columns_found_get_no_header_hint() -> None:
    """The hint was added when the error's text held "columns found", the words of the no-stand-in error; a
    path holding them (``--file 'columns found/x.csv'``) gave the several-stand-ins error the hint too (its
    first row was read as names, and it holds two usual text columns: not a header problem). The caller
    now decides the hint from the data; the error text is not searched."""
    where = "--file columns found/x.csv"
    with flags_named():  # the command's words (a Python caller reads text_col: test_option_names_leftovers)
        msg = _error(lambda: pick_text_column(["sentence", "review"], "text", where, header_read=True))
    assert msg == (
        f"{where}: no column 'text' (--text-col) and several that could stand in for it: 'sentence', 'review'; "
        "name one with --text-col"
    )


def test_pick_columns_keeps_its_no_header_hint() -> None:
    msg = _error(lambda: pick_columns(["a", "b"], "text", "label", "--data x.csv", header=True))
    assert (
        msg
        == (
            "--data x.csv: no column 'text' (text_col); columns found: 'a', 'b' (the file has no header row? use "
            "data.header=False and column numbers)"  # a Python caller's names (the CLI's: tests/test_option_names.py)
        )
    )
    assert "header row" not in _error(
        lambda: pick_columns(["a", "b"], "text", "label", "--data x", header=False)
    )


def test_a_file_read_without_a_header_row_says_its_columns_are_numbered(tmp_path: Path) -> None:
    # on main: "no column 'text' (text_col); columns found: '0', '1'", and no word of how to name them
    (p := tmp_path / "h.csv").write_text('pos,"a fine film"\nneg,dull\n')
    with pytest.raises(ColumnNotFoundError) as caught:
        load_texts(TextDataConfig(str(p), header=False))
    assert str(caught.value).endswith(
        "columns found: '0', '1' (without a header row the columns are numbered from 0: give text_col N and "
        "label_col N)"
    )
    assert (
        load_texts(TextDataConfig(str(p), text_col="1", label_col="0", header=False)).texts[0]
        == "a fine film"
    )
