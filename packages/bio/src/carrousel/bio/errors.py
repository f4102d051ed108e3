"""Errors of carrousel.bio, named for what failed; all derive from :class:`BioError` and so from
:class:`carrousel.core.errors.CarrouselError` (the CLI prints one line and exits 1).

A saved model that is missing, damaged or of another kind raises core's
:class:`~carrousel.core.errors.BundleError`.
"""

from __future__ import annotations

from carrousel.core.errors import CarrouselError, ConfigError, DataError

__all__ = [
    "BedFormatError",
    "BioError",
    "DiscoverConfigError",
    "EnrichConfigError",
    "EvaluateConfigError",
    "ExportConfigError",
    "FastaFormatError",
    "HitsIndexError",
    "JasparReleaseError",
    "ModelConfigError",
    "MotifError",
    "MotifFormatError",
    "MotifNotFoundError",
    "NonFiniteHitError",
    "ScanConfigError",
    "SequenceSetError",
    "TrainConfigError",
    "TrainingDataError",
    "WindowError",
]


class BioError(CarrouselError):
    """Root of the errors raised by carrousel.bio."""


class FastaFormatError(BioError, DataError):
    """A FASTA file is missing, empty, malformed or holds characters that are not DNA."""


class BedFormatError(BioError, DataError):
    """A BED / narrowPeak file is missing, empty or has a line that is not an interval."""


class TrainingDataError(BioError, DataError):
    """Training windows cannot be assembled from the data given (e.g. peaks on records the genome
    lacks, no record as long as a window, labels that do not match the windows)."""


class MotifNotFoundError(BioError, LookupError):
    """A motif ID, name, collection or file could not be found or parsed."""


class MotifFormatError(BioError, DataError):
    """A motif matrix that cannot be scored (a count negative or not finite, a position without counts,
    no positions) or a motif file that is not motif text; the message names the motif and its file."""


class MotifError(BioError, ValueError):
    """A motif cannot be used as asked (longer than the window, score range too wide for the scan)."""


class NonFiniteHitError(BioError, FloatingPointError):
    """A hit's score, p-value or q-value is NaN or infinite: an error naming the motif, never an output."""


class ScanConfigError(BioError, ConfigError):
    """``bio scan`` options that are out of range or do not fit together."""


class TrainConfigError(BioError, ConfigError):
    """``bio train`` options that are out of range or do not fit together."""


class EvaluateConfigError(BioError, ConfigError):
    """``bio evaluate`` options that are out of range or do not fit together."""


class ExportConfigError(BioError, ConfigError):
    """``bio export`` options that do not fit together."""


class DiscoverConfigError(BioError, ConfigError):
    """``bio discover`` options that are out of range or do not fit together."""


class EnrichConfigError(BioError, ConfigError):
    """``bio enrich`` options that are out of range or do not fit together."""


class JasparReleaseError(BioError, ConfigError):
    """A JASPAR release (``--jaspar-release``) that the installed pyjaspar does not ship."""


class SequenceSetError(BioError, DataError):
    """A set of sequences that a statistic cannot be computed on (too few sequences, say)."""


class ModelConfigError(BioError, ConfigError):
    """A DanQ network shape that cannot be built (sizes below 1, a window narrower than the kernel)."""


class WindowError(BioError, ValueError):
    """Windows given to a model that are not ``(N, W)`` base codes 0..4 of its window width ``W``."""


class HitsIndexError(BioError, TypeError):
    """A hit table indexed by something other than a column name (``hits[0]``: iterate for the rows)."""
