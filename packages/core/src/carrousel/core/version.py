"""The installed version of carrousel-core, ``carrousel.core.__version__`` (imported on first use).

Reading it needs :mod:`importlib.metadata`, which took about 77 of the 81 ms of ``import carrousel.core``
(``python -X importtime -c "import carrousel.core"``): every import of a core module paid it, the
torch-free ones (errors, atomic writers, the CLI helper) included. It is now read when first asked for.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("carrousel-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
