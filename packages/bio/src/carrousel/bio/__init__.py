"""carrousel.bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models."""

from importlib.metadata import PackageNotFoundError, version

from carrousel.bio.errors import BioError

try:
    __version__ = version("carrousel-bio")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["BioError", "__version__"]
