"""``json_records``: the one reader of "a JSON array of objects, or JSON Lines" (speech manifests and nlp
parallel pairs each had their own, worded apart: ``m.json: item 2`` against ``p.json item 2``, Python's
``int`` against JSON's names, an empty array refused as "line 1 is not a JSON object" by one and read as no
rows by the other)."""

from __future__ import annotations

import json

import pytest

from carrousel.core.errors import DataError
from carrousel.core.json_records import json_records


class OwnError(DataError):
    """A domain's error, passed as ``error``."""


def test_json_lines_skip_blank_lines_and_keep_their_numbers() -> None:
    text = '{"a": 1}\n\n  \n{"a": 2}\r\n{"a": "x\u2028y"}\n'  # a raw U+2028 in a string is not a line end
    assert list(json_records(text, "f.jsonl")) == [
        ("f.jsonl: line 1", {"a": 1}),
        ("f.jsonl: line 4", {"a": 2}),
        ("f.jsonl: line 5", {"a": "x\u2028y"}),
    ]


def test_an_array_yields_its_items_by_number() -> None:
    text = json.dumps([{"a": 1}, {"b": [2]}], indent=2)
    assert list(json_records(text, "f.json")) == [
        ("f.json: item 1", {"a": 1}),
        ("f.json: item 2", {"b": [2]}),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", r"^f: the JSON array is empty \(\[\]\); write one object per record in it$"),
        (
            '[{"a": 1},\n {"a": }]',
            r"^f: a JSON array that does not parse \(line 2, column 8: Expecting value\); fix it, or write one"
            r" object per line \(JSON Lines\)$",
        ),
        ('[{"a": 1}, [1], 2]', r"^f: item 2 is a JSON array, not an object; write an array of objects$"),
        ('[{"a": 1}, null]', r"^f: item 2 is a JSON null, not an object; write an array of objects$"),
        ('{"a": 1}\n"text"\n', r"^f: line 2 is a JSON string, not an object; write one object per line$"),
        ('{"a": 1}\n\ntrue\n', r"^f: line 3 is a JSON boolean, not an object; write one object per line$"),
        (
            "{'a': 1}\n",
            r"^f: line 1 is not JSON \(Expecting property name .*, column 2\); write one JSON object",
        ),
        (
            '{"a": 1,\n "b": 2}\n',
            r"^f: line 1 is not JSON \(.*\); JSON Lines hold one whole object per line$",
        ),
    ],
)
def test_each_fault_is_one_line_with_its_place_and_fix(text: str, message: str) -> None:
    with pytest.raises(OwnError, match=message) as caught:
        list(json_records(text, "f", OwnError))
    assert "\n" not in str(caught.value)
    err = caught.value  # no chained decoder error: the CLI prints this one line
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def test_the_default_error_is_core_data_error() -> None:
    with pytest.raises(DataError, match="line 1 is not JSON"):
        list(json_records("nope\n", "f"))


def test_rows_before_a_fault_come_first() -> None:
    """JSON Lines are read as they come: a reader sees the good rows before the bad line's error."""
    rows = json_records('{"a": 1}\n{"a": \n', "f")
    assert next(rows) == ("f: line 1", {"a": 1})
    with pytest.raises(DataError, match=r"^f: line 2 is not JSON"):
        next(rows)
