"""Every package's ``__version__`` is read on first use, through one core helper.

Each domain package read its version with :mod:`importlib.metadata` in its ``__init__`` (four copies of one
try/except): 27.2 of the 32.7 ms of ``import carrousel.finance`` (``python -X importtime``), paid by every
import of the package, the torch-free errors included. Core read its own on first use; now all five go
through :func:`carrousel.core.version.installed_version`, served by their lazy tables
(:func:`carrousel.core.lazy.lazy_exports`, ``version=``).
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

PACKAGES = ("core", "finance", "bio", "nlp", "speech")


@pytest.mark.parametrize("pkg", PACKAGES)
def test_importing_a_package_does_not_read_its_version(pkg: str) -> None:
    """Fails on main for the four domains: their ``__init__`` imported importlib.metadata."""
    code = (
        "import sys\n"
        f"import carrousel.{pkg} as p\n"
        "print('importlib.metadata' in sys.modules, '__version__' in vars(p))\n"
        "print('__version__' in dir(p), '__version__' in p.__all__, p.__version__)\n"
        "print('importlib.metadata' in sys.modules, '__version__' in vars(p))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "True", "True", version(f"carrousel-{pkg}"), "True", "True"]
