"""Errors of carrousel.finance; all derive from :class:`carrousel.core.errors.CarrouselError`."""

from __future__ import annotations

from carrousel.core.errors import CarrouselError

__all__ = ["FinanceError"]


class FinanceError(CarrouselError):
    """Root of the errors raised by carrousel.finance."""
