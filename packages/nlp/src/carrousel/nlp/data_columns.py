"""Which columns of a labelled data set hold the texts and the labels.

The defaults are ``text`` and ``label`` (IMDb, Yelp, tweet_eval, rotten_tomatoes on the hub). Other common
sets name them otherwise: GLUE's SST-2 and the Financial PhraseBank ``sentence``, amazon_polarity
``content``, review exports ``review`` and ``rating``/``stars``, Sentiment140 ``target``. When the default
name is absent and exactly one of these well-known names is present, that column is read, with a warning
naming it; several candidates, or a column the user named that is absent, are errors listing the columns.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.core.text import name_some
from carrousel.nlp.errors import ColumnNotFoundError

__all__ = ["LABEL_COLUMNS", "TEXT_COLUMNS", "is_text_name", "pick_columns", "pick_text_column"]

logger = logging.getLogger(__name__)

# well-known names, the default first; matched ignoring case, spaces and underscores
TEXT_COLUMNS = (
    "text", "sentence", "review", "content", "tweet", "document", "body", "comment", "reviewtext",
    "reviewbody",
)  # fmt: skip
LABEL_COLUMNS = (
    "label", "labels", "sentiment", "polarity", "rating", "stars", "score", "target", "class",
)  # fmt: skip


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def is_text_name(name: str) -> bool:
    """Whether ``name`` is one of :data:`TEXT_COLUMNS` as the columns are matched (case, spaces, underscores
    aside: ``Review Text``), so a column that may be read as the texts."""
    return _key(name) in {_key(k) for k in TEXT_COLUMNS}


def _show(columns: Sequence[str], width: int = 40) -> str:
    return name_some((c if len(c) <= width else c[: width - 3] + "..." for c in columns), 20, quote=True)


def _pick(
    columns: Sequence[str],
    wanted: str,
    known: Sequence[str],
    flag: str | None,
    where: str,
    *,
    hint: str = "",
    container: str = "file",
) -> str:
    """The column to read for ``wanted`` (see :func:`pick_columns`).

    Args:
        columns: the data set's column names.
        wanted: the configured name (``--text-col`` / ``--label-col``).
        known: the well-known names of this role, the default first (:data:`TEXT_COLUMNS`,
            :data:`LABEL_COLUMNS`); only when ``wanted`` is that default and absent are the others tried.
        flag: the option naming it, for messages; None where no option names it (``--exclude``): the
            messages then say to name the column ``wanted`` in the ``container``.
        where: the data's description, for messages (``--data reviews.csv``).
        hint: the end of the error when no column stands in for ``wanted`` (none found, not several), e.g.
            what to do with a file whose first row was read as the column names.
        container: what holds the columns, for those messages: ``"file"`` or ``"data set"``.

    Raises:
        ColumnNotFoundError: ``wanted`` is absent and no single well-known column stands in for it.
    """
    if wanted in columns:
        return wanted
    found = [c for c in columns if _key(c) in {_key(k) for k in known}] if wanted == known[0] else []
    role = "the texts" if known is TEXT_COLUMNS else "the labels"
    rename = f"name the column of {role} {wanted!r} in the {container}"
    if len(found) == 1:
        logger.warning(
            "%s: no column %r; reading %r as %s (%s to choose another)",
            where, wanted, found[0], role, f"give {flag}" if flag else rename,
        )  # fmt: skip
        return found[0]
    named = f" ({flag})" if flag else ""
    if found:
        raise ColumnNotFoundError(
            f"{where}: no column {wanted!r}{named} and several that could stand in for it: {_show(found)}; "
            + (f"name one with {flag}" if flag else rename)
        )
    fix = "" if flag else f"; {rename}"
    raise ColumnNotFoundError(
        f"{where}: no column {wanted!r}{named}; columns found: {_show(columns)}{fix}{hint}"
    )


@check_args
def pick_columns(
    columns: Sequence[str], text_col: str, label_col: str, where: str, *, header: bool
) -> tuple[str, str]:
    """The ``(text, label)`` columns to read: the configured ones, or for a default name that is absent the
    one well-known column present (see the module docstring).

    Args:
        columns: the data set's column names.
        text_col: the configured text column (``--text-col``).
        label_col: the configured label column (``--label-col``).
        where: the data's description, for messages (``--data reviews.csv``).
        header: whether the file's first row named the columns (a hint in the error otherwise).

    Raises:
        ColumnNotFoundError: a column is absent and no single well-known one stands in for it, or both
            would be read from one column.
    """
    no_header = option("data.header", False, "--no-header")
    hint = f" (the file has no header row? use {no_header} and column numbers)" if header else ""
    if list(columns) == [str(i) for i in range(len(columns))]:  # a file read without a header row
        hint = f" (without a header row the columns are numbered from 0: give {option('text_col')} N and {option('label_col')} N)"
    text = _pick(columns, text_col, TEXT_COLUMNS, option("text_col"), where, hint=hint)
    label = _pick(columns, label_col, LABEL_COLUMNS, option("label_col"), where, hint=hint)
    if text == label:
        raise ColumnNotFoundError(
            f"{where}: texts and labels would both be read from {text!r}; name them with {option('text_col')}"
            f" and {option('label_col')}"
        )
    return text, label


@check_args
def pick_text_column(
    columns: Sequence[str],
    text_col: str,
    where: str,
    *,
    header_read: bool = False,
    flag: str | None = "text_col",
    container: str = "file",
) -> str:
    """The column of the texts alone (a table to classify, no labels): as :func:`pick_columns` picks it.

    Args:
        columns: the table's column names.
        text_col: the configured text column (``text_col``, ``--text-col`` in a command).
        where: the table's description, for messages (``path='reviews.tsv'``, ``--file reviews.tsv``).
        header_read: the names came from the file's first row (a CSV/TSV): the error for the default
            ``text`` then says what to do with a file that has no header row (predict has no ``--no-header``):
            add one, or give the texts alone (to ``--file`` in a command, read_column's ``path`` in Python).
        flag: the option that names the column: a Python name goes through :func:`option` (the default
            ``text_col``: ``text_col`` to a Python caller, ``--text-col`` in a command), a flag is shown as
            given; None where none does (``--exclude``: the messages say to name the column in the
            ``container`` instead).
        container: what holds the columns, for those messages: ``"file"``, or ``"data set"`` (a saved or
            hub data set).

    Raises:
        ColumnNotFoundError: ``text_col`` is absent and no single well-known column stands in for it.
    """
    flag = option(flag) if flag and not flag.startswith("-") else flag
    hint = ""
    if header_read and text_col == TEXT_COLUMNS[0]:  # the default looked for in a first row of texts?
        alone = f", or give {option('path', flag='--file')} the texts alone, one per line" if flag else ""
        hint = f" (a file without a header row? add one naming the text column{alone})"
    return _pick(columns, text_col, TEXT_COLUMNS, flag, where, hint=hint, container=container)
