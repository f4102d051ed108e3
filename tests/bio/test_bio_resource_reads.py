"""Too many open files (EMFILE) while bio reads a FASTA, a ``.2bit`` genome or a bigBed is not the file's
fault: on main each reader turned it into "<file>: cannot be read (Too many open files); check the file".
The OSError now goes on as it came, so the CLI's one line names the limit and ``ulimit -n``."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from carrousel.bio.errors import FastaFormatError
from carrousel.bio.genome import Genome
from carrousel.bio.twobit import TwoBit
from tests.bio.test_bio_bigbed import SIZES, _narrowpeaks, write_bigbed
from tests.bio.test_bio_twobit import _genome, write_2bit
from tests.cli_harness import Outcome
from tests.open_faults import fail_opens, names_the_limit


def test_a_fasta_read_out_of_descriptors(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    write_fasta: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fa = write_fasta(tmp_path / "g.fa", _genome())
    fail_opens(monkeypatch, fa, errno.EMFILE)
    names_the_limit(invoke("bio", "scan", fa, "-m", "CTCF", "--no-progress"), fa)


def test_a_2bit_read_out_of_descriptors(
    invoke: Callable[..., Outcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first open (the signature check) succeeds; the reader's own open meets the limit."""
    tb = write_2bit(tmp_path / "g.2bit", _genome())
    fail_opens(monkeypatch, tb, errno.EMFILE, skip=1)
    names_the_limit(invoke("bio", "scan", tb, "-m", "CTCF", "--no-progress"), tb)


def test_a_bigbed_read_out_of_descriptors(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    write_fasta: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first open (the magic check) succeeds; the bigBed reader's own open meets the limit."""
    bb = write_bigbed(tmp_path / "peaks.bb", _narrowpeaks(5, SIZES), SIZES)
    fa = write_fasta(tmp_path / "g.fa", {c: "ACGT" * (n // 4) for c, n in SIZES.items()})
    fail_opens(monkeypatch, bb, errno.EMFILE, skip=1)
    out = tmp_path / "m"
    names_the_limit(invoke("bio", "train", "--peaks", bb, "--genome", fa, "-o", out), bb)
    assert not out.exists()


class _FailingReads:
    """An open file whose reads fail with ``code`` (seeks go through)."""

    def __init__(self, fh: object, code: int) -> None:
        self._fh, self._code = fh, code

    def seek(self, *args: int) -> int:
        return self._fh.seek(*args)  # type: ignore[attr-defined, no-any-return]

    def read(self, *_: int) -> bytes:
        raise OSError(self._code, os.strerror(self._code))

    def close(self) -> None:
        self._fh.close()  # type: ignore[attr-defined]


def test_a_2bit_range_read_blames_the_file_only_for_its_own_errors(tmp_path: Path) -> None:
    """TwoBit.read: out of memory (ENOMEM) is handed on as it came (on main: FastaFormatError 'cannot be
    read (Cannot allocate memory); check the file'); an I/O error keeps its one line naming the file."""
    tb = write_2bit(tmp_path / "g.2bit", _genome())
    with TwoBit.open(tb) as genome:
        assert genome.read("chr1", 0, 8)  # the record's runs, read once and kept
        fh = genome._fh
        genome._fh = _FailingReads(fh, errno.ENOMEM)  # type: ignore[assignment]
        with pytest.raises(OSError) as info:
            genome.read("chr1", 0, 8)
        assert not isinstance(info.value, FastaFormatError) and info.value.errno == errno.ENOMEM
        genome._fh = _FailingReads(fh, errno.EIO)  # type: ignore[assignment]
        with pytest.raises(FastaFormatError) as refused:
            genome.read("chr1", 0, 8)
        assert str(refused.value) == f"{tb}: cannot be read ({os.strerror(errno.EIO)}); check the file"
        genome._fh = fh  # type: ignore[assignment]


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENOMEM])
def test_a_genome_index_build_out_of_a_resource_is_not_blamed_on_the_fasta(
    invoke: Callable[..., Outcome],
    tmp_path: Path,
    write_fasta: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
) -> None:
    """pyfaidx's open of the FASTA (the third: the format checks open it twice first) meets the limit
    while the ``.fai`` index is built. On main: "<fa>: cannot be indexed (Cannot read FASTA from file ...);
    check the file" (pyfaidx re-raises it as an IOError without errno). Now the OSError goes on as it came
    (the CLI's line names the limit); any other error of the build keeps its line naming the file."""
    fa = write_fasta(tmp_path / "g.fa", {c: "ACGT" * (n // 4) for c, n in SIZES.items()})
    fail_opens(monkeypatch, fa, code, skip=2)
    with pytest.raises(OSError) as info:
        Genome.open(fa)
    assert not isinstance(info.value, FastaFormatError) and info.value.errno == code
    assert any(entry.name == "open_faidx" for entry in info.traceback)  # met by the index build
    if code == errno.EMFILE:
        bb = write_bigbed(tmp_path / "peaks.bb", _narrowpeaks(5, SIZES), SIZES)
        out = tmp_path / "m"
        names_the_limit(invoke("bio", "train", "--peaks", bb, "--genome", fa, "-o", out), fa)
        assert not out.exists()
    monkeypatch.undo()
    fail_opens(monkeypatch, fa, errno.EIO, skip=2)
    with pytest.raises(FastaFormatError, match=rf"^{fa}: cannot be indexed \(Cannot read FASTA from file "):
        Genome.open(fa)
