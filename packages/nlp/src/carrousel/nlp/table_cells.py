"""What a table file holds in its cells, as the labelled-text readers (:mod:`carrousel.nlp.data`) take it.

* A CSV whose first row is one field when split at commas but two or more at semicolons is read as
  semicolon-separated, with a warning: Excel writes its "CSV" so where the decimal separator is a comma
  (German, French, Dutch... settings), and the comma reading named a text's comma ("line 2 has 3 fields,
  the header 1"), not the separator. So for tabs in a ``.csv`` (a "tab-delimited" export) and commas or
  semicolons in a ``.tsv``: the one other separator that splits the first row, where the suffix's does not.
* JSON objects nested in a column (``{"review": {"text": ..., "stars": 5}}``, and Parquet or hub structs)
  become columns named by their path (``review.text``, ``review.stars``), so ``--text-col review.text``
  reads them; before, the column ``review`` was read as texts, each one the object's Python spelling.
* A TSV text that starts with a quotation and goes on after it (``"Wow" said the critic``: hand-written or
  ``printf`` TSVs do not quote their texts) is found by :func:`loose_quote_line`, and the file is read with
  its quotes as text (before: CSV quoting took the quotes away, ``Wow said the critic``, silently).
* A cell holding a list or an object where one text or label belongs is refused naming its row (before: its
  Python spelling, ``['a', 'b']``, was read as a text or label).
"""

from __future__ import annotations

import csv
import gzip
import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from carrousel.core.option_names import named_path
from carrousel.core.paths import is_gzip
from carrousel.nlp.errors import TextDataError

__all__ = [
    "check_fields", "csv_delimiter", "flat_columns", "header_row", "loose_quote_line", "no_rows", "plain_cells",
    "refuse_repeated", "repeated_names",
]  # fmt: skip

logger = logging.getLogger(__name__)


_CLOSED_THEN_MORE = re.compile(r'"(?:[^"]|"")*"[^"\t]')  # a quoted start, then more text in the field
_SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}  # a separator -> its name in messages


def _open_text(path: Path, encoding: str) -> TextIO:
    """The CSV/TSV ``path`` (gzip allowed) opened as text, as the loader reads it (``newline=""``: csv's)."""
    opener = gzip.open if is_gzip(path) else open
    return opener(path, "rt", encoding=encoding, newline="")


def csv_delimiter(path: Path, encoding: str, flag: str, expected: str) -> str:
    """The separator of a CSV/TSV file: ``expected`` (its suffix's: a comma for ``.csv``, a tab for ``.tsv``),
    or the one other of comma, semicolon and tab that splits the first row into two or more fields where
    ``expected`` leaves it whole (said in a warning).

    Args:
        path: the file (gzip allowed).
        encoding: its text encoding.
        flag: the option that named it, for the warning (``--data``).
        expected: the separator its suffix says.
    """
    with _open_text(path, encoding) as fh:
        line = fh.readline()
    # one physical line is enough: a header (or a first row) with a quoted line break is not another's

    def fields(sep: str) -> int:
        return len(next(csv.reader([line], delimiter=sep), []))

    others = [sep for sep in _SEPARATORS if sep != expected and fields(sep) > 1]
    if fields(expected) > 1 or len(others) != 1:  # as named, or no one other separator to read it by
        return expected
    logger.warning(
        "%s %s: its first row is separated by %s, not %s; reading the file so",
        flag, path, _SEPARATORS[others[0]], _SEPARATORS[expected],
    )  # fmt: skip
    return others[0]


def check_fields(path: Path, encoding: str, delimiter: str, flag: str = "--data") -> None:
    """Refuses a row with more fields than the header (an unquoted delimiter in a text): pandas reads such a
    first row as naming an index column, shifting every label, and a later one as a bare parser error. A pass
    of its own, kept whole: 0.86 s of 21.1 s CPU (4%) in load_texts of a 200 MB CSV
    (``benchmarks/bench_nlp_data_check.py``). ``flag``: the option that named the file, for the message."""
    with _open_text(path, encoding) as fh:
        rows = csv.reader(fh, delimiter=delimiter)
        width = len(next(rows, []))
        for row in rows:
            if len(row) > width:
                name = _SEPARATORS[delimiter][:-1]  # "comma"
                raise TextDataError(
                    f"{named_path(path, flag)}: line {rows.line_num} has {len(row)} fields, the header {width}; quote a "
                    f'text holding a {name} ("I loved it{delimiter} truly")'
                )


