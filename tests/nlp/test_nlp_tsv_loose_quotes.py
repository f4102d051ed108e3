"""A TSV text that starts with a quotation and goes on keeps its quotes.

Hand-written and ``printf``/``paste`` TSVs do not quote their texts, so a review ``"Wow" said the critic``
sits in its cell as it is. CSV quoting, which the TSV was read with, took it for a quoted field followed by
stray text and read ``Wow said the critic``, silently, in training, evaluation and ``--exclude`` alike. Such a
file is now read with its quotes as text, with a warning naming the line; a field quoted whole stays CSV.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts, read_column

ROWS = [('"Wow" said the critic', "pos"), ("dull", "neg"), ('a "fine" film', "pos")]


def _texts(p: Path) -> list[str]:
    return load_texts(TextDataConfig(source=str(p))).texts


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_leading_quotation_keeps_its_quotes(
    tmp_path: Path, end: str, caplog: pytest.LogCaptureFixture
) -> None:
    (p := tmp_path / "r.tsv").write_bytes(
        end.join(["text\tlabel", *("\t".join(r) for r in ROWS)]).encode() + b"\n"
    )
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.data"):
        assert _texts(p) == [t for t, _ in ROWS]
    assert "line 2 has a text that starts with a quotation and goes on" in caplog.text


def test_fields_quoted_whole_are_still_csv_quoting(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (p := tmp_path / "q.tsv").write_text('text\tlabel\n"""Wow"" said the critic"\t"pos"\n"dull"\tneg\n')
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.data"):
        assert _texts(p) == ['"Wow" said the critic', "dull"]
    assert "quotation" not in caplog.text


def test_a_quoted_field_holding_a_tab_is_csv_quoting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # as Python's csv.writer(delimiter="\t") and pandas' to_csv(sep="\t") write a text holding a tab; on main
    # the tab was taken for a quote left open, the file read again without quoting: 3 fields, exit 1
    with (p := tmp_path / "w.tsv").open("w", newline="") as f:
        csv.writer(f, delimiter="\t").writerows(
            [("text", "label"), ("awful\tboring", "neg"), ("fine", "pos")]
        )
    assert p.read_text().splitlines()[1] == '"awful\tboring"\tneg'
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.data"):
        assert _texts(p) == ["awful\tboring", "fine"]
        assert read_column(p, "text") == ["awful\tboring", "fine"]
    assert "quote" not in caplog.text


def test_a_quote_left_open_is_still_read_as_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (p := tmp_path / "o.tsv").write_text('text\tlabel\n"Wow said\tpos\ndull\tneg\na "fine" film\tpos\n')
    with caplog.at_level(logging.WARNING, logger="carrousel.nlp.data"):
        assert _texts(p) == ['"Wow said', "dull", 'a "fine" film']
    assert "a double quote in row 1 is not closed on its line" in caplog.text
