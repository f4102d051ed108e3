"""Hostile inputs to ``bio``: every case is one clear line with the right exit code and nothing written,
or a correct result where the input, odd as it looks, is valid.

Cases are generated from a small random genome with a planted site and a one-motif JASPAR file: FASTA,
motif and BED files mutated one way per case, the generic hostile files of the harness given to every
input option, bad option values of every command, output paths that cannot or must not be replaced,
tampered copies of the packaged panel model, and property tests feeding random bytes and random
mutations of a valid FASTA to the FASTA readers.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.cli_harness import nan_weights, save_manifest
from tests.hardening.conftest import (
    HostileFiles,
    Outcome,
    assert_clean_failure,
    assert_no_nonfinite,
    listing,
)

SITE = "TGACGTCA"
MOTIF = (
    ">MA9001.1\tTESTF\n"
    "A  [ 1 1 20 1 1 1 1 20 ]\n"
    "C  [ 1 1 1 20 1 1 20 1 ]\n"
    "G  [ 1 20 1 1 20 1 1 1 ]\n"
    "T  [ 20 1 1 1 1 20 1 1 ]\n"
)
FAST = ["--window", "60", "--epochs", "1", "--filters", "4", "--kernel", "9", "--hidden", "4"]
PANEL = Path(__file__).parents[2] / "packages" / "bio" / "src" / "carrousel" / "bio" / "panel"


def _random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(np.array(list("ACGT"))[rng.integers(0, 4, n)])


def _planted(rng: np.random.Generator, n: int, every: int = 500) -> str:
    seq = list(_random_dna(rng, n))
    for a in range(100, n - 100, every):
        seq[a : a + len(SITE)] = SITE
    return "".join(seq)


def _fasta(records: dict[str, str], width: int = 60, eol: str = "\n") -> bytes:
    out = []
    for name, seq in records.items():
        out.append(f">{name}{eol}")
        out += [seq[i : i + width] + eol for i in range(0, len(seq), width)]
    return "".join(out).encode()


class Data:
    """The valid inputs every case starts from (written once per module)."""

    def __init__(self, root: Path) -> None:
        rng = np.random.default_rng(7)
        self.root = root
        self.records = {"chr1": _planted(rng, 20_000), "chr2": _planted(rng, 3_000)}
        self.genome = root / "genome.fa"
        self.genome.write_bytes(_fasta(self.records))
        self.motif = root / "good.jaspar"
        self.motif.write_text(MOTIF)
        pos, neg = {}, {}
        for i in range(30):
            w = _random_dna(rng, 60)
            p = 5 + i % 40
            pos[f"p{i}"] = w[:p] + SITE + w[p + len(SITE) :]
            neg[f"n{i}"] = _random_dna(rng, 60)
        self.pos_seqs, self.neg_seqs = pos, neg
        self.pos = root / "pos.fa"
        self.pos.write_bytes(_fasta(pos))
        self.neg = root / "neg.fa"
        self.neg.write_bytes(_fasta(neg))
        self.pos_long = root / "pos200.fa"  # bio discover trains on 200-base windows
        self.pos_long.write_bytes(
            _fasta({k: _random_dna(rng, 96) + v + _random_dna(rng, 44) for k, v in pos.items()})
        )
        self.peak_lines = [f"chr1\t{s}\t{s + 100}" for s in range(100, 18_000, 600)]
        self.peaks = root / "peaks.bed"
        self.peaks.write_text("\n".join(self.peak_lines) + "\n")
        self.small_null = root / "small_null.toml"  # the runs that do train: a small calibration null
        self.small_null.write_text("[fit]\nn_null = 200\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    return Data(tmp_path_factory.mktemp("biodata"))


def _hits_are_bed(text: str) -> None:
    for line in text.splitlines():
        cols = line.split("\t")
        assert len(cols) == 6 and int(cols[1]) < int(cols[2]) and cols[5] in "+-", line
    assert_no_nonfinite(text)


def _check(outcome: Outcome, code: int, needle: str | None) -> None:
    """Success (code 0) with strict output, or a clean failure whose line holds one of ``needle``'s
    ``|``-separated alternatives."""
    if code == 0:
        assert outcome.code == 0, outcome.stderr
        assert "Traceback" not in outcome.stderr and "error:" not in outcome.stderr
        assert_no_nonfinite(outcome.stdout)
        if needle is not None:
            assert needle.lower() in (outcome.stdout + outcome.stderr).lower(), outcome
        return
    assert_clean_failure(outcome, code)
    if needle is not None:
        line = outcome.error_lines()[0].lower()
        assert any(n.lower() in line for n in needle.split("|")), f"{needle!r} not in {line!r}"


# ---------------------------------------------------------------------------------------------- FASTA
def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


# name -> (builder of the file's bytes from the valid genome's records, exit code, needle)
FastaCase = tuple[Callable[[dict[str, str]], bytes], int, str | None]
FASTA_CASES: dict[str, FastaCase] = {
    "valid": (lambda r: _fasta(r), 0, None),
    "star in sequence": (lambda r: _fasta({**r, "chr2": r["chr2"][:50] + "*" + r["chr2"][51:]}), 1, "'*'"),
    "digit in sequence": (lambda r: _fasta({**r, "chr1": "ACGT1" + r["chr1"]}), 1, "invalid character '1'"),
    "greater-than mid-line": (lambda r: _fasta({"a": "ACGT>ACGT" + r["chr2"]}), 1, "invalid character '>'"),
    "NUL in sequence": (lambda r: _fasta({"a": "ACGT\x00" + r["chr2"]}), 1, "invalid character|binary"),
    "only '>'": (lambda r: b">\n", 1, "empty header"),
    "only '>' lines": (lambda r: b">\n>\n>\n", 1, "empty header"),
    "header only": (lambda r: b">chr1\n", 1, "no sequence"),
    "headers only": (lambda r: b">chr1\n>chr2\n>chr3\n", 1, "no sequence"),
    "blank header": (lambda r: b">   \nACGT\n", 1, "empty header"),
    "empty records among valid ones": (lambda r: b">e1\n" + _fasta(r) + b">e2\n", 0, "no sequence"),
    "CRLF": (lambda r: _fasta(r, eol="\r\n"), 0, None),
    "CR only (old Mac)": (lambda r: _fasta(r, eol="\r"), 0, None),  # read as its LF twin (was refused)
    "lowercase (soft-masked)": (lambda r: _fasta({k: v.lower() for k, v in r.items()}), 0, None),
    "N runs": (lambda r: _fasta({k: "N" * 500 + v + "N" * 500 for k, v in r.items()}), 0, None),
    "only N": (lambda r: _fasta({"a": "N" * 5000}), 0, None),
    "IUPAC codes": (lambda r: _fasta({"a": "RYKMSWBDHV" * 30 + r["chr2"]}), 0, None),
    "RNA (U)": (lambda r: _fasta({"a": r["chr2"].replace("T", "U")}), 0, None),
    "spaces and tabs in lines": (
        lambda r: _fasta({"a": " ".join([r["chr2"][:100], r["chr2"][100:]])}),
        0,
        None,
    ),
    "duplicate names": (lambda r: _fasta(r) + b">chr1\nACGT\n", 1, "duplicate record name 'chr1'"),
    "one huge line": (lambda r: _fasta({"big": r["chr1"] * 60}, width=10**7), 0, None),
    "text before the first header": (lambda r: b"hello\n" + _fasta(r), 1, "before the first"),
    "no header at all": (lambda r: r["chr2"].encode() + b"\n", 1, "before the first"),
    "UTF-8 BOM": (lambda r: b"\xef\xbb\xbf" + _fasta(r), 0, None),
    "latin-1 header": (lambda r: b">caf\xe9 record\n" + r["chr2"].encode() + b"\n", 0, None),
    "control characters in names": (lambda r: b">a\x01;b=c\n" + r["chr2"].encode() + b"\n", 0, None),
    "binary junk after records": (lambda r: _fasta(r) + bytes(range(1, 256)), 1, "invalid character|binary"),
    "gzip": (lambda r: _gz(_fasta(r)), 0, None),
    "gzip truncated": (lambda r: _gz(_fasta(r))[:-40], 1, "damaged gzip"),
    "gzip cut in half": (lambda r: _gz(_fasta(r))[: len(_gz(_fasta(r))) // 2], 1, "damaged gzip"),
    "gzip with a flipped byte": (
        lambda r: (lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:])(_gz(_fasta(r))),
        1,
        "damaged gzip|invalid character",
    ),
    "gzip of nothing": (lambda r: _gz(b""), 1, "no FASTA records|empty"),
    "gzip twice": (lambda r: _gz(_gz(_fasta(r))), 1, "before the first|binary"),
    "gzip of binary": (lambda r: _gz(bytes(range(256)) * 20), 1, "before the first|binary"),
}


def _fasta_name(case: str) -> str:
    return "genome.fa.gz" if case.startswith("gzip") else "genome.fa"


@pytest.mark.parametrize("case", list(FASTA_CASES))
def test_fasta_mutations(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    build, code, needle = FASTA_CASES[case]
    path = tmp_path / _fasta_name(case)
    path.write_bytes(build(data.records))
    outcome = invoke("bio", "scan", path, "-m", data.motif)
    _check(outcome, code, needle)
    if code == 0:
        _hits_are_bed(outcome.stdout)
    assert listing(tmp_path) == [path.name]


def test_valid_fasta_finds_the_planted_sites(invoke: Callable[..., Outcome], data: Data) -> None:
    outcome = invoke("bio", "scan", data.genome, "-m", data.motif)
    assert outcome.code == 0, outcome.stderr
    starts = {int(line.split("\t")[1]) for line in outcome.stdout.splitlines()}
    assert {100, 600, 1100} <= starts  # every 500 bases from 100


# the same FASTA reader for training sequences (bio evaluate reads --positives/--negatives with it)
SEQ_CASES: dict[str, FastaCase] = {
    "bad character": (lambda s: _fasta({**s, "p3": "ACGT!" + s["p3"]}), 1, "invalid character '!'"),
    "only '>'": (lambda s: b">\n", 1, "no FASTA records"),
    "text before the first header": (lambda s: b"some notes\n" + _fasta(s), 1, "before the first"),
    "no header at all": (lambda s: "\n".join(s.values()).encode(), 1, "before the first"),
    "binary": (lambda s: bytes(range(256)) * 8, 1, "binary|before the first"),
    "latin-1 sequence": (lambda s: _fasta(s) + b">x\nACGT\xe9ACGT\n", 1, "invalid character"),
    "gzip truncated": (lambda s: _gz(_fasta(s))[:-30], 1, "damaged gzip"),
    "CRLF and lowercase": (lambda s: _fasta({k: v.lower() for k, v in s.items()}, eol="\r\n"), 0, None),
    "UTF-8 BOM": (lambda s: b"\xef\xbb\xbf" + _fasta(s), 0, None),
    "duplicate names": (lambda s: _fasta(s) + _fasta({"p1": s["p2"][::-1]}), 0, None),
}


@pytest.mark.parametrize("case", list(SEQ_CASES))
def test_training_fasta_mutations(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str
) -> None:
    build, code, needle = SEQ_CASES[case]
    path = tmp_path / ("pos.fa.gz" if case.startswith("gzip") else "pos.fa")
    path.write_bytes(build(data.pos_seqs))
    args = ["--pwm-only", "-m", data.motif, "--negatives", data.neg, "--json"]
    outcome = invoke("bio", "evaluate", "--positives", path, *args)
    _check(outcome, code, needle)
    if code == 0:
        assert json.loads(outcome.stdout)["positives"] >= 30


# ------------------------------------------------------------------------------------- hostile files
GENERIC = {
    "empty.txt": "is empty",
    "blank.txt": "only whitespace",
    "binary.bin": "binary file",
    "nul.txt": "binary file",
    "latin1.txt": "not utf-8 text",
    "one_line.txt": "over 100,000 characters",
    "truncated.gz": "damaged gzip",
    "fake.gz": "damaged gzip",
    "folder": "is a folder",
    "fifo": "is a FIFO",
    "missing.fa": "not found",
}
# what differs by the kind of file an option reads (FASTA is parsed as it streams; TOML by tomllib)
BY_KIND = {
    "fasta": {
        "blank.txt": "no FASTA records",
        "latin1.txt": "before the first",
        "one_line.txt": "before the first",
    },
    "config": {
        "binary.bin": "not UTF-8",
        "nul.txt": "not valid TOML",
        "latin1.txt": "not UTF-8",
        "one_line.txt": "not valid TOML",
        "truncated.gz": "not UTF-8",
        "fake.gz": "not valid TOML",
    },
}
KIND = {"scan --motif": "motif", "scan --config": "config", "train --peaks": "bed"}


def _option_args(option: str, path: Path, data: Data, out: Path) -> list[str | Path]:
    train = ["train", "-o", out, *FAST]
    return {
        "scan GENOME": ["scan", path, "-m", data.motif],
        "scan --motif": ["scan", data.genome, "-m", path],
        "scan --config": ["scan", data.genome, "-m", data.motif, "--config", path],
        "train --positives": [*train, "--positives", path, "--negatives", data.neg],
        "train --negatives": [*train, "--positives", data.pos, "--negatives", path],
        "train --peaks": [*train, "--peaks", path, "--genome", data.genome],
        "train --genome": [*train, "--peaks", data.peaks, "--genome", path],
        "evaluate --positives": ["evaluate", "--positives", path, "--negatives", data.neg],
        "evaluate --negatives": ["evaluate", "--positives", data.pos, "--negatives", path],
        "discover SEQUENCES": ["discover", path, "-o", out, "--jaspar", data.motif],
        "discover --control": [
            "discover",
            data.pos_long,
            "--control",
            path,
            "-o",
            out,
            "--jaspar",
            data.motif,
        ],
    }[option]


OPTIONS_READING_FILES = [
    "scan GENOME",
    "scan --motif",
    "scan --config",
    "train --positives",
    "train --negatives",
    "train --peaks",
    "train --genome",
    "evaluate --positives",
    "evaluate --negatives",
    "discover SEQUENCES",
    "discover --control",
]


@pytest.mark.parametrize("name", list(GENERIC))
@pytest.mark.parametrize("option", OPTIONS_READING_FILES)
def test_hostile_files_for_every_input(
    invoke: Callable[..., Outcome], hostile: HostileFiles, data: Data, tmp_path: Path, option: str, name: str
) -> None:
    out = tmp_path / "out"
    outcome = invoke("bio", *_option_args(option, hostile.path(name), data, out))
    if option == "scan --config" and name == "blank.txt":  # whitespace is a valid, empty TOML file
        _check(outcome, 0, None)
        return
    _check(outcome, 1, BY_KIND.get(KIND.get(option, "fasta"), {}).get(name, GENERIC[name]))
    if not name.startswith("missing"):
        assert str(hostile.path(name)) in outcome.stderr or hostile.path(name).name in outcome.stderr
    assert listing(tmp_path) == []


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero", "/dev/full"])
@pytest.mark.parametrize("option", ["scan GENOME", "scan --motif", "scan --config", "train --peaks"])
def test_devices_as_input(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, option: str, device: str
) -> None:
    outcome = invoke("bio", *_option_args(option, Path(device), data, tmp_path / "out"))
    _check(outcome, 1, "special file")
    assert listing(tmp_path) == []


# ---------------------------------------------------------------------------------------------- motifs
def _jaspar(rows: list[str], header: str = ">MA9002.1\tBAD") -> str:
    return header + "\n" + "\n".join(f"{b}  [ {r} ]" for b, r in zip("ACGT", rows, strict=False)) + "\n"


MOTIF_CASES: dict[str, tuple[str | bytes, int, str | None]] = {
    "all zero": (_jaspar(["0 0 0", "0 0 0", "0 0 0", "0 0 0"]), 1, "no counts"),
    "an all-zero column": (_jaspar(["5 0 0", "0 0 5", "0 0 0", "0 0 0"]), 1, "position 2"),
    "negative count": (_jaspar(["5 -3 0", "0 5 5", "0 0 0", "1 1 1"]), 1, "negative"),
    "NaN count": (_jaspar(["5 nan 0", "0 5 5", "1 1 1", "1 1 1"]), 1, "not finite|NaN"),
    "infinite count": (_jaspar(["5 inf 0", "0 5 5", "1 1 1", "1 1 1"]), 1, "not finite|inf"),
    "overflowing counts": (_jaspar(["1 1e308 3", "1 1e308 3", "1 2 3", "1 2 3"]), 1, "not finite|too large"),
    "no columns": (_jaspar(["", "", "", ""]), 1, "no positions|no columns"),
    "ragged rows": (
        _jaspar(["1 2 3", "1 2", "1 2 3", "1 2 3"]),
        1,
        "no motif found (line 3: row c has 2 counts, row a (line 2) has 3",
    ),
    "three rows": (
        _jaspar(["1 2 3", "1 2 3", "1 2 3"]),
        1,
        "no motif found (lines 2-4: rows a, c, g; a motif needs one row for each of a, c, g and t)",
    ),
    "text in counts": (
        _jaspar(["1 x 3", "1 2 3", "1 2 3", "1 2 3"]),
        1,
        "no motif found (line 2: 'x' in row a is not a number)",
    ),
    "not a motif file": ("hello world\nthis is a note\n", 1, "no motif found"),
    "binary": (bytes(range(256)) * 4, 1, "binary"),
    "a good motif then a bad one": (
        MOTIF + _jaspar(["1 0", "1 0", "1 0", "1 0"], ">MA9003.1\tWORSE"),
        1,
        "MA9003.1",
    ),
    "MEME with a negative probability": (
        "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF M1 x\nletter-probability matrix: alength= 4 w= 2\n"
        "0.5 0.5 0 0\n0.1 0.6 -0.3 0.6\n",
        1,
        "negative|no motif found",
    ),
    "base absent from every position": (_jaspar(["9 0 0 1", "0 9 0 1", "0 0 9 7", "0 0 0 0"]), 0, None),
    "one column": (_jaspar(["9", "1", "1", "1"]), 0, None),
    "motif longer than every record": (_jaspar([" ".join(["5"] * 40)] * 4), 0, None),
    "frequencies instead of counts": (_jaspar(["0.7 0.1", "0.1 0.7", "0.1 0.1", "0.1 0.1"]), 0, None),
}


@pytest.mark.parametrize("case", list(MOTIF_CASES))
def test_motif_file_mutations(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    content, code, needle = MOTIF_CASES[case]
    path = tmp_path / ("m.meme" if case.startswith("MEME") else "m.jaspar")
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    genome = data.genome
    if case == "motif longer than every record":
        genome = tmp_path / "short.fa"
        genome.write_text(">s\nACGTACGTAC\n")
    outcome = invoke("bio", "scan", genome, "-m", path)
    _check(outcome, code, needle)
    if code:
        assert path.name in outcome.stderr  # names the file
    else:
        _hits_are_bed(outcome.stdout)


def test_invalid_motif_names_motif_and_file(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path
) -> None:
    path = tmp_path / "neg.jaspar"
    path.write_text(_jaspar(["5 -3 0", "0 5 5", "0 0 0", "1 1 1"]))
    outcome = invoke("bio", "scan", data.genome, "-m", path)
    assert_clean_failure(outcome, 1)
    assert "MA9002.1" in outcome.stderr and str(path) in outcome.stderr


def test_unknown_jaspar_id_prints_one_line_and_warns_nothing(
    invoke: Callable[..., Outcome], data: Data
) -> None:
    from carrousel.bio.errors import MotifNotFoundError
    from carrousel.bio.motifs import resolve_motifs

    for spec in ("MA9999.1", "MA9999"):
        outcome = invoke("bio", "scan", data.genome, "-m", spec)
        assert_clean_failure(outcome, 1, "not found")
        assert outcome.stdout == ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(MotifNotFoundError, match="check the ID"):
                resolve_motifs(spec)
        assert [str(w.message) for w in caught] == []  # Python callers see no third-party warning either


# -------------------------------------------------------------------------------------------------- BED
def _bed(lines: list[str]) -> Callable[[Data], str]:
    return lambda d: "\n".join(lines) + "\n"


BedCase = tuple[Callable[[Data], str], str]
BED_CASES: dict[str, BedCase] = {
    "every peak past the end": (_bed(["chr1\t50000\t50200", "chr1\t60000\t60200"]), "20,000"),
    "a negative start": (lambda d: "\n".join(["chr1\t-5\t200", *d.peak_lines]) + "\n", "line 1"),
    "start after end": (lambda d: "\n".join([*d.peak_lines, "chr1\t500\t400"]) + "\n", "line 31"),
    "summit off a point": (  # a point (start == end) is valid BED; its summit offset can only be 0
        lambda d: "\n".join([*d.peak_lines, "chr1\t500\t500\tp\t0\t.\t1\t-1\t-1\t2"]) + "\n",
        "summit offset 2",
    ),
    "unknown chromosome only": (_bed(["chrX\t100\t300", "chrY\t5\t50"]), "record names"),
    "text in coordinates": (lambda d: "\n".join([*d.peak_lines[:3], "chr1\tabc\t300"]) + "\n", "line 4"),
    "float coordinates": (_bed(["chr1\t100.5\t300"]), "line 1"),
    "missing end column": (_bed(["chr1\t100"]), "line 1"),
    # a header of column names is read (tests/bio/test_bio_bed_header.py); NA is no column name
    "header line of NAs": (lambda d: "chrom\tNA\tNA\n" + "\n".join(d.peak_lines) + "\n", "header"),
    "track and comments only": (_bed(["track name=x", "browser position chr1", "# nothing"]), "no intervals"),
    "summit outside the peak": (
        lambda d: "\n".join([*d.peak_lines, "chr1\t100\t200\tp\t0\t.\t1\t-1\t-1\t500"]) + "\n",
        "summit",
    ),
    "huge coordinate": (_bed([f"chr1\t{10**20}\t{10**20 + 100}"]), "20,000"),
    "too few peaks": (lambda d: "\n".join(d.peak_lines[:5]) + "\n", "at least 20"),
    "too few left in range": (
        lambda d: (
            "\n".join([*d.peak_lines[:5], *[f"chr1\t{50_000 + i}\t{50_100 + i}" for i in range(40)]]) + "\n"
        ),
        "at least 20",
    ),
}


@pytest.mark.parametrize("case", list(BED_CASES))
def test_bed_mutations(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    build, needle = BED_CASES[case]
    bed = tmp_path / "peaks.bed"
    bed.write_text(build(data))
    out = tmp_path / "model"
    outcome = invoke("bio", "train", "--peaks", bed, "--genome", data.genome, "-o", out, *FAST)
    _check(outcome, 1, needle)
    assert listing(tmp_path) == ["peaks.bed"]


def test_bed_binary_is_a_bed_error(invoke: Callable[..., Outcome], data: Data, tmp_path: Path) -> None:
    bed = tmp_path / "peaks.bed"
    bed.write_bytes(bytes(range(128, 256)) * 10)  # no NUL: not UTF-8
    outcome = invoke("bio", "train", "--peaks", bed, "--genome", data.genome, "-o", tmp_path / "m", *FAST)
    assert_clean_failure(outcome, 1)
    assert f"BED file {bed}" in outcome.stderr and "UnicodeDecodeError" not in outcome.stderr


def test_some_peaks_past_the_end_warn_and_train(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path
) -> None:
    bed = tmp_path / "peaks.bed"
    bed.write_text("\n".join([*data.peak_lines, "chr2\t5000\t5100", "chr2\t9000\t9100"]) + "\n")
    out = tmp_path / "model"
    args = ["--peaks", bed, "--genome", data.genome, "--negatives", data.neg, "-o", out, *FAST]
    args += ["--config", data.small_null]
    outcome = invoke("bio", "train", *args)
    assert outcome.code == 0, outcome.stderr
    assert "2 of 32 peaks" in outcome.stderr and "line 31" in outcome.stderr
    assert (out / "bundle.json").is_file()


# --------------------------------------------------------------------------------------- training sets
def _write(path: Path, seqs: dict[str, str]) -> Path:
    path.write_bytes(_fasta(seqs))
    return path


SetCase = tuple[Callable[[Data, Path], list[str | Path]], str]
TRAIN_SETS: dict[str, SetCase] = {
    "identical sets": (lambda d, t: ["--positives", d.pos, "--negatives", d.pos], "30 of 30"),
    "same sequences, other names": (
        lambda d, t: [
            "--positives",
            d.pos,
            "--negatives",
            _write(t / "n.fa", {f"x{k}": v for k, v in d.pos_seqs.items()}),
        ],
        "identical|shared|also",
    ),
    "60% shared": (
        lambda d, t: [
            "--positives",
            d.pos,
            "--negatives",
            _write(
                t / "n.fa", {**dict(list(d.pos_seqs.items())[:18]), **dict(list(d.neg_seqs.items())[:12])}
            ),
        ],
        "18 of 30",
    ),
    "shorter than the window": (
        lambda d, t: [
            "--positives",
            _write(t / "p.fa", {k: v[:40] for k, v in d.pos_seqs.items()}),
            "--negatives",
            d.neg,
        ],
        "--window",
    ),
    "some shorter than the window": (
        lambda d, t: [
            "--positives",
            _write(
                t / "p.fa", {k: v[:40] if i % 3 == 0 else v for i, (k, v) in enumerate(d.pos_seqs.items())}
            ),
            "--negatives",
            d.neg,
        ],
        "10 of 30",
    ),
    "too few positives": (
        lambda d, t: [
            "--positives",
            _write(t / "p.fa", dict(list(d.pos_seqs.items())[:5])),
            "--negatives",
            d.neg,
        ],
        "at least 20",
    ),
    "too few negatives": (
        lambda d, t: [
            "--positives",
            d.pos,
            "--negatives",
            _write(t / "n.fa", dict(list(d.neg_seqs.items())[:3])),
        ],
        "at least 20",
    ),
    "one positive, no negatives": (
        lambda d, t: ["--positives", _write(t / "p.fa", dict(list(d.pos_seqs.items())[:1]))],
        "at least 20",
    ),
    "planted, 5 per motif": (
        lambda d, t: ["--motif", d.motif, "--genome", d.genome, "--per-motif", "5"],
        "at least 20",
    ),
    "positives of only N": (
        lambda d, t: [
            "--positives",
            _write(t / "p.fa", {k: "N" * 60 for k in d.pos_seqs}),
            "--negatives",
            d.neg,
        ],
        "only N",
    ),
}


@pytest.mark.parametrize("case", list(TRAIN_SETS))
def test_training_sets_refused_before_training(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str
) -> None:
    build, needle = TRAIN_SETS[case]
    args = build(data, tmp_path)
    before = listing(tmp_path)
    outcome = invoke("bio", "train", *args, "-o", tmp_path / "model", *FAST)
    _check(outcome, 1, needle)
    assert listing(tmp_path) == before


def test_no_negatives_trains_on_shuffled_positives_and_says_so(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    small = ["--config", data.small_null]
    outcome = invoke("bio", "train", "--positives", data.pos, "-o", out, *FAST, *small)
    assert outcome.code == 0, outcome.stderr
    assert "shuffled positives" in outcome.stdout
    outcome = invoke("bio", "train", "--positives", data.pos, "-o", out, *FAST, *small, "--json")
    assert json.loads(outcome.stdout)["negatives"] == "shuffled positives"


EVAL_SETS: dict[str, tuple[Callable[[Data, Path], list[str | Path]], str]] = {
    "1 vs 1": (
        lambda d, t: [
            "--positives",
            _write(t / "p.fa", {"a": d.pos_seqs["p0"]}),
            "--negatives",
            _write(t / "n.fa", {"b": d.neg_seqs["n0"]}),
        ],
        "at least 10",
    ),
    "5 positives": (
        lambda d, t: [
            "--positives",
            _write(t / "p.fa", dict(list(d.pos_seqs.items())[:5])),
            "--negatives",
            d.neg,
        ],
        "at least 10",
    ),
    "5 negatives": (
        lambda d, t: [
            "--positives",
            d.pos,
            "--negatives",
            _write(t / "n.fa", dict(list(d.neg_seqs.items())[:5])),
        ],
        "at least 10",
    ),
    "identical sets": (lambda d, t: ["--positives", d.pos, "--negatives", d.pos], "30 of 30"),
}


@pytest.mark.parametrize("case", list(EVAL_SETS))
@pytest.mark.parametrize("pwm_only", [True, False])
def test_evaluate_needs_enough_distinct_sequences(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str, pwm_only: bool
) -> None:
    build, needle = EVAL_SETS[case]
    extra: list[str | Path] = ["--pwm-only", "-m", data.motif] if pwm_only else []
    outcome = invoke("bio", "evaluate", *build(data, tmp_path), *extra)
    _check(outcome, 1, needle)


def test_evaluate_pwm_only_table_shows_no_nan(invoke: Callable[..., Outcome], data: Data) -> None:
    outcome = invoke(
        "bio", "evaluate", "--positives", data.pos, "--negatives", data.neg, "--pwm-only", "-m", data.motif
    )
    assert outcome.code == 0, outcome.stderr
    assert "nan" not in outcome.stdout.lower() and "best PWM" in outcome.stdout


# ---------------------------------------------------------------------------------------------- options
OptionCase = tuple[str, list[str], int, str]
OPTION_CASES: dict[str, OptionCase] = {
    # scan
    "scan pvalue 0": ("scan", ["--pvalue", "0"], 2, "'--pvalue'"),  # option ranges (0, 1]: usage
    "scan pvalue negative": ("scan", ["--pvalue", "-1"], 2, "'--pvalue'"),
    "scan pvalue 2": ("scan", ["--pvalue", "2"], 2, "'--pvalue'"),
    "scan pvalue nan": ("scan", ["--pvalue", "nan"], 2, "pvalue"),  # a non-finite number: usage
    "scan pvalue inf": ("scan", ["--pvalue", "inf"], 2, "pvalue"),
    "scan pvalue text": ("scan", ["--pvalue", "small"], 2, "pvalue"),
    "scan qvalue 0": ("scan", ["--qvalue", "0"], 2, "'--qvalue'"),
    "scan qvalue 5": ("scan", ["--qvalue", "5"], 2, "'--qvalue'"),
    "scan qvalue nan": ("scan", ["--qvalue", "nan"], 2, "qvalue"),
    "scan model-qvalue 5": ("scan", ["--model-qvalue", "5"], 2, "'--model-qvalue'"),
    "scan model-qvalue nan": ("scan", ["--model-qvalue", "nan"], 2, "model-qvalue"),
    "scan model-pvalue -1": ("scan", ["--model-pvalue", "-1"], 2, "'--model-pvalue'"),
    "scan model-pvalue 0": ("scan", ["--model-pvalue", "0"], 2, "'--model-pvalue'"),
    "scan background order 2": ("scan", ["--background-order", "2"], 2, "background-order"),
    "scan background order -1": ("scan", ["--background-order", "-1"], 2, "background-order"),
    "scan background unknown": ("scan", ["--background", "genome.fa"], 2, "background"),
    "scan format unknown": ("scan", ["--format", "bam"], 2, "format"),
    "scan method unknown": ("scan", ["--method", "magic"], 2, "method"),
    "scan device unknown": ("scan", ["--device", "tpu"], 2, "device"),
    "scan precision unknown": ("scan", ["--precision", "int4"], 2, "precision"),
    # fp16 is for GPUs: on the CPU a one-line error naming bf16, not a silent substitute
    **(
        {}
        if torch.cuda.is_available()
        else {
            "scan fp16 on the cpu": (
                "scan",
                ["--method", "model", "--precision", "fp16"],
                1,
                "use --precision bf16",
            )
        }
    ),
    "scan unknown option": ("scan", ["--colour", "red"], 2, "--colour"),
    "scan verbose and quiet": ("scan", ["-v", "-q"], 2, "exclude"),
    "scan empty motif": ("scan", ["-m", ","], 1, "no motif given"),
    # train
    "train window 0": ("train", ["--window", "0"], 2, "window"),
    "train window huge": ("train", ["--window", "1000000000"], 2, "'--window'"),
    "train epochs 0": ("train", ["--epochs", "0"], 2, "epochs"),
    "train epochs huge": ("train", ["--epochs", "1000000000"], 2, "epochs"),
    "train lr nan": ("train", ["--lr", "nan"], 2, "--lr"),
    "train lr inf": ("train", ["--lr", "inf"], 2, "--lr"),
    "train lr 0": ("train", ["--lr", "0"], 1, "learning rate"),
    "train lr negative": ("train", ["--lr", "-0.1"], 1, "learning rate"),
    "train batch size 0": ("train", ["--batch-size", "0"], 2, "batch-size"),
    "train batch size huge": ("train", ["--batch-size", "1000000000"], 2, "'--batch-size'"),
    "train hidden huge": ("train", ["--hidden", "10000000"], 2, "'--hidden'"),
    "train filters huge": ("train", ["--filters", "10000000"], 2, "'--filters'"),
    "train kernel wider than window": ("train", ["--kernel", "61"], 1, "kernel"),
    "train per-motif 0": ("train", ["--per-motif", "0"], 2, "per-motif"),
    "train per-motif huge": ("train", ["--per-motif", "1000000000"], 2, "'--per-motif'"),
    "train n-negatives -1": ("train", ["--n-negatives", "-1"], 2, "n-negatives"),
    "train seed -1": ("train", ["--seed", "-1"], 2, "seed"),
    "train seed text": ("train", ["--seed", "lucky"], 2, "seed"),
    "train device unknown": ("train", ["--device", "tpu"], 2, "device"),
    # evaluate
    "evaluate task unknown": ("evaluate", ["--task", "NOPE"], 1, "task"),
    "evaluate task index too large": ("evaluate", ["--task", "99"], 1, "task"),
    "evaluate pwm-only without motif": ("evaluate", ["--pwm-only"], 2, "--motif"),
    "evaluate model is a file": ("evaluate", ["--model", "@pos"], 1, "not a folder"),
    "evaluate precision unknown": ("evaluate", ["--precision", "int4"], 2, "precision"),
    **(
        {}
        if torch.cuda.is_available()
        else {"evaluate fp16 on the cpu": ("evaluate", ["--precision", "fp16"], 1, "use --precision bf16")}
    ),
    # discover
    "discover epochs 0": ("discover", ["--epochs", "0"], 2, "epochs"),
    "discover epochs huge": ("discover", ["--epochs", "1000000000"], 2, "epochs"),
    "discover report pdf": ("discover", ["--report", "pdf"], 2, "report"),
    "discover empty jaspar": ("discover", ["--jaspar", " "], 1, "jaspar"),
    "discover seed text": ("discover", ["--seed", "x"], 2, "seed"),
}


def _base_args(command: str, data: Data, tmp_path: Path) -> list[str | Path]:
    return {
        "scan": ["scan", data.genome, "-m", data.motif],
        "train": ["train", "--positives", data.pos, "--negatives", data.neg, "-o", tmp_path / "m", *FAST],
        "evaluate": ["evaluate", "--positives", data.pos, "--negatives", data.neg],
        "discover": ["discover", data.pos_long, "-o", tmp_path / "d", "--jaspar", data.motif],
    }[command]


@pytest.mark.parametrize("case", list(OPTION_CASES))
def test_bad_options(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    command, args, code, needle = OPTION_CASES[case]
    base = _base_args(command, data, tmp_path)
    if args[0] == "-m":
        base = base[:2]  # the motif option itself is the case
    args = [str(data.pos) if a == "@pos" else a for a in args]
    outcome = invoke("bio", *base, *args)  # given last, the case's value wins over the base's
    _check(outcome, code, needle)
    assert listing(tmp_path) == []


CONFIG_FILES: dict[str, tuple[bytes, str]] = {
    "invalid toml": (b"pvalue = \n", "not valid TOML"),
    "unknown option": (b"colour = 3\n", "unknown option"),
    "wrong type": (b'pvalue = "small"\n', "pvalue"),
    "pvalue nan": (b"pvalue = nan\n", "pvalue"),
    "model qvalue 5": (b"model_qvalue = 5.0\n", "q-value"),
    "background order 3": (b"background_order = 3\n", "background order"),
    "method unknown": (b'method = "magic"\n', "method"),
    "n_null huge": (b"n_null = 1000000000000\n", "n_null"),
    "batch size 0": (b"batch_size = 0\n", "batch size"),
    "chunk size tiny": (b"chunk_size = 5\n", "chunk_size"),
}


@pytest.mark.parametrize("case", list(CONFIG_FILES))
def test_bad_config_files(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    content, needle = CONFIG_FILES[case]
    path = tmp_path / "run.toml"
    path.write_bytes(content)
    _check(invoke("bio", "scan", data.genome, "-m", data.motif, "--config", path), 1, needle)


# ----------------------------------------------------------------------------------------------- outputs
def _scan_out(invoke: Callable[..., Outcome], data: Data, out: str | Path, *extra: str) -> Outcome:
    return invoke("bio", "scan", data.genome, "-m", data.motif, "-o", out, *extra)


OUTPUT_FAILURES: dict[str, tuple[str, str]] = {
    "a folder": ("folder", "is a folder"),
    "below a file": ("a_file/hits.bed", "is a file"),
    "unknown extension": ("hits.xyz", "bed, gff3, tsv, json"),
    "unknown extension under gzip": ("hits.xyz.gz", "bed, gff3, tsv, json"),
    "no extension": ("hits", "bed, gff3, tsv, json"),
    "empty name": ("", "folder"),
}


@pytest.mark.parametrize("case", list(OUTPUT_FAILURES))
def test_scan_output_paths_refused(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str
) -> None:
    rel, needle = OUTPUT_FAILURES[case]
    (tmp_path / "folder").mkdir()
    (tmp_path / "a_file").write_text("mine")
    before = listing(tmp_path)
    outcome = _scan_out(invoke, data, tmp_path / rel if rel else "")
    _check(outcome, 1, needle)
    assert listing(tmp_path) == before and (tmp_path / "a_file").read_text() == "mine"


EARLY_OUTPUTS = {
    "scan -o a folder": ("scan", "folder", "is a folder"),
    "scan -o below a file": ("scan", "a_file/hits.bed", "is a file"),
    "scan -o hits.xyz": ("scan", "hits.xyz", "not the extension"),
    "train -o below a file": ("train", "a_file/model", "is a file"),
    "discover -o below a file": ("discover", "a_file/disc", "is a file"),
}


@pytest.mark.parametrize("case", list(EARLY_OUTPUTS))
def test_outputs_are_checked_before_any_work(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    import carrousel.bio.pipeline as pipeline
    import carrousel.bio.scan_run as scan_run

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the output was checked")

    monkeypatch.setattr(scan_run, "scan_genome", no_work)
    for name in ("training_set", "fit_model", "logo_libraries"):
        monkeypatch.setattr(pipeline, name, no_work)
    command, rel, needle = EARLY_OUTPUTS[case]
    (tmp_path / "folder").mkdir()
    (tmp_path / "a_file").write_text("mine")
    out = tmp_path / rel
    args = {
        "scan": ["scan", data.genome, "-m", data.motif, "-o", out],
        "train": ["train", "--positives", data.pos, "--negatives", data.neg, "-o", out, *FAST],
        "discover": ["discover", data.pos_long, "-o", out, "--jaspar", data.motif],
    }[command]
    _check(invoke("bio", *args), 1, needle)


def test_scan_to_dev_full_is_one_line_naming_it(invoke: Callable[..., Outcome], data: Data) -> None:
    outcome = _scan_out(invoke, data, "/dev/full")
    assert_clean_failure(outcome, 1, "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # still the device, never replaced


def test_scan_into_a_read_only_folder(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.hardening.test_faults import _fail_writes, _mount

    disk = tmp_path / "carrousel-faults"
    with _mount(disk, "ro,size=1m") as mounted:
        if not mounted:
            _fail_writes(monkeypatch, 30)  # EROFS
        outcome = _scan_out(invoke, data, disk / "hits.bed")
        assert_clean_failure(outcome, 1)
        assert str(disk) in outcome.stderr and ("read-only" in outcome.stderr.lower())
        assert listing(disk) == []


OUTPUT_SUCCESSES: dict[str, tuple[str, list[str], Callable[[bytes], bool]]] = {
    "bed": ("hits.bed", [], lambda b: b.count(b"\t") >= 5),
    "gff3": ("hits.gff3", [], lambda b: b.startswith(b"##gff-version 3")),
    "tsv": ("hits.tsv", [], lambda b: b.startswith(b"motif_id\t")),
    "json": ("hits.json", [], lambda b: json.loads(b)["hits"] >= 1),
    "bed.gz": ("hits.bed.gz", [], lambda b: gzip.decompress(b).count(b"\t") >= 5),
    "gff3.gz": ("hits.gff3.gz", [], lambda b: gzip.decompress(b).startswith(b"##gff-version 3")),
    "unknown extension with --format": ("hits.xyz", ["--format", "tsv"], lambda b: b.startswith(b"motif_id")),
    "new sub-folder": ("sub/dir/hits.bed", [], lambda b: b.count(b"\t") >= 5),
    "existing file replaced": ("old.bed", [], lambda b: b"old" not in b),
}


@pytest.mark.parametrize("case", list(OUTPUT_SUCCESSES))
def test_scan_output_paths_written(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str
) -> None:
    rel, extra, ok = OUTPUT_SUCCESSES[case]
    (tmp_path / "old.bed").write_text("old")
    outcome = _scan_out(invoke, data, tmp_path / rel, *extra)
    assert outcome.code == 0, outcome.stderr
    assert ok((tmp_path / rel).read_bytes())
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_scan_to_dev_null_and_dash(invoke: Callable[..., Outcome], data: Data) -> None:
    outcome = _scan_out(invoke, data, "/dev/null")
    assert outcome.code == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    outcome = _scan_out(invoke, data, "-")
    assert outcome.code == 0, outcome.stderr
    _hits_are_bed(outcome.stdout)  # '-' is stdout: the hits themselves, no summary line


def test_scan_to_dev_stdout_is_written_in_place(
    data: Data, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from carrousel.bio.cli import main

    monkeypatch.setattr(
        sys, "argv", ["bio", "scan", str(data.genome), "-m", str(data.motif), "-o", "/dev/stdout"]
    )
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capfd.readouterr()
    assert exc.value.code == 0, err
    _hits_are_bed(out)  # only hits: the summary line would break the BED stream
    assert out.count("\n") >= 3


def test_scan_to_a_fifo_is_written_in_place(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    outcome = _scan_out(invoke, data, fifo, "--format", "bed")
    if reader.is_alive() and outcome.code:  # nothing was written: release the reader
        with open(fifo, "wb"):
            pass
    reader.join(timeout=30)
    assert outcome.code == 0, outcome.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0].count(b"\t") >= 5


FOLDER_TARGETS = ["a_file", "non_model_folder", "file_below_a_file", "/dev/null"]


@pytest.mark.parametrize("target", FOLDER_TARGETS)
@pytest.mark.parametrize("command", ["train", "discover"])
def test_bad_output_folders(
    invoke: Callable[..., Outcome], data: Data, tmp_path: Path, command: str, target: str
) -> None:
    (tmp_path / "a_file").write_text("mine")
    (tmp_path / "non_model_folder").mkdir()
    (tmp_path / "non_model_folder" / "notes.txt").write_text("mine")
    path = (
        Path(target)
        if target.startswith("/")
        else tmp_path / ("a_file/x" if target == "file_below_a_file" else target)
    )
    before = listing(tmp_path)
    if command == "train":
        args = ["train", "--positives", data.pos, "--negatives", data.neg, "-o", path, *FAST]
    else:
        args = ["discover", data.pos_long, "-o", path, "--jaspar", data.motif]
    outcome = invoke("bio", *args)
    assert_clean_failure(outcome, 1)
    assert listing(tmp_path) == before and (tmp_path / "a_file").read_text() == "mine"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --------------------------------------------------------------------------------------------- bundles
def _manifest(folder: Path) -> dict:
    return json.loads((folder / "bundle.json").read_text())


def _edit(edit: Callable[[dict], None], rehash: bool = True) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        doc = _manifest(folder)
        edit(doc)
        save_manifest(folder, doc, rehash)

    return apply


def _set_config(key: str, value: object) -> Callable[[Path], None]:
    return _edit(lambda d: d["config"].__setitem__(key, value))


def _null(change: Callable[[np.ndarray], np.ndarray]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        from safetensors.numpy import load_file, save_file

        arrays = load_file(str(folder / "arrays.safetensors"))
        arrays["null"] = change(arrays["null"])
        save_file(arrays, str(folder / "arrays.safetensors"))
        save_manifest(folder, _manifest(folder))

    return apply


def _motifs_asset(change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "assets" / "motifs.jaspar"
        path.write_text(change(path.read_text()))
        save_manifest(folder, _manifest(folder))

    return apply


def _drop_first_motif(text: str) -> str:
    blocks = text.split(">")
    return ">" + ">".join(blocks[2:])


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "weights truncated": (
        lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:64]),
        "truncated|changed|damaged",
    ),
    "weights changed": (
        lambda f: (f / "model.safetensors").write_bytes(
            (f / "model.safetensors").read_bytes()[:-4] + b"\x00\x00\x80\x7f"
        ),
        "checksum|changed",
    ),
    "NaN weights, rehashed": (nan_weights, "NaN"),
    "manifest deleted": (lambda f: (f / "bundle.json").unlink(), "no bundle.json|not a carrousel"),
    "manifest garbage": (lambda f: (f / "bundle.json").write_bytes(b"\x89PNG\r\n"), "damaged"),
    "another kind": (_edit(lambda d: d.update(kind="finance.forecaster"), False), "finance.forecaster"),
    "newer format": (_edit(lambda d: d.update(format_version=99), False), "newer"),
    "huge hidden size": (_set_config("hidden", 10_000), "does not match|hidden"),
    "absurd hidden size": (_set_config("hidden", 10**9), "hidden"),
    "absurd window": (_set_config("window", 10**12), "window"),
    "window below kernel": (_set_config("window", 3), "window"),
    "no outputs": (_set_config("n_outputs", 0), "invalid config"),
    "dropout 5": (_set_config("dropout", 5.0), "dropout"),
    "missing motifs asset": (lambda f: (f / "assets" / "motifs.jaspar").unlink(), "missing"),
    "motifs asset unlisted": (
        _edit(lambda d: d["files"].pop("assets/motifs.jaspar")),
        "motifs",
    ),
    "motifs asset with NaN counts": (
        _motifs_asset(lambda t: re.sub(r"\[\s*[\d.]+", "[ nan", t, count=1)),
        "finite",
    ),
    "motifs asset with negative counts": (
        _motifs_asset(lambda t: re.sub(r"\[\s*[\d.]+", "[ -5", t, count=1)),
        "negative",
    ),
    "one motif fewer": (_motifs_asset(_drop_first_motif), "motifs"),
    "motifs asset garbage": (_motifs_asset(lambda t: "garbage\n"), "no motif found"),
    "null with NaN": (_null(lambda a: a * np.float32("nan")), "NaN"),
    "null of another shape": (_null(lambda a: a[:3]), "null"),
    "null too short": (_null(lambda a: a[:, :5].copy()), "null"),
    "tail fraction NaN": (
        _edit(lambda d: d["assets"]["calibration"].update(tail_fraction=float("nan"))),
        "tail|NaN|damaged",
    ),
    "tail fraction 5": (_edit(lambda d: d["assets"]["calibration"].update(tail_fraction=5)), "tail"),
    "outputs not objects": (_edit(lambda d: d["assets"].update(outputs=[1] * 24)), "outputs"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampered_bundles(invoke: Callable[..., Outcome], data: Data, tmp_path: Path, case: str) -> None:
    damage, needle = TAMPERING[case]
    model = tmp_path / "model"
    shutil.copytree(PANEL, model)
    damage(model)
    outcome = invoke("bio", "scan", data.genome, "--method", "model", "--model", model)
    _check(outcome, 1, needle)
    assert_no_nonfinite(outcome.stdout)


# ------------------------------------------------------------------------------------------ NaN guard
def test_a_nonfinite_hit_is_an_error_not_an_output(tmp_path: Path) -> None:
    from carrousel.bio.errors import BioError
    from carrousel.bio.fasta import RecordInfo
    from carrousel.bio.formats import render_hits, write_hits
    from carrousel.bio.hits import Hits, ScanResult

    hits = Hits.from_columns(
        record=["chr1"],
        start=[5],
        end=[13],
        strand=["+"],
        motif_id=["MA9001.1"],
        motif_name=["TESTF"],
        score=[float("nan")],
        pvalue=[1e-5],
        qvalue=[0.01],
        method=["pwm"],
        sequence=[SITE],
    )
    result = ScanResult(
        hits=hits, records=[RecordInfo("chr1", 100)], bases=100, motifs=[("MA9001.1", "TESTF")], method="pwm"
    )
    for fmt in ("bed", "gff3", "tsv", "json"):
        with pytest.raises(BioError, match=r"MA9001\.1"):
            render_hits(result, fmt)
    with pytest.raises(BioError):
        write_hits(result, "bed", tmp_path / "hits.bed")
    assert listing(tmp_path) == []


# ------------------------------------------------------------------------------------ command line shape
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 0),
        (["nope"], 2),
        (["scan"], 2),
        (["train"], 2),
        (["evaluate"], 2),
        (["discover"], 2),
        (["scan", "-h"], 0),
    ],
)
def test_command_line_shape(invoke: Callable[..., Outcome], args: list[str], code: int) -> None:
    outcome = invoke("bio", *args)
    if code == 0:
        assert outcome.code == 0 and "scan" in outcome.stdout
    else:
        assert_clean_failure(outcome, code)


# ---------------------------------------------------------------------------------------- properties
def _read_all(path: Path) -> None:
    """Both FASTA readers over ``path``: a parsed result or one clean error, never another exception."""
    from carrousel.bio.errors import FastaFormatError
    from carrousel.bio.fasta import iter_chunks, read_sequences
    from carrousel.core.errors import DataError

    for read in (lambda: list(iter_chunks(path, chunk_size=64, overlap=5)), lambda: read_sequences(path)):
        try:
            read()
        except (FastaFormatError, DataError) as exc:
            assert "\n" not in str(exc) and str(exc)


_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(blob=st.binary(max_size=600), gz=st.booleans(), suffix=st.sampled_from([".fa", ".fa.gz"]))
def test_random_bytes_never_escape_as_another_exception(blob: bytes, gz: bool, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(_gz(blob) if gz else blob)
        _read_all(path)


_GOOD = _fasta({"a": "ACGTNacgtn" * 6, "b": "GGGCCCAAATTT" * 4}, width=17)


@_PROPERTY
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(_GOOD)),
            st.sampled_from(["insert", "delete", "replace"]),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=6,
    ),
    gz=st.booleans(),
    cut=st.integers(0, 40),
)
def test_random_fasta_mutations_parse_or_fail_cleanly(
    edits: list[tuple[int, str, bytes]], gz: bool, cut: int
) -> None:
    blob = bytearray(_GOOD)
    for at, kind, chunk in edits:
        at = min(at, len(blob))
        if kind == "insert":
            blob[at:at] = chunk
        elif kind == "delete":
            del blob[at : at + len(chunk)]
        else:
            blob[at : at + len(chunk)] = chunk
    raw = _gz(bytes(blob)) if gz else bytes(blob)
    if gz and cut:
        raw = raw[:-cut]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("x.fa.gz" if gz else "x.fa")
        path.write_bytes(raw)
        _read_all(path)


def _mutate(good: bytes, edits: list[tuple[int, str, bytes]]) -> bytes:
    blob = bytearray(good)
    for at, kind, chunk in edits:
        at = min(at, len(blob))
        if kind == "insert":
            blob[at:at] = chunk
        elif kind == "delete":
            del blob[at : at + len(chunk)]
        else:
            blob[at : at + len(chunk)] = chunk
    return bytes(blob)


_EDITS = st.lists(
    st.tuples(
        st.integers(0, 200),
        st.sampled_from(["insert", "delete", "replace"]),
        st.sampled_from([b"-", b"nan", b"0", b" ", b"\n", b"[", b"]", b">", b"\t", b"x", b"1e999", b"\xff"]),
    ),
    min_size=1,
    max_size=5,
)


@_PROPERTY
@given(edits=_EDITS)
def test_random_motif_file_mutations_parse_or_fail_cleanly(edits: list[tuple[int, str, bytes]]) -> None:
    """A mutated JASPAR file gives valid motifs (finite, non-negative, a count at every position) or one
    clean motif error, never another exception."""
    from carrousel.bio.errors import MotifFormatError, MotifNotFoundError
    from carrousel.bio.motifs import load_motif_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.jaspar"
        path.write_bytes(_mutate(MOTIF.encode(), edits))
        try:
            motifs = load_motif_file(path)
        except (MotifFormatError, MotifNotFoundError) as exc:
            assert "\n" not in str(exc)
            return
    for m in motifs:
        c = np.asarray(m.counts, dtype=np.float64)
        assert c.shape[0] >= 1 and np.isfinite(c).all() and (c >= 0).all() and (c.sum(axis=1) > 0).all()


@_PROPERTY
@given(edits=_EDITS)
@example(edits=[(2, "replace", b"\t")])  # "ch\t0\t0\t60...": a point at 0, found by a CI-like run
def test_random_bed_mutations_parse_or_fail_cleanly(edits: list[tuple[int, str, bytes]]) -> None:
    """A mutated BED file gives intervals with 0 <= start <= end (start == end: a point, valid BED, whose
    summit offset is 0 or none) or one clean BED error."""
    from carrousel.bio.bed import read_peaks
    from carrousel.bio.errors import BedFormatError

    good = "".join(
        f"chr{i % 3}\t{100 * i}\t{100 * i + 60}\tp{i}\t0\t.\t1\t-1\t-1\t{i % 50}\n" for i in range(8)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.bed"
        path.write_bytes(_mutate(good.encode(), edits))
        try:
            peaks = read_peaks(path)
        except BedFormatError as exc:
            assert "\n" not in str(exc)
            return
    assert peaks and all(
        0 <= p.start <= p.end and (p.summit is None or p.summit < max(p.end - p.start, 1)) for p in peaks
    )
