"""Labelled-text files as Windows and pipelines write them: one line naming the problem and the fix.

Before: a truncated or non-gzip ``--data x.csv.gz`` (or ``.tsv.gz``) was "internal error (EOFError ...)";
a Windows-1252 JSON lines file a raw ``UnicodeDecodeError`` ("input is not valid text (UnicodeDecodeError
...)"); a UTF-16 one (Excel's, PowerShell's) "cannot be read as JSON (ArrowInvalid: line 1: Expecting
value)". JSON lines with a UTF-8 byte-order mark still read as the plain file.
"""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.errors import TextDataError

ROWS = [("un café noir", "pos"), ("très mauvais", "neg"), ("bien", "pos")]
JSONL = "".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in ROWS)


def _load(p: Path) -> list[tuple[str, str]]:
    got = load_texts(TextDataConfig(source=str(p)))
    return list(zip(got.texts, got.labels, strict=True))


@pytest.mark.parametrize("name", ["d.csv.gz", "d.tsv.gz", "d.jsonl.gz", "d.txt.gz"])
@pytest.mark.parametrize("damage", ["truncated", "not gzip"])
def test_a_damaged_gzip_data_file_is_one_line(tmp_path: Path, name: str, damage: str) -> None:
    whole = gzip.compress(b"text,label\nfine,pos\n" * 50)
    (p := tmp_path / name).write_bytes(whole[:20] if damage == "truncated" else b"text,label\nfine,pos\n")
    with pytest.raises(TextDataError, match=r"is a damaged gzip file \(.+\); download or compress it again$"):
        load_texts(TextDataConfig(source=str(p)))


def test_windows_1252_json_lines_name_the_byte_and_iconv(tmp_path: Path) -> None:
    (p := tmp_path / "d.jsonl").write_bytes(JSONL.encode("cp1252"))
    with pytest.raises(
        TextDataError, match=r"not UTF-8 text: byte 0xe9 on line 1, .*iconv -f cp1252 -t utf-8"
    ):
        load_texts(TextDataConfig(source=str(p)))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_json_lines_name_the_conversion(tmp_path: Path, codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    (p := tmp_path / "d.jsonl").write_bytes(bom + JSONL.encode(codec))
    with pytest.raises(
        TextDataError, match=r"is UTF-16 text; JSON lines are read as UTF-8: convert it \(iconv"
    ):
        load_texts(TextDataConfig(source=str(p)))


def test_json_lines_with_a_utf8_bom_and_crlf_read_as_the_plain_file(tmp_path: Path) -> None:
    (plain := tmp_path / "plain.jsonl").write_text(JSONL, encoding="utf-8")
    (bom := tmp_path / "bom.jsonl").write_bytes(codecs.BOM_UTF8 + JSONL.replace("\n", "\r\n").encode())
    assert _load(plain) == _load(bom) == ROWS


@pytest.mark.parametrize("name", ["w.csv", "w.tsv", "w.jsonl", "w.txt", "w.csv.gz"])
def test_a_data_file_of_only_whitespace_says_so(tmp_path: Path, name: str) -> None:
    blank = b"\n \n\r\n\t\n"
    (p := tmp_path / name).write_bytes(gzip.compress(blank) if name.endswith(".gz") else blank)
    with pytest.raises(TextDataError, match=r"holds only whitespace; give a text data file with data$"):
        load_texts(TextDataConfig(source=str(p)))
