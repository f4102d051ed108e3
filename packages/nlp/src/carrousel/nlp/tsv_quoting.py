"""CSV quoting in a pairs TSV (:func:`carrousel.nlp.parallel.read_pairs`): a file written by pandas'
``to_csv(sep="\\t")`` or Python's ``csv.writer(delimiter="\\t")`` quotes a field holding a double quote or a
tab whole, its quotes doubled (``"He said ""hi"" twice"``); split on tabs alone, those quotes were kept in the text,
silently.

The file decides, not a line: it is read with CSV quoting when every line is CSV-quoted TSV (a field holding
a quote is quoted whole, its quotes doubled) and one field shows CSV's escaping (a doubled quote or a tab
inside a field quoted whole). An OPUS or Tatoeba file, written without quoting, reads as before: a quote
inside a text (``He said "hi"``) or a quotation alone (``"Hi!"``, no doubled quote) is text.

A line break inside a field quoted whole (pandas writes ``"Hello\nworld"`` over two lines) is part of that
field, as CSV reads it, and also shows CSV's escaping: the lines up to its closing quote are one row (with a
warning counting such rows, the line break kept in the text). Before, each line was a row of its own, and the
file was refused as having "1 tab-separated fields, not 2", telling to write one pair per line.
A line break is not taken for that on its own where each line, split on tabs, is a row as wide as the others
(``"Hello world<TAB>Hallo``, two rows down ``Bye"<TAB>Tschüss``: a text opening with a quote and one ending
with one, unquoted): the file is read as written, a row a line; before, the rows between were one field.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["tsv_rows"]

logger = logging.getLogger(__name__)

_CSV: dict[str, Any] = {"delimiter": "\t", "quotechar": '"', "strict": True}
_QUOTED = r'"(?:[^"]|"")*"'  # a field quoted whole, its quotes doubled
_LINE = re.compile(rf'(?:{_QUOTED}|[^"\t\n]*)(?:\t(?:{_QUOTED}|[^"\t\n]*))*')  # a row: \n only quoted
_ESCAPED = re.compile(r'(?:^|\t)"(?:[^"]|"")*(?:""|\t|\n)(?:[^"]|"")*"(?=\t|$)')


def _joined(lines: Sequence[str]) -> list[tuple[int, str]] | None:
    """``(index of its first line, text)`` of each row, a row running on while it holds an odd number of
    quotes (a field quoted whole still open, as CSV reads it): the lines joined by \n; None when the last
    quote is never closed (not CSV quoting)."""
    if not any(line.count('"') % 2 for line in lines):
        return list(enumerate(lines))  # no row runs on
    rows: list[tuple[int, str]] = []
    start, parts, quotes = 0, list[str](), 0
    for i, line in enumerate(lines):
        start = i if not parts else start
        parts.append(line)
        quotes += line.count('"')
        if quotes % 2 == 0:
            rows.append((start, "\n".join(parts)))
            parts, quotes = [], 0
    return None if parts else rows


def _quoted_rows(lines: Sequence[str]) -> list[tuple[int, str]] | None:
    """The rows of ``lines`` as CSV quoting reads them (:func:`_joined`) when the file is written so (see the
    module docstring), else None."""
    if not any('"' in line for line in lines):  # no quote at all (OPUS, Tatoeba): no field is quoted
        return None
    rows = [(i, row) for i, row in _joined(lines) or [] if row.strip()]
    if not all(_LINE.fullmatch(row) for _, row in rows):
        return None
    escaped = [row for _, row in rows if _ESCAPED.search(row)]
    if not escaped:
        return None
    if all("\n" in row and '""' not in row for row in escaped) and _rows_as_written(lines):
        return None  # only quotes paired across lines show it, and each line is a row as written: plain TSV
    return rows


def _rows_as_written(lines: Sequence[str]) -> bool:
    """Whether every non-blank line, split on tabs, has as many fields as the others: the file reads as plain
    TSV, a row a line (a quote opening one line's field and one closing a later line's are text)."""
    return len({line.count("\t") for line in lines if line.strip()}) == 1


def tsv_rows(lines: Sequence[str], where: str) -> list[tuple[int, list[str]]]:
    """``(index of its first line, fields)`` of each non-blank row of the TSV file ``where`` (its ``lines``):
    one a line split on tabs, or, written with CSV quoting (see the module docstring; logged), read as
    CSV, a field quoted whole then holding tabs, doubled quotes and line breaks (its row spans those
    lines; a warning counts such rows)."""
    rows = _quoted_rows(lines)
    if rows is None:
        return [(i, line.split("\t")) for i, line in enumerate(lines) if line.strip()]
    logger.info(
        '%s: read with CSV quoting (fields quoted whole, "" inside for a quote), as pandas writes it', where
    )
    if spanning := sum("\n" in row for _, row in rows):
        logger.warning(
            "%s: %d row(s) hold a line break inside a quoted field (CSV), each read as one row, the line break "
            "kept in its text",
            where,
            spanning,
        )
    text = io.StringIO("\n".join(row for _, row in rows), newline="")  # one reader: whole rows, checked
    return [(i, cells) for (i, _), cells in zip(rows, csv.reader(text, **_CSV), strict=True)]
