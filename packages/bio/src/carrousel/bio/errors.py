"""Errors of carrousel.bio; all derive from :class:`carrousel.core.errors.CarrouselError`."""

from __future__ import annotations

from carrousel.core.errors import CarrouselError

__all__ = ["BioError"]


class BioError(CarrouselError):
    """Root of the errors raised by carrousel.bio."""
