"""carrousel-devdata: the repository's sample-data helper (``carrousel-data fetch|list|path``).

A development tool of the carrousel monorepo, installed by ``make``; not part of any published carrousel
distribution. It fills the cache that :mod:`carrousel.core.samples` reads (which never downloads).
"""

from carrousel_devdata.cli import main
from carrousel_devdata.download import DOWNLOADERS, Downloader, fetch

__all__ = ["DOWNLOADERS", "Downloader", "fetch", "main"]
