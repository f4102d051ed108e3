"""carrousel.bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.

The main entry points are re-exported lazily (importing ``carrousel.bio`` stays cheap for the CLI):
:func:`scan_genome` with :class:`ScanConfig`, :func:`resolve_motifs`, :class:`IntegerPWM`,
:func:`load_bundle` / :func:`train_bundle`, :func:`default_model_path`.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from carrousel.bio.errors import BioError

try:
    __version__ = version("carrousel-bio")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

_LAZY = {
    "ScanConfig": "carrousel.bio.config",
    "scan_genome": "carrousel.bio.scan",
    "resolve_motifs": "carrousel.bio.motifs",
    "Motif": "carrousel.bio.motifs",
    "IntegerPWM": "carrousel.bio.pwm",
    "Background": "carrousel.bio.pwm",
    "load_bundle": "carrousel.bio.pipeline",
    "train_bundle": "carrousel.bio.pipeline",
    "default_model_path": "carrousel.bio.pipeline",
}

__all__ = ["BioError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'carrousel.bio' has no attribute {name!r}")
