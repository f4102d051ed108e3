"""A JSON lines file that is not UTF-8 past the head ``data_encoding`` judges (its first 16 MB): ``datasets``
fails on it, and the reader's explanation (``bad_json_line``) decoded the file with ``errors="replace"``, so
the byte became U+FFFD with no word of it. Now it is refused as every UTF-8-only input is (core's
``undecodable``): the file, the byte by line and column, and the conversion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carrousel.nlp import data_encoding
from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import load_texts
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.hf_data import bad_json_line


def _rows(tmp_path: Path, broken: bytes = b"") -> Path:
    data = tmp_path / "d.jsonl"
    good = "".join(json.dumps({"text": f"row {i} is fine", "label": "pos"}) + "\n" for i in range(4))
    data.write_bytes(good.encode() + b'{"text": "caf\xe9 is bad", "label": "neg"}\n' + broken)
    return data


def test_bad_json_line_names_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    data = _rows(tmp_path)
    with pytest.raises(TextDataError) as caught:
        bad_json_line(data)  # the flag defaults to --data
    assert str(caught.value) == (
        f"--data {data} is not UTF-8 text: byte 0xe9 on line 5, column 14 (Latin-1 or Windows-1252?); "
        "convert it to UTF-8 (iconv -f cp1252 -t utf-8)"
    )


def test_a_json_error_after_a_byte_past_the_judged_head_names_the_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON error after the byte: ``datasets`` fails, and the refusal names the byte (before: "cannot be read
    as JSON (... line 6: Expecting ',' delimiter ...)", the byte read as U+FFFD unsaid)."""
    monkeypatch.setattr(data_encoding, "SNIFF_BYTES", 64)  # the first line is UTF-8: the head says UTF-8
    data = _rows(tmp_path, b'{"text": "ok" "label": "pos"}\n')
    with pytest.raises(TextDataError, match=r"byte 0xe9 on line 5, column 14 .*iconv -f cp1252 -t utf-8"):
        load_texts(TextDataConfig(str(data)))
