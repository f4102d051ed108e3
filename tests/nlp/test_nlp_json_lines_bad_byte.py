"""A JSON lines file that is not UTF-8 past the head ``data_encoding`` judges (its first 16 MB): ``datasets``
fails on it, and the reader's explanation (``bad_json_line``) decoded the file with ``errors="replace"``, so
the byte became U+FFFD with no word of it. Now it is refused as every UTF-8-only input is (core's
``undecodable``): the file, the byte by line and column, and the conversion."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

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


def test_a_json_file_that_parses_with_a_byte_past_the_head_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON lines file that parses, its first byte that is not UTF-8 past the head: refused naming the byte
    (before: ``datasets`` read it, and ``load_texts`` failed with a raw ``UnicodeDecodeError`` turning the
    column into Python strings)."""
    monkeypatch.setattr(data_encoding, "SNIFF_BYTES", 64)  # the first line is UTF-8: the head says UTF-8
    data = _rows(tmp_path)
    with pytest.raises(TextDataError, match=r"byte 0xe9 on line 5, column 14 .*iconv -f cp1252 -t utf-8"):
        load_texts(TextDataConfig(str(data)))


@pytest.mark.parametrize("sep", [",", "\t"])
def test_a_table_with_a_byte_past_the_head_is_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, sep: str
) -> None:
    """A CSV/TSV whose first byte that is not UTF-8 lies past the head is read as every data file is (each
    line UTF-8, else Windows-1252, one warning counting the lines of all of it), its UTF-8 rows kept (before:
    a raw ``UnicodeDecodeError`` from the separator's sniffing, or the loader's "cannot be read as CSV")."""
    monkeypatch.setattr(data_encoding, "SNIFF_BYTES", 64)
    data = tmp_path / ("d.csv" if sep == "," else "d.tsv")
    rows = [f"row {i} is fine{sep}pos\n".encode() for i in range(6)]
    rows[2] = f"na\u00efve row{sep}pos\n".encode()  # UTF-8 past the head: kept
    data.write_bytes(
        f"text{sep}label\n".encode() + b"".join(rows) + f"caf\xe9 is bad{sep}neg\n".encode("cp1252")
    )
    with caplog.at_level(logging.WARNING, logger="carrousel.core.encodings"):
        read = load_texts(TextDataConfig(str(data)))
    assert read.texts[2] == "na\u00efve row" and read.texts[-1] == "caf\u00e9 is bad"
    assert read.labels[-1] == "neg"
    assert caplog.messages == [
        f"{data} is not UTF-8; reading it as Windows-1252 where it is not (line 8 is not UTF-8)"
    ]


def test_a_refused_file_is_judged_in_pieces_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal of a file no encoding tried reads names its first bad byte reading the file in pieces
    (core's ``undecodable_file``), never all of it at once (before: ``fh.read()`` of the whole file, which may
    be gigabytes), with the same words as the bytes whole."""
    from carrousel.core.encodings import undecodable

    monkeypatch.setattr(data_encoding, "SNIFF_BYTES", 64)
    monkeypatch.setattr(data_encoding, "_LINE_PIECE", 256)
    good = "".join(json.dumps({"text": f"row {i} is fine é", "label": "pos"}) + "\n" for i in range(300))
    data = tmp_path / "d.jsonl"
    data.write_bytes(good.encode() + b'{"text": "caf\xe9 is bad", "label": "neg"}\n' + good.encode())
    sizes: list[int] = []

    class Spy:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def read(self, size: int = -1) -> bytes:
            sizes.append(size)
            return self.fh.read(size)

        def seek(self, *args: int) -> int:
            return self.fh.seek(*args)

    spy = lambda p, mode: Spy(open(p, mode))  # noqa: E731, SIM115 (closed by Spy.__exit__)
    monkeypatch.setattr(data_encoding, "open", spy, raising=False)
    with pytest.raises(TextDataError) as caught:
        data_encoding.check_json_encoding(data)
    assert str(caught.value) == undecodable(data.read_bytes(), ("utf-8-sig",), f"--data {data}")
    assert "byte 0xe9 on line 301, column 14" in str(caught.value)
    assert sizes and all(0 <= n <= 256 for n in sizes), sorted(set(sizes))  # before: a read of -1, all of it
