"""Errors of carrousel.bio; all derive from :class:`carrousel.core.errors.CarrouselError`."""

from __future__ import annotations

from carrousel.core.errors import CarrouselError, ConfigError, DataError

__all__ = ["BioError", "FastaFormatError", "ModelFileError", "MotifNotFoundError", "ScanConfigError"]


class BioError(CarrouselError):
    """Root of the errors raised by carrousel.bio."""


class FastaFormatError(BioError, DataError):
    """A FASTA file is missing, empty, malformed or holds characters that are not DNA."""


class MotifNotFoundError(BioError, LookupError):
    """A motif ID, name, collection or file could not be found or parsed."""


class ScanConfigError(BioError, ConfigError):
    """Scan, training or discovery options that do not fit together."""


class ModelFileError(BioError, OSError):
    """A model folder is missing or is not a carrousel-bio model."""
