"""A FASTA file whose lines end in CR alone (an old Mac's) reads as its LF twin: the same records from the
streaming reader (``bio scan``) and the whole-file one (training sequences), plain or gzip-compressed, the
same scan output, and the same duplicate-name and comment-line errors with the same line numbers.

Before, such a file was one line as long as the file: refused with "no sequence in any of its 1 record(s);
do its lines end in CR alone? convert them to LF" (while finance and speech read CR-only files).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import iter_records, read_sequences
from carrousel.bio.fasta_names import check_unique_names
from tests.cli_harness import Outcome

FASTA = "# made on a Mac\n>s1 café\nACGTACGTNN\nacgt\n\n>s2\nGGGCCC\n>s3 empty\n>s4\nTTAA"


def _write(path: Path, text: str) -> Path:
    data = text.encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["mac.fa", "mac.fa.gz"])
def test_cr_only_fasta_reads_as_the_lf_file(tmp_path: Path, name: str) -> None:
    lf = _write(tmp_path / name.replace("mac", "lf"), FASTA)
    cr = _write(tmp_path / name, FASTA.replace("\n", "\r"))
    assert (
        read_sequences(cr) == read_sequences(lf) == (["s1", "s2", "s4"], ["ACGTACGTNNACGT", "GGGCCC", "TTAA"])
    )
    got, want = list(iter_records(cr)), list(iter_records(lf))
    assert [n for n, _ in got] == [n for n, _ in want] == ["s1", "s2", "s4"]
    assert all((a == b).all() for (_, a), (_, b) in zip(got, want, strict=True))


def test_cr_only_genome_scans_as_the_lf_one(
    tmp_path: Path, invoke: Callable[..., Outcome], lcg_dna: Any, write_fasta: Any
) -> None:
    seqs = {"chr1": lcg_dna(3000, 3), "chr2": lcg_dna(1500, 5)}
    hits = []
    for eol in ("\n", "\r"):
        (d := tmp_path / ("lf" if eol == "\n" else "cr")).mkdir()
        fa = write_fasta(d / "genome.fa", seqs, eol=eol)
        res = invoke("bio", "scan", fa, "-m", "CTCF", "--pvalue", "1e-3", "-o", d / "hits.bed", "-q")
        assert res.code == 0, res.stderr
        hits.append((d / "hits.bed").read_text())
    assert hits[1] == hits[0] and "chr2\t" in hits[0]


def test_cr_only_duplicates_and_comments_are_named_on_the_lf_lines(tmp_path: Path) -> None:
    dup = ">a\nAC\n>b\nGT\n>a\nTT\n"
    _write(tmp_path / "d.fa", dup.replace("\n", "\r"))
    with pytest.raises(FastaFormatError, match=r"duplicate record name 'a' \(line 5; first on line 1\)"):
        check_unique_names(tmp_path / "d.fa")
    _write(tmp_path / "c.fa", ">a\nAC\n# note\nGT\n".replace("\n", "\r"))
    for reader in (read_sequences, lambda p: list(iter_records(p))):
        with pytest.raises(FastaFormatError, match=r"c\.fa, line 3: comment line '# note' inside record 'a'"):
            reader(tmp_path / "c.fa")
