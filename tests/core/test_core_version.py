"""One reading of an installed distribution's version (:mod:`carrousel.core.version`), served as a package's
``__version__`` by :func:`carrousel.core.lazy.lazy_exports` (``version=``) on first use."""

from __future__ import annotations

import sys
import types
from importlib.metadata import version

from carrousel.core.lazy import lazy_exports
from carrousel.core.version import installed_version


def test_installed_version_reads_a_distribution_once() -> None:
    assert installed_version("carrousel-core") == version("carrousel-core")
    assert installed_version("carrousel-core") is installed_version("carrousel-core")  # cached
    assert installed_version("carrousel-no-such-distribution") == "0.0.0"  # a source tree, not installed


def test_lazy_exports_serves_a_version_only_when_given_one() -> None:
    for given, expected in ((None, False), ("carrousel-core", True)):
        module = types.ModuleType(f"carrousel_versions_{expected}")
        module.__getattr__, module.__dir__ = lazy_exports(module.__name__, {}, version=given)  # type: ignore[method-assign]
        sys.modules[module.__name__] = module
        try:
            assert hasattr(module, "__version__") is expected
            assert ("__version__" in dir(module)) is expected
        finally:
            del sys.modules[module.__name__]
    assert module.__version__ == version("carrousel-core")
