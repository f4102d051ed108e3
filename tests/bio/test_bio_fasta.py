"""Streaming FASTA reader: chunks, overlap, CRLF, gzip, soft-masking, N, and clear errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import (
    count_bases,
    decode,
    encode,
    iter_chunks,
    iter_records,
    one_hot,
    read_sequences,
    reverse_complement,
)


def _random_records(rng: np.random.Generator, n: int = 12) -> dict[str, str]:
    letters = list("ACGTacgtNRY")
    return {f"chr{i}": "".join(rng.choice(letters, size=int(rng.integers(1, 3000)))) for i in range(n)}


def _rebuild(path, chunk_size: int, overlap: int) -> dict[str, str]:
    got: dict[str, str] = {}
    end: dict[str, int] = {}
    for c in iter_chunks(path, chunk_size=chunk_size, overlap=overlap):
        s = decode(c.codes)
        if c.record in got:
            assert c.start == end[c.record] - min(overlap, end[c.record])  # overlap carried exactly
            got[c.record] += s[end[c.record] - c.start :]
        else:
            assert c.start == 0
            got[c.record] = s
        end[c.record] = c.start + len(s)
    return got


@pytest.mark.parametrize("chunk_size,overlap", [(1, 0), (7, 3), (100, 14), (1 << 20, 5)])
def test_chunks_rebuild_every_record(tmp_path, rng, write_fasta, chunk_size, overlap) -> None:
    recs = _random_records(rng)
    path = write_fasta(tmp_path / "g.fa", recs, width=61, eol="\r\n")
    gz = tmp_path / "g.fa.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    for p in (path, gz):
        got = _rebuild(p, chunk_size, overlap)
        expected = {k: "".join("N" if ch in "NRY" else ch.upper() for ch in v) for k, v in recs.items()}
        assert got == expected


@pytest.mark.parametrize("block", [1, 2, 7, 64])
def test_read_block_boundaries_anywhere(tmp_path, rng, write_fasta, monkeypatch, block) -> None:
    """Reading the file a few bytes at a time puts every header, CRLF and '>' on a block edge somewhere:
    records still rebuild exactly, and a small first chunk changes nothing but the chunking."""
    import carrousel.bio.fasta_bytes as fasta_bytes

    monkeypatch.setattr(fasta_bytes, "READ_BLOCK", block)
    recs = _random_records(rng, 6)
    path = write_fasta(tmp_path / "g.fa", recs, width=13, eol="\r\n")
    expected = {k: "".join("N" if ch in "NRY" else ch.upper() for ch in v) for k, v in recs.items()}
    assert _rebuild(path, 50, 4) == expected
    firsts = [decode(c.codes) for c in iter_chunks(path, chunk_size=500, first_size=20) if c.start == 0]
    assert len(firsts[0]) == min(20, len(expected["chr0"]))


def test_greater_than_inside_a_line_is_an_invalid_character(tmp_path) -> None:
    path = tmp_path / "bad.fa"
    path.write_text(">a\nACGT\nAC>GT\n>b\nAC\n")
    with pytest.raises(FastaFormatError, match=r"'a', position 7: invalid character '>'"):
        list(iter_chunks(path))


def test_last_flag_and_lengths(tmp_path, write_fasta) -> None:
    path = write_fasta(tmp_path / "a.fa", {"a": "ACGT" * 25, "b": "GG"})
    records = []
    chunks = list(iter_chunks(path, chunk_size=50, overlap=4, records=records))
    assert [c.last for c in chunks if c.record == "a"][-1] is True
    assert [(r.name, r.length) for r in records] == [("a", 100), ("b", 2)]


def test_iupac_is_n_and_lowercase_is_accepted() -> None:
    codes = encode("acgtNRYKMSWBDHVn")
    assert codes[:4].tolist() == [0, 1, 2, 3]
    assert (codes[4:] == 4).all()


def test_rna_u_reads_as_t(tmp_path, write_fasta) -> None:
    """As the README's Input section says: ``U``/``u`` is ``T`` (written back as ``T``)."""
    assert encode("ACGUu").tolist() == encode("ACGTt").tolist() == [0, 1, 2, 3, 3]
    assert decode(encode("GAUUACA")) == "GATTACA"
    rna = write_fasta(tmp_path / "rna.fa", {"r1": "GAUUACAuuug"})
    assert [decode(codes) for _, codes in iter_records(rna)] == ["GATTACATTTG"]


def test_invalid_character_names_record_and_position(tmp_path, write_fasta) -> None:
    path = write_fasta(tmp_path / "bad.fa", {"ok": "ACGT", "chrX": "ACGTACGTAC" + "GT!A"}, width=6)
    with pytest.raises(FastaFormatError, match=r"'chrX', position 13: invalid character '!'"):
        list(iter_chunks(path))


def test_empty_file_and_duplicates_and_empty_records(tmp_path, write_fasta, caplog) -> None:
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(FastaFormatError, match="no FASTA records"):
        list(iter_chunks(empty))
    dup = write_fasta(tmp_path / "dup.fa", {"a": "ACGT"})
    dup.write_text(dup.read_text() + ">a again\nACGT\n")
    with pytest.raises(FastaFormatError, match="duplicate record name 'a'"):
        list(iter_chunks(dup))
    holes = tmp_path / "holes.fa"
    holes.write_text(">empty1\n>x\nACGT\n>empty2\n")
    assert [(n, decode(c)) for n, c in iter_records(holes)] == [("x", "ACGT")]
    assert "2 FASTA records have no sequence; skipped: 'empty1', 'empty2'" in caplog.text
    notfasta = tmp_path / "x.txt"
    notfasta.write_text("hello\n>a\nACGT\n")
    with pytest.raises(FastaFormatError, match="before the first"):
        list(iter_chunks(notfasta))


def test_count_bases_is_strand_symmetric(tmp_path, write_fasta) -> None:
    path = write_fasta(tmp_path / "c.fa", {"a": "AACGTNNA"})
    mono, di, records = count_bases(path)
    assert mono.tolist() == [3 + 1, 1 + 1, 1 + 1, 1 + 3]  # A C G T plus reverse complement
    assert di.sum() == 2 * 4  # AA AC CG GT (pairs touching N are skipped), both strands
    assert records[0].length == 8


def test_one_hot_and_reverse_complement() -> None:
    c = encode("ACGTN")
    assert decode(reverse_complement(c)) == "NACGT"
    oh = one_hot(c)
    assert oh.shape == (4, 5) and oh[:, 4].sum() == 0 and oh.flags["C_CONTIGUOUS"]


def test_read_sequences_biopython(tmp_path, write_fasta) -> None:
    path = write_fasta(tmp_path / "s.fa", {"s1": "acgt", "s2": "GGCC"})
    names, seqs = read_sequences(path)
    assert names == ["s1", "s2"] and seqs == ["ACGT", "GGCC"]
