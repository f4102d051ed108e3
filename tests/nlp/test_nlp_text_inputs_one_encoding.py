"""Every nlp text input reads its encoding one way, through core's ``decode_text`` with ``LEGACY_TEXT``:
UTF-8 (a byte-order mark stripped), else Windows-1252 line by line with one warning naming the file and the
first line that is not UTF-8 (before: ``sentiment`` read a Latin-1 file so, while ``generate train --text``,
``translate run --file`` and translation pairs refused it; and a file mixing UTF-8 and Latin-1 lines was
decoded whole as Windows-1252, its UTF-8 "café" read "cafÃ©"). ``translate run --file`` keeps a blank line
as an empty translation (before: "text 2 is empty"), as fairseq-interactive and Marian keep lines aligned."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.core.encodings import LEGACY_TEXT, decode_text
from carrousel.nlp.data import read_lines
from carrousel.nlp.lm_data import read_corpus
from carrousel.nlp.parallel import read_pairs
from tests.nlp.conftest import Run

_LATIN1 = "the café was open\nthe crème brûlée was good\n"
_CORE = "carrousel.core.encodings"


def _latin1(path: Path, text: str = _LATIN1) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


def test_generate_train_text_reads_latin1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``nlp generate train --text``'s corpus reader (before: "is not UTF-8 text: byte 0xe9 ...")."""
    f = _latin1(tmp_path / "corpus.txt")
    with caplog.at_level(logging.WARNING, logger=_CORE):
        assert read_corpus([str(f)]) == _LATIN1
    assert f"{f}' is not UTF-8; reading it as Windows-1252" in caplog.text  # data.files='...' to Python
    assert "(2 lines are not UTF-8, the first line 1)" in caplog.text


def test_translate_pairs_read_latin1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A TSV file and two aligned files of translation pairs (before: refused)."""
    tsv = _latin1(tmp_path / "pairs.tsv", "café\tKaffee\nthé\tTee\n")
    src = _latin1(tmp_path / "a.txt", "café\nthé\n")
    tgt = tmp_path / "b.txt"
    tgt.write_text("Kaffee\nTee\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger=_CORE):
        assert read_pairs([tsv], "fr", "de") == [("café", "Kaffee"), ("thé", "Tee")]
        assert read_pairs([src, tgt], "fr", "de") == [("café", "Kaffee"), ("thé", "Tee")]
    assert f"{tsv} is not UTF-8; reading it as Windows-1252" in caplog.text
    assert f"{src} is not UTF-8; reading it as Windows-1252" in caplog.text


def test_a_file_mixing_utf8_and_latin1_lines_keeps_its_utf8_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = "café\n".encode() + "naïve\r\n".encode("latin-1") + "crème\n".encode() + "brûlée".encode("latin-1")
    with caplog.at_level(logging.WARNING, logger=_CORE):
        assert decode_text(b"\xef\xbb\xbf" + raw, LEGACY_TEXT, "t.txt") == "café\nnaïve\r\ncrème\nbrûlée"
    assert caplog.messages == [
        "t.txt is not UTF-8; reading it as Windows-1252 where it is not (2 lines are not UTF-8, the first line 2)"
    ]
    f = tmp_path / "mixed.txt"
    f.write_bytes(raw)
    assert read_lines(f) == ["café", "naïve", "crème", "brûlée"]  # translate/sentiment --file alike
    with pytest.raises(Exception, match="byte 0x81"):  # a line neither decodes: refused as before
        decode_text(b"ok\nbad \x81\n", LEGACY_TEXT, "t.txt")


def test_translate_file_reads_latin1(tmp_path: Path, nlp: Callable[..., Run], undertrained: Path) -> None:
    texts = _latin1(tmp_path / "texts.txt", "open the café\nclose the file\n")
    done = nlp("translate", "run", "--model", str(undertrained), "--file", str(texts), "--beam", "1")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2
    assert f"{texts} is not UTF-8; reading it as Windows-1252" in " ".join(done.stderr.split())


def test_translate_file_keeps_blank_lines(
    tmp_path: Path, nlp: Callable[..., Run], undertrained: Path
) -> None:
    """A blank line translates to an empty line, no model call (before: "text 2 is empty ...")."""
    texts = tmp_path / "texts.txt"
    texts.write_text("open the file\n\n  \nclose the file\n", encoding="utf-8")
    done = nlp("translate", "run", "--model", str(undertrained), "--file", str(texts), "--beam", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert len(lines) == 5 and lines[1:3] == ["", ""] and lines[0] and lines[3] and lines[4] == ""
    done = nlp(
        "translate", "run", "--model", str(undertrained), "--file", str(texts), "--json", "--beam", "1"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)["translations"]
    assert [t["source"] for t in out] == ["open the file", "", "", "close the file"]
    assert out[1]["text"] == out[2]["text"] == "" and out[0]["text"] and out[3]["text"]
