"""Gzip-compressed UCSC binary files (``hg38.2bit.gz``, ``peaks.bb.gz``: people gzip them to move them):
read as the files they hold, from one decompressed copy in the temp folder that is removed afterwards,
where they were opened as gzip text and refused as "NUL bytes: a binary file, not FASTA text". A damaged
or truncated gzip, or a ``.2bit.gz`` holding something else, is one error line naming the file.

The copy stayed in the temp folder until the process exited (a notebook that scanned hg38.2bit.gz kept
its gigabytes); now it goes once no reader holds it, and a pipeline (``kept_unpacked``) that reads the
file several times decompresses it once and removes it when it returns.
"""

from __future__ import annotations

import gzip
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio import magic
from carrousel.bio.bed import read_peaks
from carrousel.bio.cli import app
from carrousel.bio.config import BackgroundKind, ScanConfig
from carrousel.bio.errors import BedFormatError, FastaFormatError
from carrousel.bio.fasta import count_bases, iter_chunks, iter_records, read_sequences
from carrousel.bio.fasta_names import check_unique_names
from carrousel.bio.genome import Genome
from carrousel.bio.magic import kept_unpacked, remove_unpacked
from carrousel.bio.scan_run import scan
from carrousel.bio.twobit import TwoBit, is_twobit
from tests.bio.test_bio_bigbed import SIZES, _narrowpeaks, write_bigbed
from tests.bio.test_bio_twobit import _genome, write_2bit


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system temp folder, here a fresh one whose leftovers a test can list."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    remove_unpacked()
    yield folder
    remove_unpacked()


