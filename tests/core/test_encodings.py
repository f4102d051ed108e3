"""Core's refusal of a file no allowed encoding reads, for Windows-1252's typographic bytes (0x80-0x9f:
curly quotes 0x93/0x94, dashes, euro; Latin-1's C1 control range) and the five it leaves undefined.

Before: a UTF-8-only reader refused a Windows-1252 file naming byte 0x93 with no guess and no way to convert
it (the guess was kept for bytes 0xa0 and up), and a file that neither UTF-8 nor Windows-1252 reads was
refused naming UTF-8's first bad byte, a curly quote that Windows-1252 reads, not the byte at fault.
"""

from __future__ import annotations

import pytest

from carrousel.core.encodings import LEGACY_TEXT, decode_by_line, decode_text
from carrousel.core.errors import DataError

ROWS = b"text,label\n\x93Great\x94 film \x96 loved it,pos\nawful \x80 waste,neg\n"  # Windows-1252


def test_a_windows_1252_file_refused_as_not_utf8_names_the_guess_and_iconv() -> None:
    with pytest.raises(DataError) as caught:
        decode_text(ROWS, ("utf-8-sig",), "--file t.txt")
    assert str(caught.value) == (
        "--file t.txt is not UTF-8 text: byte 0x93 on line 2, column 1 (Windows-1252?); "
        "convert it to UTF-8 (iconv -f cp1252 -t utf-8)"
    )


def test_a_file_neither_reads_names_the_byte_windows_1252_cannot_read() -> None:
    with pytest.raises(DataError) as caught:
        decode_text(ROWS + b"odd \x81 byte,neg\n", LEGACY_TEXT, "--file t.txt")
    assert str(caught.value) == (
        "--file t.txt is not UTF-8 or Windows-1252 text: byte 0x93 on line 2, column 1 is not UTF-8, "
        "byte 0x81 on line 4, column 5 is not Windows-1252; convert it to UTF-8"
    )
    with pytest.raises(DataError, match=r"text: byte 0x81 on line 1, column 1; convert it to UTF-8$"):
        decode_text(b"\x81", LEGACY_TEXT, "x")  # one place: said once, no guess, no iconv (it would fail)


def test_decode_by_line_reads_each_line_utf8_where_it_is() -> None:
    """The per-line decoding decode_text(LEGACY_TEXT) and nlp's BY_LINE codec share: UTF-8 lines kept, the
    others Windows-1252, named from 1; a byte neither reads raises."""
    assert decode_by_line("café\r\n".encode() + b"caf\xe9\rna\xefve\n") == ("café\r\ncafé\rnaïve\n", [2, 3])
    with pytest.raises(UnicodeDecodeError):
        decode_by_line(b"ok\n\x81\n")
