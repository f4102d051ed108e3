"""Which JASPAR release motif IDs, names and collections are looked up in (``--jaspar-release``).

pyjaspar ships several releases offline (pyjaspar 4.0.0: JASPAR2014 ... JASPAR2026). The default,
:data:`JASPAR_RELEASE`, is ``JASPAR2026``, the newest (before: ``JASPAR2024``, which ``--jaspar-release
JASPAR2024`` still gives): 1019 CORE vertebrate profiles (latest versions) against 879 (none dropped), 637
UNVALIDATED vertebrate ones against 317 (22 dropped), and a new version of 14 others (``ZNF143`` MA0088.3 where 2024 has
MA0088.2). The IDs this package's README, tests and benchmarks name (``CTCF`` MA0139.2, ``MA0142.1``,
``MAFK`` MA0496.4, ``MA2303.1``...) are the same matrices in both, and the known motifs of the real Oct4 and
Mafk peaks are found as before (the same hit fractions; the same 12 motifs lead ``bio enrich`` both ways).

:func:`release_name` is the one spelling of a release (``jaspar2024`` -> ``JASPAR2024``, pyjaspar's), which
every config stores, so a Python caller's ``jaspar2024`` and the CLI's ``--jaspar-release jaspar2024`` record the
same name; :func:`check_release` also refuses a release pyjaspar does not ship, in one line listing those it
offers (pyjaspar itself prints to stdout and fails later). :func:`jaspar_db` opens one database per release,
however it was spelt.
"""

from __future__ import annotations

import functools
from types import ModuleType

from carrousel.bio.errors import JasparReleaseError
from carrousel.core.optional import require

__all__ = [
    "JASPAR_RELEASE",
    "check_release",
    "jaspar_db",
    "jaspar_releases",
    "pyjaspar_module",
    "release_name",
]

JASPAR_RELEASE = "JASPAR2026"  # the default release of every lookup (config fields, resolve_motifs)


def pyjaspar_module() -> ModuleType:
    """The pyjaspar module (the ``carrousel-bio[jaspar]`` extra), imported on first use.

    Raises:
        MissingExtraError: pyjaspar is not installed (one line naming the extra).
    """
    return require("pyjaspar", "carrousel-bio[jaspar]", "looking motifs up by JASPAR name, ID or collection")


def jaspar_releases() -> tuple[str, ...]:
    """The releases the installed pyjaspar ships, newest first (``("JASPAR2026", "JASPAR2024", ...)``).

    Raises:
        MissingExtraError: pyjaspar (the ``carrousel-bio[jaspar]`` extra) is not installed.
    """
    pyjaspar = pyjaspar_module()
    offered = getattr(pyjaspar, "jaspar_releases", None)  # the module's table: no database opened
    names = list(offered) if isinstance(offered, dict) else pyjaspar.jaspardb().get_releases()
    return tuple(sorted((str(n) for n in names), reverse=True))


def release_name(release: str) -> str:
    """The one spelling of ``release``: stripped and upper case, as pyjaspar names its releases
    (``" jaspar2024"`` -> ``"JASPAR2024"``). Needs no pyjaspar and checks nothing (:func:`check_release` does)."""
    return str(release).strip().upper()


def check_release(release: str) -> str:
    """pyjaspar's name of ``release`` (``"jaspar2026"`` -> ``"JASPAR2026"``).

    Raises:
        JasparReleaseError: pyjaspar ships no such release; the line lists those it does.
        MissingExtraError: pyjaspar is not installed.
    """
    offered = jaspar_releases()
    given = release_name(release)
    for name in offered:
        if name.upper() == given:
            return name
    raise JasparReleaseError(
        f"unknown JASPAR release {str(release).strip()!r}; the installed pyjaspar offers {', '.join(offered)}"
    )


def jaspar_db(release: str = JASPAR_RELEASE):  # type: ignore[no-untyped-def]
    """An offline pyjaspar database handle of ``release`` (the ``carrousel-bio[jaspar]`` extra), one per
    release however it is spelt (``jaspar2024`` and ``JASPAR2024`` share it; the last two opened are kept).

    Raises:
        MissingExtraError: pyjaspar is not installed.
        JasparReleaseError: pyjaspar ships no such release (pyjaspar would print and fail later).
    """
    return _open_db(check_release(release))  # pyjaspar's name; fails first when pyjaspar is missing


@functools.lru_cache(maxsize=2)
def _open_db(name: str):  # type: ignore[no-untyped-def]
    """pyjaspar's database of the release it names ``name`` (:func:`check_release`'s), opened once."""
    return pyjaspar_module().jaspardb(release=name)
