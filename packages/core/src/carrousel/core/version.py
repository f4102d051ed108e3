"""The installed version of a distribution, read on first use: every package's ``__version__``.

Reading it needs :mod:`importlib.metadata`, which took about 77 of the 81 ms of ``import carrousel.core``
and 27 of the 33 ms of ``import carrousel.finance`` (``python -X importtime``) when each package read its
version at import. The five packages' ``__version__`` therefore come from :func:`installed_version`
through their lazy tables (:func:`carrousel.core.lazy.lazy_exports`, ``version=``): the import of the
metadata machinery is paid when a version is first asked for (``--version``, a bundle's manifest), not by
every import.
"""

from __future__ import annotations

from functools import cache

__all__ = ["installed_version"]


@cache
def installed_version(distribution: str) -> str:
    """The installed version of ``distribution`` (``"carrousel-core"`` -> ``"0.1.0"``), read once.

    Args:
        distribution: the distribution's name, as its ``pyproject.toml`` spells it.

    Returns:
        Its version, or ``"0.0.0"`` when it is not installed (running from a source tree).
    """
    from importlib.metadata import PackageNotFoundError, version  # about 30-80 ms: only when asked

    try:
        return version(distribution)
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0"
