"""UCSC ``.2bit`` genomes (``carrousel.bio.twobit``): every record and range reads as the FASTA of the
same genome (N runs, soft-masked runs, lengths not a multiple of four), in either byte order and either
version; the streaming readers, the genome reader and ``bio scan`` give the FASTA's results; damaged files
are one-line errors naming the file. The fixture is written here from the spec, and checked against an
independent reader (py2bit, lib2bit's binding) where one is installed (a test-only check: never a
dependency)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.errors import FastaFormatError
from carrousel.bio.fasta import count_bases, iter_chunks, iter_records, read_sequences
from carrousel.bio.genome import Genome
from carrousel.bio.motifs import resolve_motifs
from carrousel.bio.twobit import SIGNATURE, TwoBit, is_twobit

_CODE = np.full(256, 0, dtype=np.uint8)  # the 2bit codes of the upper-case letters (N stored as T)
for _i, _b in enumerate(b"TCAG"):
    _CODE[_b] = _i


def _runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of the runs of True in ``flags``."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def write_2bit(path: Path, records: dict[str, str], order: str = "<", version: int = 0) -> Path:
    """Writes ``records`` (A, C, G, T, N in either case) as a .2bit file, following the UCSC spec."""
    offset = f"{order}{'Q' if version else 'I'}"
    bodies = []
    for seq in records.values():
        letters = np.frombuffer(seq.encode(), dtype=np.uint8)
        n_starts, n_sizes = _runs((letters | 0x20) == ord("n"))
        m_starts, m_sizes = _runs(letters >= ord("a"))
        codes = _CODE[letters & ~np.uint8(0x20)]
        codes = np.concatenate([codes, np.zeros(-codes.size % 4, dtype=np.uint8)])
        packed = (codes[0::4] << 6) | (codes[1::4] << 4) | (codes[2::4] << 2) | codes[3::4]
        u32 = f"{order}u4"
        bodies.append(
            struct.pack(f"{order}2I", len(seq), n_starts.size)
            + n_starts.astype(u32).tobytes()
            + n_sizes.astype(u32).tobytes()
            + struct.pack(f"{order}I", m_starts.size)
            + m_starts.astype(u32).tobytes()
            + m_sizes.astype(u32).tobytes()
            + struct.pack(f"{order}I", 0)
            + packed.astype(np.uint8).tobytes()
        )
    at = 16 + sum(1 + len(name.encode()) + struct.calcsize(offset) for name in records)
    index = b""
    for name, body in zip(records, bodies, strict=True):
        index += bytes([len(name.encode())]) + name.encode() + struct.pack(offset, at)
        at += len(body)
    path.write_bytes(
        struct.pack(f"{order}4I", SIGNATURE, version, len(records), 0) + index + b"".join(bodies)
    )
    return path


def _genome(seed: int = 0) -> dict[str, str]:
    """Records with N runs (one lower case, inside a masked run), soft-masked runs, a CTCF site inside and
    one outside a masked run, and lengths of every remainder modulo four."""
    rng = np.random.default_rng(seed)

    def dna(n: int) -> str:
        return "".join(np.array(list("ACGT"))[rng.integers(0, 4, n)])

    site = resolve_motifs("MA0139.2")[0].consensus()
    chr1 = dna(700) + site + dna(300) + "N" * 57 + dna(400).lower() + site.lower() + dna(200)
    chr1 += dna(100).lower() + "nnnn" + dna(33).lower() + "NNN" + dna(3_001)
    return {
        "chr1": chr1,
        "chr2": "NN" + dna(1_234) + "acgtn" + dna(9) + "N" * 3,
        "chrM": dna(4).lower(),
        "chrUn_a": "G",
        "chrUn_b": "tc",
        "chrUn_c": "NaN",
    }


@pytest.fixture
def pair(tmp_path: Path, write_fasta) -> tuple[Path, Path, dict[str, str]]:  # type: ignore[no-untyped-def]
    seqs = _genome()
    return write_fasta(tmp_path / "g.fa", seqs, width=61), write_2bit(tmp_path / "g.2bit", seqs), seqs


def test_every_record_and_range_reads_as_the_fasta(pair) -> None:  # type: ignore[no-untyped-def]
    fa, tb, seqs = pair
    with TwoBit.open(tb) as genome:
        assert genome.lengths == {k: len(v) for k, v in seqs.items()}
        for name, seq in seqs.items():  # letters, case included: what twoBitToFa writes
            assert genome.read(name, 0, len(seq)).decode() == seq
        rng = np.random.default_rng(1)
        for _ in range(400):
            name = list(seqs)[int(rng.integers(len(seqs)))]
            a = int(rng.integers(0, len(seqs[name]) + 1))
            b = int(rng.integers(a, len(seqs[name]) + 1))
            assert genome.read(name, a, b).decode() == seqs[name][a:b], (name, a, b)
    with Genome.open(fa) as want, Genome.open(tb) as got:
        assert got.indexed and got.index is None and got.lengths == want.lengths
        for _ in range(400):
            name = list(seqs)[int(rng.integers(len(seqs)))]
            a = int(rng.integers(0, len(seqs[name]) + 1))
            b = int(rng.integers(a, len(seqs[name]) + 1))
            assert np.array_equal(got.fetch(name, a, b), want.fetch(name, a, b))
        draw = [g.random_windows(50, 40, np.random.default_rng(2)) for g in (want, got)]
        assert np.array_equal(*draw)
    assert not (tb.parent / "g.2bit.fai").exists()


def test_an_independent_reader_reads_the_fixture_alike(pair) -> None:  # type: ignore[no-untyped-def]
    py2bit = pytest.importorskip("py2bit")
    _, tb, seqs = pair
    other = py2bit.open(str(tb), True)  # True: keep the soft-masking (lower case)
    try:
        assert other.chroms() == {k: len(v) for k, v in seqs.items()}
        for name, seq in seqs.items():  # lib2bit writes an N inside a masked run as N, UCSC's twoBitToFa as n
            assert other.sequence(name) == seq.replace("n", "N")
        with TwoBit.open(tb) as genome:
            assert genome.read("chr1", 0, 50).decode() == other.sequence("chr1", 0, 50)
            assert genome.read("chr2", 1_230, 1_250).decode().replace("n", "N") == other.sequence(
                "chr2", 1_230, 1_250
            )
    finally:
        other.close()


@pytest.mark.parametrize(("order", "version"), [(">", 0), ("<", 1), (">", 1)])
def test_big_endian_and_version_1(tmp_path, order, version) -> None:  # type: ignore[no-untyped-def]
    seqs = _genome(3)
    path = write_2bit(tmp_path / "g.2bit", seqs, order, version)
    with TwoBit.open(path) as genome:
        assert {k: genome.read(k, 0, n).decode() for k, n in genome.lengths.items()} == seqs
        assert genome.read("chr1", 1_000, 1_700).decode() == seqs["chr1"][1_000:1_700]


def test_streaming_readers_and_mask_lower_read_as_the_fasta(pair) -> None:  # type: ignore[no-untyped-def]
    fa, tb, _ = pair
    for a, b in zip(iter_records(fa), iter_records(tb), strict=True):
        assert a[0] == b[0] and np.array_equal(a[1], b[1])
    for mask in (False, True):
        chunks = [list(iter_chunks(p, chunk_size=333, overlap=7, mask_lower=mask)) for p in (fa, tb)]
        assert [(c.record, c.start, c.last, c.codes.tolist()) for c in chunks[0]] == [
            (c.record, c.start, c.last, c.codes.tolist()) for c in chunks[1]
        ]
        (m1, d1, r1), (m2, d2, r2) = count_bases(fa, mask), count_bases(tb, mask)
        assert np.array_equal(m1, m2) and np.array_equal(d1, d2) and r1 == r2
        assert read_sequences(fa, mask) == read_sequences(tb, mask)


def test_recognised_by_content_whatever_the_name(pair, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fa, tb, _ = pair
    other = tmp_path / "genome.bin"
    other.write_bytes(tb.read_bytes())
    assert is_twobit(tb) and is_twobit(other) and not is_twobit(fa)
    with Genome.open(other) as g:
        assert g.lengths["chr2"] == 1_234 + 2 + 5 + 9 + 3


@pytest.mark.parametrize("args", [[], ["--mask-lower"]])
def test_scan_of_the_2bit_prints_the_fasta_scan(pair, args) -> None:  # type: ignore[no-untyped-def]
    fa, tb, _ = pair
    runner = CliRunner()
    out = [
        runner.invoke(
            app, ["scan", str(p), "-m", "MA0139.2", "--background", "uniform", "--no-progress", *args]
        )
        for p in (fa, tb)
    ]
    assert [r.exit_code for r in out] == [0, 0], [r.output for r in out]
    assert out[0].stdout == out[1].stdout
    hits = [tuple(line.split("\t")[:3]) for line in out[1].stdout.splitlines()]
    size = len(resolve_motifs("MA0139.2")[0].consensus())
    masked = 700 + size + 300 + 57 + 400
    assert ("chr1", "700", str(700 + size)) in hits  # the site in upper case
    assert (("chr1", str(masked), str(masked + size)) in hits) is not bool(args)  # gone with --mask-lower


def _damage(path: Path, how: str) -> None:
    raw = bytearray(path.read_bytes())
    if how == "signature":
        raw[:4] = b"ACGT"
    elif how == "version":
        raw[4:8] = struct.pack("<I", 2)
    elif how == "offset":
        raw[16 + 1 + 4 : 16 + 1 + 4 + 4] = struct.pack("<I", len(raw) + 10)  # chr1's offset
    elif how == "truncated":
        del raw[-1:]  # the last packed byte
    elif how == "index":
        del raw[20:]  # inside the first index entry
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("signature", r"is not a 2bit file: it starts with 0x41434754, not the 2bit signature"),
        ("version", r"2bit version 2, not 0 or 1"),
        ("offset", r"record 'chr1' starts at byte [\d,]+, past the end of the file .*truncated"),
        ("truncated", r"record 'chrUn_c' ends at byte [\d,]+, past the end of the file .*truncated"),
        ("index", r"the index runs past byte 20, past the end of the file"),
    ],
)
def test_a_damaged_file_is_one_line_naming_it(pair, how, message) -> None:  # type: ignore[no-untyped-def]
    _, tb, _ = pair
    _damage(tb, how)
    with pytest.raises(FastaFormatError, match=message) as err:
        Genome.open(tb)
    assert str(tb) in str(err.value)
    res = CliRunner().invoke(app, ["scan", str(tb), "-m", "CTCF", "--no-progress"])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and str(tb) in res.output


def test_duplicate_names_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_2bit(tmp_path / "d.2bit", {"a": "ACGT", "b": "GGCC"})
    path.write_bytes(path.read_bytes().replace(b"\x01b", b"\x01a", 1))
    with pytest.raises(FastaFormatError, match="duplicate record name 'a'"):
        TwoBit.open(path)
