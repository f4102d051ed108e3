"""The carrousel error tree.

Every error that carrousel raises on purpose derives from :class:`CarrouselError`, so a command-line
front end can catch that one class, print one clear line and exit non-zero. Where it helps, an error
also derives from a built-in exception (``ValueError``, ``FileNotFoundError``...) so that plain Python
code can catch it the usual way. :func:`error_line` and :func:`rank_failure` spell the one line a
failure on one rank of a process group becomes on the others (the trainer's and the metrics' gathers).
"""

from __future__ import annotations

__all__ = [
    "BundleError",
    "CarrouselError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ExportError",
    "FormatVersionError",
    "MissingExtraError",
    "NonFiniteLossError",
    "OutputError",
    "RegistryError",
    "SampleMissingError",
    "ShapeError",
    "error_line",
    "rank_failure",
]


class CarrouselError(Exception):
    """Root of all errors raised by carrousel. Messages name the problem and the fix in one line."""


class ConfigError(CarrouselError, ValueError):
    """A configuration value is invalid or inconsistent."""


class ShapeError(CarrouselError, ValueError):
    """A tensor has the wrong shape, dtype or length layout."""


class RegistryError(CarrouselError, KeyError):
    """A name was looked up in a registry that does not hold it."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CheckpointError(CarrouselError, OSError):
    """A saved file is missing, damaged or not a carrousel file."""


class BundleError(CheckpointError):
    """A saved model (bundle) is missing, damaged, changed, of another kind or does not fit its config."""


class FormatVersionError(CheckpointError):
    """A saved file was written by an incompatible format version."""


class DataError(CarrouselError, ValueError):
    """Input data is missing, malformed or cannot be obtained."""


class SampleMissingError(DataError):
    """A sample data set is not in the local cache (or its copy is damaged); the message says how to get it.

    Its own class so that a caller for whom the sample is optional (an int8 export's calibration windows)
    can go on without it, while a malformed file still stops the run.
    """


class NonFiniteLossError(CarrouselError, FloatingPointError):
    """Training produced a NaN or infinite loss."""


class OutputError(CarrouselError, OSError):
    """An output file or folder cannot be written (read-only folder, full disk, a folder in the way)."""


class MissingExtraError(CarrouselError, ImportError):
    """An optional dependency is not installed; the message names the ``pip install`` extra to add."""


class ExportError(CarrouselError, ValueError):
    """A model cannot be exported (ONNX, ``torch.export``) or an exported file cannot be run; the message
    says which part of the model is the obstacle and why."""


def error_line(error: BaseException) -> str:
    """``"Type: message"``: how an error is named in one line, as a rank reports it to the others."""
    return f"{type(error).__name__}: {error}"


def rank_failure(what: str, rank: int, line: str) -> CarrouselError:
    """The error every other rank raises once ``what`` failed on ``rank`` with ``line`` (an
    :func:`error_line`), so that no rank waits for the failed one in a later collective step."""
    return CarrouselError(
        f"{what} failed on rank {rank} ({line}); this rank stops with it: fix the error that rank raised"
    )
