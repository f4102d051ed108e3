"""Peaks as ENCODE publishes them: ``bigBed narrowPeak`` (read by content, whatever the name) and
``bed narrowPeak`` ``.bed.gz`` (plain gzip or BGZF, as ENCODE's are bgzipped) read to the same peaks as
the text file; ``bio train --peaks`` gives the same model from each; a damaged bigBed is one line, exit 1.

The bigBed fixtures come from the small writer below (UCSC "bigBed format": 64-byte BBI header, no zoom
levels, chromosome B+ tree as one leaf, zlib blocks of at most ``per_block`` records on one chromosome, an
R-tree index as one leaf); where pyBigWig (libBigWig) is installed, it reads the same records from them.
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.bed import read_peaks
from carrousel.bio.cli import app
from carrousel.bio.errors import BedFormatError
from carrousel.bio.fasta import iter_records

runner = CliRunner()
ALPHABET = np.array(list("ACGTN"))
Record = tuple[str, int, int, str]  # chrom, start, end, the other fields tab-separated ("" for BED3)


def write_bigbed(
    path: Path,
    records: list[Record],
    sizes: dict[str, int],
    order: str = "<",
    compress: bool = True,
    per_block: int = 4,
) -> Path:
    """Writes ``records`` (sorted by chromosome name, then start) as a bigBed (version 4)."""
    names = sorted(sizes)
    ids = {c: i for i, c in enumerate(names)}
    fields = 3 + (len(records[0][3].split("\t")) if records[0][3] else 0)
    key = max(len(c) for c in names)
    tree = struct.pack(f"{order}IIIIQQ", 0x78CA8C91, len(names), key, 8, len(names), 0)
    tree += struct.pack(f"{order}BBH", 1, 0, len(names))
    tree += b"".join(
        c.encode().ljust(key, b"\0") + struct.pack(f"{order}II", ids[c], sizes[c]) for c in names
    )
    data_at = 64 + len(tree)
    blocks: list[list[Record]] = []
    for rec in records:  # a block holds records of one chromosome only
        if not blocks or len(blocks[-1]) == per_block or blocks[-1][-1][0] != rec[0]:
            blocks.append([])
        blocks[-1].append(rec)
    body, leaves, buffer = b"", [], 0
    at = data_at + 8
    for block in blocks:
        raw = b"".join(
            struct.pack(f"{order}III", ids[c], a, b) + rest.encode() + b"\0" for c, a, b, rest in block
        )
        buffer = max(buffer, len(raw))
        packed = zlib.compress(raw) if compress else raw
        c = ids[block[0][0]]
        leaves.append(
            struct.pack(f"{order}IIIIQQ", c, block[0][1], c, max(r[2] for r in block), at, len(packed))
        )
        body += packed
        at += len(packed)
    index_at = at
    first, last = records[0], records[-1]
    index = struct.pack(
        f"{order}IIQIIIIQII", 0x2468ACE0, 256, len(blocks), ids[first[0]], first[1], ids[last[0]], last[2],
        index_at, per_block, 0,
    )  # fmt: skip
    index += struct.pack(f"{order}BBH", 1, 0, len(leaves)) + b"".join(leaves)
    header = struct.pack(
        f"{order}IHHQQQHHQQIQ", 0x8789F2EB, 4, 0, 64, data_at, index_at, fields, min(fields, 6), 0, 0,
        buffer if compress else 0, 0,
    )  # fmt: skip
    path.write_bytes(header + tree + struct.pack(f"{order}Q", len(records)) + body + index)
    return path


def _bgzf(path: Path, text: str, chunk: int = 300) -> Path:
    """``text`` as BGZF (``bgzip``'s format): gzip members with a ``BC`` extra field, then the EOF block."""
    out = b""
    raw = text.encode()
    for i in range(0, len(raw), chunk):
        part = raw[i : i + chunk]
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = z.compress(part) + z.flush()
        head = b"\x1f\x8b\x08\x04\0\0\0\0\0\xff\x06\0BC\x02\0"
        out += head + struct.pack("<H", len(head) + 2 + len(deflated) + 8 - 1) + deflated
        out += struct.pack("<II", zlib.crc32(part), len(part))
    eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
    path.write_bytes(out + eof)
    return path


def _narrowpeaks(n: int, sizes: dict[str, int], seed: int = 0) -> list[Record]:
    """ENCODE-style narrowPeak records: name ``.``, score, strand ``.``, signal, p, q, summit offset."""
    rng = np.random.default_rng(seed)
    out: list[Record] = []
    for chrom in sorted(sizes):
        starts = np.sort(rng.choice(np.arange(500, sizes[chrom] - 1500, 10), size=n, replace=False))
        for a in starts:
            width = int(rng.integers(150, 900))
            signal = rng.uniform(2, 40)
            rest = f".\t{int(rng.integers(0, 1000))}\t.\t{signal:.5f}\t{signal / 2:.5f}\t-1\t{width // 2}"
            out.append((chrom, int(a), int(a) + width, rest))
    return out


def _text(records: list[Record]) -> str:
    return "".join(f"{c}\t{a}\t{b}\t{r}\n" if r else f"{c}\t{a}\t{b}\n" for c, a, b, r in records)


SIZES = {"chr1": 200_000, "chr2": 120_000, "chrX": 80_000}


@pytest.mark.parametrize(("order", "compress"), [("<", True), (">", True), ("<", False)])
def test_bigbed_reads_as_the_same_narrowpeak_text(tmp_path: Path, order: str, compress: bool) -> None:
    records = _narrowpeaks(9, SIZES)
    text = tmp_path / "peaks.narrowPeak"
    text.write_text(_text(records))
    bb = write_bigbed(tmp_path / "peaks.bb", records, SIZES, order, compress)
    peaks = read_peaks(bb)
    assert len(peaks) == 27 and peaks == read_peaks(text)
    assert peaks[0].summit == (records[0][2] - records[0][1]) // 2  # column 10, as in text
    other = tmp_path / "peaks.txt"  # recognised by its magic, whatever its name
    other.write_bytes(bb.read_bytes())
    assert read_peaks(other) == peaks


def test_bed3_bigbed_has_no_summits(tmp_path: Path) -> None:
    records = [(c, a, b, "") for c, a, b, _ in _narrowpeaks(5, SIZES, seed=1)]
    bb = write_bigbed(tmp_path / "peaks.bigBed", records, SIZES)
    text = tmp_path / "peaks.bed"
    text.write_text(_text(records))
    assert read_peaks(bb) == read_peaks(text) and all(p.summit is None for p in read_peaks(bb))


def test_pybigwig_reads_the_fixture(tmp_path: Path) -> None:
    """An independent reader (libBigWig) opens the writer's files: the fixture is a real bigBed."""
    pybigwig = pytest.importorskip("pyBigWig")
    records = _narrowpeaks(6, SIZES, seed=2)
    bb = write_bigbed(tmp_path / "peaks.bb", records, SIZES)  # libBigWig reads little-endian files only
    f = pybigwig.open(str(bb))
    assert f.isBigBed() and f.chroms() == SIZES
    got = [(c, a, b, r) for c in sorted(SIZES) for a, b, r in f.entries(c, 0, SIZES[c])]
    f.close()
    assert got == records and read_peaks(bb)[-1][:3] == records[-1][:3]


@pytest.mark.parametrize("kind", ["gzip", "bgzf"])
def test_encode_bed_gz_reads_as_the_text(tmp_path: Path, kind: str) -> None:
    """ENCODE's ``.bed.gz`` narrowPeak (10 columns, ``.`` names, summit in column 10), gzip or BGZF."""
    records = _narrowpeaks(40, SIZES, seed=3)
    text = tmp_path / "peaks.bed"
    text.write_text(_text(records))
    gz = tmp_path / "ENCFF000AAA.bed.gz"
    if kind == "gzip":
        gz.write_bytes(gzip.compress(text.read_bytes()))
    else:
        _bgzf(gz, text.read_text())
        assert gz.read_bytes().count(b"BC\x02\x00") > 10  # many members, as bgzip writes
    peaks = read_peaks(gz)
    assert peaks == read_peaks(text) and len(peaks) == 120
    assert [p.summit for p in peaks] == [(b - a) // 2 for _, a, b, _ in records]


def _damaged(tmp_path: Path, how: str) -> Path:
    records = _narrowpeaks(9, SIZES, seed=4)
    bb = write_bigbed(tmp_path / "peaks.bb", records, SIZES)
    raw = bytearray(bb.read_bytes())
    data_at = struct.unpack("<Q", raw[16:24])[0]
    if how == "magic":
        raw[:4] = b"chr1"
    elif how == "truncated":
        del raw[len(raw) // 2 :]
    elif how == "zlib":
        raw[data_at + 8 : data_at + 12] = b"\xff\xff\xff\xff"
    elif how == "block":  # the first block's size in the R-tree leaf halved: its zlib stream cut short
        leaf = struct.unpack("<Q", raw[24:32])[0] + 48 + 4 + 24
        raw[leaf : leaf + 8] = struct.pack("<Q", struct.unpack("<Q", raw[leaf : leaf + 8])[0] // 2)
    elif how == "version":
        raw[4:6] = b"\0\0"
    elif how == "summit":
        records[0] = (*records[0][:3], ".\t0\t.\t1\t1\t-1\t99999")
        raw = bytearray(write_bigbed(bb, records, SIZES).read_bytes())
    bb.write_bytes(bytes(raw))
    return bb


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("magic", "not a bigBed file"),
        ("truncated", "truncated"),
        ("zlib", "not zlib data"),
        ("block", "ends inside its zlib stream"),
        ("version", "version 0"),
        ("summit", "record 1: summit offset 99999"),
    ],
)
def test_damaged_bigbed_is_one_line(tmp_path: Path, how: str, says: str) -> None:
    bb = _damaged(tmp_path, how)
    with pytest.raises(BedFormatError, match=says) as err:
        read_peaks(bb)
    assert str(bb) in str(err.value) and "\n" not in str(err.value)
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">{c}\n{'ACGT' * (n // 4)}\n" for c, n in SIZES.items()))
    res = runner.invoke(app, ["train", "--peaks", str(bb), "--genome", str(fa), "-o", str(tmp_path / "m")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and says in lines[0], res.output
    assert not (tmp_path / "m").exists()


def test_train_from_bigbed_equals_train_from_text(tmp_path: Path, ecoli_fa: Path) -> None:
    """``bio train --peaks`` on the bigBed, the text and the BGZF ``.bed.gz`` of one peak set: one model."""
    ecoli = next(iter(iter_records(ecoli_fa)))[1]
    genome = {"chr1": ecoli[:200_000], "chr2": ecoli[200_000:320_000], "chrX": ecoli[320_000:400_000]}
    fa = tmp_path / "genome.fa"
    fa.write_text("".join(f">{c}\n{''.join(ALPHABET[s])}\n" for c, s in genome.items()))
    records = _narrowpeaks(25, SIZES, seed=5)
    text = tmp_path / "peaks.bed"
    text.write_text(_text(records))
    inputs = [
        text,
        write_bigbed(tmp_path / "peaks.bb", records, SIZES),
        _bgzf(tmp_path / "p.bed.gz", _text(records)),
    ]
    results = []
    for i, peaks in enumerate(inputs):
        out = tmp_path / f"m{i}"
        args = ["train", "--peaks", str(peaks), "--genome", str(fa), "-o", str(out), "--seed", "0", "--json"]
        args += ["--epochs", "2", "--filters", "4", "--kernel", "9", "--hidden", "4", "--batch-size", "32"]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        summary = json.loads(res.stdout)
        results.append((summary["windows"], summary["val"], (out / "model.safetensors").read_bytes()))
    assert results[0][0] == 2 * len(records)
    assert results[1] == results[0] and results[2] == results[0]


def test_a_bigbed_peak_past_its_chromosome_is_named_by_record(tmp_path: Path) -> None:
    """Validation named a bigBed's peaks by "line", which a binary file has none of."""
    from carrousel.bio.bed import read_peaks
    from carrousel.bio.errors import TrainingDataError
    from carrousel.bio.validation import usable_peaks

    records: list[Record] = [("chrA", 10, 50, ""), ("chrA", 900, 950, ""), ("chrA", 960, 990, "")]
    bb = write_bigbed(tmp_path / "p.bb", records, {"chrA": 1000})
    kept, notes = usable_peaks(read_peaks(bb), {"chrA": 500}, bb, "g.fa")
    assert len(kept) == 1 and notes == [
        f"2 of 3 peaks are centred (summit, else midpoint) past their chromosome's end, where no window can "
        f"be centred (first: {bb}, record 2, chrA:900-950 centred at 925, chrA is 500 bases); skipped: use the "
        "genome the peaks were called on (a peak centred inside is kept, clipped at the end)"
    ]
    with pytest.raises(
        TrainingDataError, match=r"p\.bb, record 1: peak chrA:10-50 is centred at 30 .*, past the end"
    ):
        usable_peaks(read_peaks(bb), {"chrA": 5}, bb, "g.fa")
