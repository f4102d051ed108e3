"""Records (JSON objects) of a text that is either one JSON array of objects (``json.dump(rows)``,
``[{...}, {...}]``) or JSON Lines (one object per line, as NeMo's manifests and HF ``datasets`` write
them): the one reader of that shape for every domain (speech manifests, nlp parallel pairs), each keeping
its own checks of the fields.

Each record comes with its place, the file's name and ``line N`` (JSON Lines, blank lines skipped but
counted) or ``item N`` (an array's items, from 1), for the domain's own messages about its fields. What is
wrong with the shape itself is refused here in one line naming the file, the place, the fault and the fix.

Example:
    >>> [row for _, row in json_records('{"a": 1}\\n\\n{"a": 2}\\n', "f.jsonl")]
    [{'a': 1}, {'a': 2}]
    >>> [where for where, _ in json_records('[{"a": 1}, {"a": 2}]', "f.json")]
    ['f.json: item 1', 'f.json: item 2']
    >>> next(json_records('{"a": 1}\\n[1]\\n', "f.jsonl"))
    ('f.jsonl: line 1', {'a': 1})
    >>> list(json_records('{"a": 1}\\n[1]\\n', "f.jsonl"))
    Traceback (most recent call last):
    ...
    carrousel.core.errors.DataError: f.jsonl: line 2 is a JSON array, not an object; write one object per line
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from carrousel.core.encodings import file_lines
from carrousel.core.errors import DataError

__all__ = ["json_records"]

_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def _kind(value: object) -> str:
    """The JSON name of a parsed value's type (``null`` for None)."""
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def json_records(
    text: str, where: str, error: Callable[[str], Exception] = DataError
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(place, record)`` for each object of ``text``: one JSON array of objects (the text starts with
    ``[``), else JSON Lines (one object per line, blank lines skipped).

    Args:
        text: the file's text, decoded (:func:`carrousel.core.files.read_text`).
        where: the file as messages name it (its path, ``--data rows.jsonl``).
        error: the class (or any callable of one message) of the error raised: a package's own
            :class:`~carrousel.core.errors.DataError`.

    Yields:
        ``("<where>: line 3", {...})`` for JSON Lines, ``("<where>: item 2", {...})`` for an array's items.

    Raises:
        DataError: (``error``) an array that does not parse (the decoder's line and column), an empty
            array, a line that is not JSON (an object spread over several lines says JSON Lines hold one
            whole object per line), or an item or line that is not an object (its JSON type named).
    """
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(
                f"{where}: a JSON array that does not parse (line {exc.lineno}, column {exc.colno}: {exc.msg});"
                " fix it, or write one object per line (JSON Lines)"
            ) from None
        if not items:
            raise error(f"{where}: the JSON array is empty ([]); write one object per record in it")
        rows: Iterator[tuple[str, object]] = ((f"{where}: item {n}", item) for n, item in enumerate(items, 1))
        fix = "write an array of objects"
    else:
        rows, fix = _lines(text, where, error), "write one object per line"
    for place, row in rows:
        if not isinstance(row, dict):
            raise error(f"{place} is a JSON {_kind(row)}, not an object; {fix}")
        yield place, row


def _lines(text: str, where: str, error: Callable[[str], Exception]) -> Iterator[tuple[str, object]]:
    """Each filled line of JSON Lines ``text``, parsed, with its place (``f.jsonl: line 3``)."""
    for n, line in enumerate(file_lines(text), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            spread = line.lstrip().startswith("{") and not line.rstrip().endswith("}")
            fix = "JSON Lines hold one whole object per line" if spread else "write one JSON object per line"
            raise error(f"{where}: line {n} is not JSON ({exc.msg}, column {exc.colno}); {fix}") from None
        yield f"{where}: line {n}", row
