"""Lazy re-exports for package ``__init__`` modules (PEP 562), so that importing a package stays cheap.

``import carrousel.core.errors`` runs ``carrousel/core/__init__.py`` first; if that imported the
recurrent blocks, every command line would pay PyTorch's import (seconds) before it could print its
``--help`` or a usage error. Packages therefore name their re-exports here and import them on first use.
Their ``__version__`` too (``version=``): reading it imports :mod:`importlib.metadata`, most of the
import time of a package that has nothing else to load (:mod:`carrousel.core.version`).

Example:
    >>> __getattr__, __dir__ = lazy_exports(__name__, {"Trainer": "carrousel.core.train"})  # doctest: +SKIP
    >>> __getattr__, __dir__ = lazy_exports(__name__, {}, version="carrousel-core")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from types import ModuleType
from typing import Any

from carrousel.core.version import installed_version

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str], *, version: str | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` for names imported on first use.

    Args:
        package: the package's ``__name__`` (used in the ``AttributeError`` message).
        names: attribute name -> the module that defines it.
        version: the distribution (``"carrousel-finance"``) whose installed version is the package's
            ``__version__`` (:func:`~carrousel.core.version.installed_version`), or None for no
            ``__version__``.

    Returns:
        ``(__getattr__, __dir__)``; each name is cached in the package's namespace after its first use.
        ``__dir__`` lists the package's ``__all__``, the table, its public submodules and its dunders.
    """
    table = dict(names)
    versioned = {"__version__"} if version is not None else set()

    def getattr_(name: str) -> Any:
        where = table.get(name)
        if version is not None and name == "__version__":
            value: Any = installed_version(version)
        elif where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        else:
            value = getattr(import_module(where), name)
        setattr(import_module(package), name, value)  # later lookups skip this function
        return value

    def dir_() -> list[str]:  # the public names, not the laziness's own (TYPE_CHECKING, lazy_exports, _LAZY)
        module = vars(import_module(package))
        kept = {n for n, v in module.items() if _dunder(n) or (isinstance(v, ModuleType) and n[0] != "_")}
        return sorted({*kept, *module.get("__all__", ()), *table, *versioned})

    return getattr_, dir_


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")
