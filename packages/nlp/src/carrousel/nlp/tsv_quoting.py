"""CSV quoting in a pairs TSV (:func:`carrousel.nlp.parallel.read_pairs`): a file written by pandas'
``to_csv(sep="\\t")`` or Python's ``csv.writer(delimiter="\\t")`` quotes a field holding a double quote or a
tab whole, its quotes doubled (``"He said ""hi"" twice"``); split on tabs alone, those quotes were kept in the text,
silently.

The file decides, not a line: it is read with CSV quoting when every line is CSV-quoted TSV (a field holding
a quote is quoted whole, its quotes doubled) and one field shows CSV's escaping (a doubled quote or a tab
inside a field quoted whole). An OPUS or Tatoeba file, written without quoting, reads as before: a quote
inside a text (``He said "hi"``) or a quotation alone (``"Hi!"``, no doubled quote) is text.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence

from carrousel.core.args import check_args

__all__ = ["csv_quoted", "tsv_cells"]

logger = logging.getLogger(__name__)

_QUOTED = r'"(?:[^"]|"")*"'  # a field quoted whole, its quotes doubled
_LINE = re.compile(rf'(?:{_QUOTED}|[^"\t]*)(?:\t(?:{_QUOTED}|[^"\t]*))*')
_ESCAPED = re.compile(r'(?:^|\t)"(?:[^"]|"")*(?:""|\t)(?:[^"]|"")*"(?=\t|$)')


def csv_quoted(lines: Sequence[str], where: str) -> bool:
    """Whether the lines of the TSV file ``where`` are written with CSV quoting (see the module docstring);
    an info log says so when they are."""
    filled = [line for line in lines if line.strip()]
    quoted = any(_ESCAPED.search(line) for line in filled) and all(_LINE.fullmatch(line) for line in filled)
    if quoted:
        logger.info(
            '%s: read with CSV quoting (fields quoted whole, "" inside for a quote), as pandas writes it',
            where,
        )
    return quoted


@check_args
def tsv_cells(line: str, quoted: bool) -> list[str]:
    """The fields of one TSV line: split on tabs, or with ``quoted`` (:func:`csv_quoted`) read as CSV."""
    return (
        next(csv.reader([line], delimiter="\t", quotechar='"', strict=True)) if quoted else line.split("\t")
    )