def _gz(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


def test_a_2bit_gz_reads_as_the_2bit_from_one_copy(tmp_path, temp, caplog) -> None:  # type: ignore[no-untyped-def]
    seqs = _genome()
    tb = write_2bit(tmp_path / "g.2bit", seqs)
    gz = _gz(tb)
    caplog.set_level(logging.INFO, logger="carrousel.bio.magic")
    assert is_twobit(gz)
    with kept_unpacked(), TwoBit.open(gz) as genome:
        assert (
            genome.path == gz
            and {k: genome.read(k, 0, n).decode() for k, n in genome.lengths.items()} == seqs
        )
        check_unique_names(gz)
        assert read_sequences(gz, True) == read_sequences(tb, True)
        for a, b in zip(iter_records(tb), iter_records(gz), strict=True):
            assert a[0] == b[0] and np.array_equal(a[1], b[1])
        chunks = [[(c.record, c.start, c.codes.tolist()) for c in iter_chunks(p, 333, 7)] for p in (tb, gz)]
        assert chunks[0] == chunks[1]
        (m1, d1, r1), (m2, d2, r2) = count_bases(tb), count_bases(gz)
        assert np.array_equal(m1, m2) and np.array_equal(d1, d2) and r1 == r2
        with Genome.open(tb) as want, Genome.open(gz) as got:
            assert got.path == gz and got.lengths == want.lengths
            assert np.array_equal(got.fetch("chr1", 650, 1_500), want.fetch("chr1", 650, 1_500))
        notes = [r.getMessage() for r in caplog.records if "gzip-compressed" in r.getMessage()]
        assert len(notes) == 1 and str(gz) in notes[0]  # decompressed once for all those opens
        copy = notes[0].split(" to ")[1].split()[0].rsplit("/", 1)[1]
        assert [p.name for p in temp.iterdir()] == [copy]
    assert list(temp.iterdir()) == []  # removed as the block ends (was: at exit)
    assert not (tmp_path / "g.2bit.gz.fai").exists()


def test_a_forked_child_removes_its_own_copies_and_leaves_its_parents(tmp_path, temp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a = _gz(write_2bit(tmp_path / "a.2bit", _genome()))
    parents = TwoBit.open(a)  # open in the parent when it forks
    [parents_copy] = list(temp.iterdir())
    monkeypatch.setattr(magic.os, "getpid", lambda: -1)  # now the child of a fork: another process id
    childs = TwoBit.open(_gz(write_2bit(tmp_path / "b.2bit", _genome(seed=1))))
    assert len(list(temp.iterdir())) == 2
    parents.close()  # the child closing its inherited reader leaves the parent's copy
    assert len(list(temp.iterdir())) == 2
    remove_unpacked()  # the child's exit: its own copy goes, its parent's (still in use there) stays
    assert list(temp.iterdir()) == [parents_copy]
    childs.close()
    parents_copy.unlink()  # the parent's own exit would


def test_a_multi_member_2bit_and_a_renamed_one_read_too(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    seqs = _genome(3)
    tb = write_2bit(tmp_path / "g.2bit", seqs, ">", 1)
    bgz = tmp_path / "genome.bin"  # many gzip members (as bgzip writes), recognised whatever the name
    raw = tb.read_bytes()
    bgz.write_bytes(b"".join(gzip.compress(raw[i : i + 500]) for i in range(0, len(raw), 500)))
    assert is_twobit(bgz)
    assert read_sequences(bgz) == read_sequences(tb)


def _truncated(path: Path) -> Path:
    raw = gzip.compress(path.read_bytes())
    out = path.with_name(path.name + ".gz")
    out.write_bytes(raw[: len(raw) * 2 // 3])
    return out


def test_a_truncated_2bit_gz_is_one_line_and_leaves_nothing(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    gz = _truncated(write_2bit(tmp_path / "g.2bit", _genome()))
    for read in (TwoBit.open, Genome.open, read_sequences, check_unique_names):
        with pytest.raises(FastaFormatError, match="is a damaged gzip file") as err:
            read(gz)
        assert str(gz) in str(err.value) and "\n" not in str(err.value) and "NUL" not in str(err.value)
    assert list(temp.iterdir()) == []  # the partial copy removed at once


def test_a_2bit_gz_holding_something_else_is_named(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    gz = tmp_path / "g.2bit.gz"
    gz.write_bytes(gzip.compress(b">chr1\nACGT\n"))
    with pytest.raises(
        FastaFormatError, match=r"not a gzip-compressed 2bit file: decompressed, it starts with 0x3E636872"
    ):
        read_sequences(gz)
    damaged = tmp_path / "h.2bit.gz"
    damaged.write_bytes(b"\x1f\x8b\x09" + gzip.compress(b"x" * 100)[3:])  # compression method 9: none
    with pytest.raises(FastaFormatError, match=r"h\.2bit\.gz is a damaged gzip file"):
        is_twobit(damaged)


def test_a_bb_gz_reads_as_the_bigbed(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    records = _narrowpeaks(9, SIZES)
    bb = write_bigbed(tmp_path / "peaks.bb", records, SIZES, ">")
    peaks = read_peaks(_gz(bb))
    assert len(peaks) == 27 and peaks == read_peaks(bb)
    cut = _truncated(write_bigbed(tmp_path / "cut.bb", records, SIZES))
    with pytest.raises(BedFormatError, match=r"cut\.bb\.gz is a damaged gzip file") as err:
        read_peaks(cut)
    assert "\n" not in str(err.value) and "NUL" not in str(err.value)
    remove_unpacked()
    assert list(temp.iterdir()) == []


def test_scan_of_a_2bit_gz_prints_the_2bit_scan_and_a_damaged_one_fails_in_one_line(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    tb = write_2bit(tmp_path / "g.2bit", _genome())
    runner = CliRunner()
    args = ["-m", "MA0139.2", "--background", "uniform", "--no-progress"]
    out = [runner.invoke(app, ["scan", str(p), *args]) for p in (tb, _gz(tb))]
    assert [r.exit_code for r in out] == [0, 0], [r.output for r in out]
    assert out[0].stdout == out[1].stdout and out[0].stdout.count("CTCF") >= 2
    bad = _truncated(tb)
    res = runner.invoke(app, ["scan", str(bad), *args])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert len(lines) == 1 and "damaged gzip file" in lines[0] and str(bad) in lines[0], res.output


def test_a_copy_goes_when_its_last_reader_closes(tmp_path, temp) -> None:  # type: ignore[no-untyped-def]
    seqs = _genome()
    gz = _gz(write_2bit(tmp_path / "g.2bit", seqs))
    first = TwoBit.open(gz)
    with Genome.open(gz) as genome:  # a second reader shares the copy
        assert len(list(temp.iterdir())) == 1
        first.close()
        assert len(list(temp.iterdir())) == 1  # still read by the genome
        assert genome.fetch("chr1", 0, 50).size == 50
    assert list(temp.iterdir()) == []  # was: left until the process exited
    assert read_sequences(gz)[0] == list(seqs) and list(temp.iterdir()) == []
    peaks = _gz(write_bigbed(tmp_path / "p.bb", _narrowpeaks(3, SIZES), SIZES))
    assert len(read_peaks(peaks)) == 9 and list(temp.iterdir()) == []


def test_no_copy_is_left_once_a_scan_returns(tmp_path, temp, caplog) -> None:  # type: ignore[no-untyped-def]
    gz = _gz(write_2bit(tmp_path / "g.2bit", _genome()))
    caplog.set_level(logging.INFO, logger="carrousel.bio.magic")
    result = scan(ScanConfig(motifs=("MA0139.2",), background=BackgroundKind.input), gz)
    assert len(result.records) == 6 and result.background_kind == "input"
    assert list(temp.iterdir()) == []  # was: one copy of the genome, until the process exited
    notes = [r.getMessage() for r in caplog.records if "gzip-compressed" in r.getMessage()]
    assert len(notes) == 1, notes  # names, base counts and the scan: one decompression