def header_row(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The first row of a CSV/TSV (gzip allowed), as the loader reads it: the column names, or a first row."""
    with _open_text(path, encoding) as fh:
        return next(csv.reader(fh, delimiter=delimiter), [])


def no_rows(where: str, path: Path, read: Mapping[str, Any]) -> str:
    """The error for a file of no rows (``read``: the CSV reader's options, empty for another format): a CSV/TSV
    of one line read as its header row names that line, which may be a text (a one-line file without one)."""
    if "delimiter" not in read or read.get("column_names") is not None:
        return f"{where} holds no rows; check the file"
    first = ", ".join(repr(cell) for cell in header_row(path, read["encoding"], read["delimiter"]))
    return (
        f"{where} holds no rows: its one line ({first[:200]}) is read as the header row naming the columns; "
        "put the rows under it (a file without a header row: add one)"
    )


def repeated_names(header: Iterable[str]) -> dict[str, list[int]]:
    """The names a header row (:func:`header_row`) gives to two or more columns, each with its column numbers
    (from 1): pandas reads the second as ``NAME.1``, so ``NAME`` would be read silently from the first."""
    where: dict[str, list[int]] = {}
    for i, name in enumerate(header, 1):
        where.setdefault(name, []).append(i)
    return {name: numbers for name, numbers in where.items() if len(numbers) > 1}


def refuse_repeated(columns: Iterable[str], repeated: dict[str, list[int]], where: str) -> None:
    """Refuses reading a column whose name the header gives to several columns (:func:`repeated_names`).

    Raises:
        TextDataError: naming the column, its column numbers and the fix.
    """
    for column in columns:
        if column in repeated:
            numbers = ", ".join(str(n) for n in repeated[column])
            raise TextDataError(
                f"{where}: the header names {len(repeated[column])} columns {column!r} (columns {numbers}), so "
                "which to read is unclear; rename them apart in the header row"
            )


def loose_quote_line(path: Path, encoding: str) -> int | None:
    """The first line (from 1) of a TSV with a field that starts with a double quote, closes it and goes on
    (``"Wow" said the critic``), which CSV quoting reads as ``Wow said the critic``; None when there is none.
    A field quoted whole (``"a ""b"" c"``) is no such field."""
    with _open_text(path, encoding) as fh:
        for n, line in enumerate(fh, 1):
            if '"' in line and any(_CLOSED_THEN_MORE.match(f) for f in line.rstrip("\r\n").split("\t")):
                return n
    return None


def flat_columns(ds: Any) -> Any:
    """``ds`` (a ``datasets.Dataset``) with each struct column spread into columns named by path
    (``review`` holding ``{"text": ...}`` -> ``review.text``); ``ds`` itself when it has none."""
    features = getattr(ds, "features", None) or {}
    return ds.flatten() if any(isinstance(f, dict) for f in features.values()) else ds


def plain_cells(values: Iterable[Any], column: str, where: str) -> list[Any]:
    """The cells of one column, each refused when it is a list or an object (a JSON column of mixed types, or
    a list column: one text or label belongs in each cell).

    Args:
        values: the column's cells, in row order.
        column: its name, for the message.
        where: the data's description, for the message (``--data reviews.jsonl``).

    Raises:
        TextDataError: a list or an object, naming the column, the row, the cell's start and the fix.
    """
    cells = list(values)
    for row, value in enumerate(cells, 1):
        if isinstance(value, list | dict):
            kind = "a list" if isinstance(value, list) else "an object"
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise TextDataError(
                f"{where}: column {column!r} holds {kind} in row {row} ({shown}), not one value; give one "
                "text or label per cell"
            )
    return cells
