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


def test_a_file_judged_in_pieces_gets_the_very_refusal_of_its_bytes_whole() -> None:
    """:func:`undecodable_file` reads a file in pieces through incremental decoders (a large file is not held
    whole to name its bad byte) and words the refusal as :func:`undecodable` of all its bytes: the same first
    bad byte, line and column (a character cut by a piece, a byte-order mark, CRLF lines), whatever the
    piece size."""
    import codecs
    import io
    import random

    from carrousel.core.encodings import undecodable, undecodable_file

    rng = random.Random(0)
    parts = [b"a", b"\n", b"\r\n", "é".encode(), "€".encode(), b"\xe9", b"\x81", b"\x93", codecs.BOM_UTF8]
    parts += ["𝄞".encode(), b"\xf0\x9f", b"\xc3"]
    compared = 0
    for _ in range(600):
        raw = b"".join(rng.choice(parts) for _ in range(rng.randrange(1, 30)))
        for encodings in (("utf-8-sig",), LEGACY_TEXT, ("utf-8",)):
            if any(_decodes(raw, e) for e in encodings):
                continue
            whole = undecodable(raw, encodings, "f.txt")
            for piece in (1, 2, 3, 5, 1 << 20):
                assert undecodable_file(io.BytesIO(raw), encodings, "f.txt", piece) == whole, (raw, piece)
            compared += 1
    assert compared > 500


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
