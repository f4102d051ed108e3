"""Errors of carrousel.finance; all derive from :class:`carrousel.core.errors.CarrouselError`.

Each message names the problem and the fix in one line, so the CLI can print it as is.
"""

from __future__ import annotations

from carrousel.core.errors import CarrouselError, CheckpointError, DataError

__all__ = [
    "BundleError",
    "FinanceError",
    "PriceDataError",
    "TickerNotFoundError",
    "YahooUnreachableError",
]


class FinanceError(CarrouselError):
    """Root of the errors raised by carrousel.finance."""


class PriceDataError(FinanceError, DataError):
    """Price history is empty, too short or malformed beyond repair."""


class TickerNotFoundError(PriceDataError, LookupError):
    """The data source holds no prices for a symbol."""


class YahooUnreachableError(FinanceError, ConnectionError):
    """Yahoo Finance cannot be reached from this machine."""


class BundleError(FinanceError, CheckpointError):
    """A saved forecaster bundle is missing, damaged or does not fit the request."""
