"""Optional dependencies: import one, or fail with one line naming the ``pip install`` extra.

Domain packages keep heavy or rarely needed libraries (a market-data client, plotting, a motif
database) in extras. The code that needs one calls :func:`require` at the point of use, so the rest of
the package imports and runs without it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from carrousel.core.errors import MissingExtraError

__all__ = ["missing_extra", "require"]


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Imports ``module`` or raises :class:`MissingExtraError` naming the extra that provides it.

    Args:
        module: the import name, e.g. ``"matplotlib.pyplot"``.
        extra: the requirement that installs it, e.g. ``"carrousel-finance[yahoo]"``.
        purpose: what needs it, for the message, e.g. ``"live Yahoo data (--source yahoo)"``.

    Returns:
        The imported module.

    Example:
        >>> json = require("json", "carrousel-core", "this example")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_extra(exc, module, extra, purpose) from None


def missing_extra(exc: ImportError, module: str, extra: str, purpose: str) -> MissingExtraError:
    """The one-line error of :func:`require` for a failed import (for imports it cannot do itself, such as
    a module's ``from x import y`` lines at its top)."""
    missing = exc.name or module.split(".")[0]
    return MissingExtraError(
        f"{purpose} needs the {missing} package, which is not installed; run: pip install '{extra}'"
    )
