"""Windows-1252's typographic bytes (0x80-0x9f: curly quotes 0x93/0x94, dashes, euro; Latin-1's C1 control
range) and the five bytes it leaves undefined, in the files nlp reads.

Before (core's refusals: tests/core/test_encodings.py): a ``--data`` CSV holding an undefined byte (0x81)
was read as Windows-1252 all the same and failed in the loader ("input is not valid text
(UnicodeDecodeError: 'charmap' codec ...)", no line); a gzip-compressed CSV was never sniffed (read as
UTF-8: a Windows-1252 one failed in the loader), and a gzip-compressed fastText file is read as UTF-8 by
``datasets`` whatever encoding it is given (refused now, naming the fix).
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from carrousel.nlp.config import TextDataConfig
from carrousel.nlp.data import check_texts, load_texts
from carrousel.nlp.errors import TextDataError

ROWS = b"text,label\n\x93Great\x94 film \x96 loved it,pos\nawful \x80 waste,neg\n"  # Windows-1252


def test_data_csv_with_an_undefined_byte_is_refused_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(ROWS + b"odd \x81 byte,neg\n")
    with pytest.raises(TextDataError, match=r"byte 0x81 on line 4, column 5 is not Windows-1252"):
        load_texts(TextDataConfig(str(data)))


def test_gzip_compressed_windows_1252_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    table = tmp_path / "d.csv.gz"
    table.write_bytes(gzip.compress(ROWS))
    with caplog.at_level(logging.WARNING, logger="carrousel"):
        read = load_texts(TextDataConfig(str(table)))
    assert read.texts == ["\u201cGreat\u201d film \u2013 loved it", "awful \u20ac waste"]
    assert f"{table} is not UTF-8; reading it as Windows-1252" in caplog.text
    fasttext = tmp_path / "d.txt.gz"
    fasttext.write_bytes(gzip.compress(b"__label__pos \x93Great\x94 film\n__label__neg bad\n"))
    with pytest.raises(TextDataError) as caught:
        load_texts(TextDataConfig(str(fasttext)))
    assert str(caught.value).endswith("byte 0x93 on line 1, column 14 (Windows-1252?); convert it to UTF-8 "
                                      "(iconv -f cp1252 -t utf-8)")  # fmt: skip


def test_a_text_holding_a_non_utf8_byte_names_the_windows_1252_conversion() -> None:
    with pytest.raises(TextDataError, match=r"holds byte 0x93, not UTF-8; give UTF-8 text \(iconv -f cp1252"):
        check_texts(["\udc93quoted\udc94"], "input")  # iconv -f latin1 makes 0x93 a control character
