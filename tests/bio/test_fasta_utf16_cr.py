"""FASTA saved by Windows' Notepad as "Unicode" (UTF-16) or by an old Mac (lines ending in CR alone).

Before: UTF-16 text was "holds NUL bytes: it is a binary file, not FASTA text", which sends the user looking
for a wrong file, not an encoding; now it names UTF-16 and the ``iconv`` conversion, from the streaming reader
(``bio scan``) and the whole-file one (training sequences) alike, gzip-compressed too. A CR-only file (once
refused with a hint to convert it) now reads as its LF twin: tests/bio/test_fasta_cr_only.py.
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_records, read_sequences

FASTA = ">s1 café\nACGTACGTNN\nacgt\n>s2\nGGGCCC\n"


def _readers() -> list:
    return [read_sequences, lambda p: list(iter_records(p))]


@pytest.mark.parametrize("reader", _readers(), ids=["read_sequences", "iter_records"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_utf16_fasta_names_its_encoding(tmp_path: Path, reader, codec: str, gz: bool) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + FASTA.encode(codec)
    (p := tmp_path / ("u.fa.gz" if gz else "u.fa")).write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(
        FastaFormatError, match=r"is UTF-16 text; FASTA is read as UTF-8: convert it \(iconv -f utf-16"
    ):
        reader(p)


@pytest.mark.parametrize("reader", _readers(), ids=["read_sequences", "iter_records"])
def test_a_binary_file_is_still_named_binary(tmp_path: Path, reader) -> None:
    (p := tmp_path / "b.fa").write_bytes(b">x\nAC\x00GT\n")
    with pytest.raises(FastaFormatError, match="holds NUL bytes: it is a binary file"):
        reader(p)


def test_crlf_and_bom_fasta_read_as_the_plain_file(tmp_path: Path) -> None:
    (plain := tmp_path / "p.fa").write_text(FASTA)
    (win := tmp_path / "w.fa").write_bytes(codecs.BOM_UTF8 + FASTA.replace("\n", "\r\n").encode())
    assert read_sequences(plain) == read_sequences(win) == (["s1", "s2"], ["ACGTACGTNNACGT", "GGGCCC"])
