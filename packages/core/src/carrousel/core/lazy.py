"""Lazy re-exports for package ``__init__`` modules (PEP 562), so that importing a package stays cheap.

``import carrousel.core.errors`` runs ``carrousel/core/__init__.py`` first; if that imported the
recurrent blocks, every command line would pay PyTorch's import (seconds) before it could print its
``--help`` or a usage error. Packages therefore name their re-exports here and import them on first use.

Example:
    >>> __getattr__, __dir__ = lazy_exports(__name__, {"Trainer": "carrousel.core.train"})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` for names imported on first use.

    Args:
        package: the package's ``__name__`` (used in the ``AttributeError`` message).
        names: attribute name -> the module that defines it.

    Returns:
        ``(__getattr__, __dir__)``; each name is cached in the package's namespace after its first use.
        ``__dir__`` lists the package's ``__all__``, the table, its public submodules and its dunders.
    """
    table = dict(names)

    def getattr_(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(where), name)
        setattr(import_module(package), name, value)  # later lookups skip this function
        return value

    def dir_() -> list[str]:  # the public names, not the laziness's own (TYPE_CHECKING, lazy_exports, _LAZY)
        module = vars(import_module(package))
        kept = {n for n, v in module.items() if _dunder(n) or (isinstance(v, ModuleType) and n[0] != "_")}
        return sorted({*kept, *module.get("__all__", ()), *table})

    return getattr_, dir_


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")
