"""Errors of carrousel.nlp; all derive from :class:`carrousel.core.errors.CarrouselError`."""

from __future__ import annotations

from carrousel.core.errors import CarrouselError

__all__ = ["NLPError"]


class NLPError(CarrouselError):
    """Root of the errors raised by carrousel.nlp."""
