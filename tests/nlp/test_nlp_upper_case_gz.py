"""A gzip-compressed table named in upper case (``X.CSV.GZ``, ``X.JSONL.GZ``, as Windows tools and old FTP
mirrors name them) reads as its lower-case twin. Before, nlp's data module judged the format from a
case-sensitive ``.gz`` check (its own copy of the suffix rule, now core's ``format_suffix``), so the table was
taken for lines of text: every row, header included, became a text without a label."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import is_table, load_texts

ROWS = [("great product, I love it", "pos"), ("terrible, broke at once", "neg"), ("it is fine", "pos")]


def _write(path: Path, kind: str) -> None:
    if kind == "csv":
        body = "text,label\n" + "".join(f'"{t}",{y}\n' for t, y in ROWS)
    else:
        body = "".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in ROWS)
    path.write_bytes(gzip.compress(body.encode("utf-8")))


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_upper_case_gz_tables_read_like_lower_case(tmp_path: Path, kind: str) -> None:
    lower, upper = tmp_path / f"x.{kind}.gz", tmp_path / f"X.{kind.upper()}.GZ"
    for p in (lower, upper):
        _write(p, kind)
    assert is_table(upper)
    read = [load_texts(TextDataConfig(str(p))) for p in (lower, upper)]
    assert read[1].texts == read[0].texts == [t for t, _ in ROWS]
    assert read[1].labels == read[0].labels == [y for _, y in ROWS]


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("r.csv.gz", ".csv"),
        ("R.CSV.GZ", ".csv"),
        ("r.Tsv.Gz", ".tsv"),
        ("r.TSV", ".tsv"),
        ("r.gz", ""),
        ("r", ""),
    ],
)
def test_format_suffix_is_read_under_gz_in_any_case(name: str, suffix: str) -> None:
    from carrousel.core.paths import format_suffix, is_gzip

    assert format_suffix(name) == suffix and format_suffix(Path(name)) == suffix
    assert is_gzip(name) == name.lower().endswith(".gz")
