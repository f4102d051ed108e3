"""Errors of carrousel.speech; all derive from :class:`carrousel.core.errors.CarrouselError`."""

from __future__ import annotations

from carrousel.core.errors import CarrouselError

__all__ = ["SpeechError"]


class SpeechError(CarrouselError):
    """Root of the errors raised by carrousel.speech."""
