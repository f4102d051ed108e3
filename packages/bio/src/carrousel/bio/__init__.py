"""carrousel.bio: DNA motif detection: PWM scans with exact statistics and CNN-BiLSTM models.

The commands are functions of :mod:`carrousel.bio.pipeline` (``scan``, ``train``, ``evaluate``,
``discover``), each taking its config from :mod:`carrousel.bio.config`. The main names are re-exported
here lazily (importing ``carrousel.bio`` stays cheap for the CLI): the configs, :func:`load_model` /
:func:`save_model` / :func:`default_model_path` and :class:`MotifModel`, :func:`scan_genome`,
:func:`resolve_motifs`, :class:`Motif`, :class:`IntegerPWM`, :class:`Background`.
"""

from typing import TYPE_CHECKING

from carrousel.bio.errors import BioError
from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
    __version__: str  # the installed carrousel-bio's (lazy_exports' version=, read on first use)

_LAZY = {
    "ScanConfig": "carrousel.bio.config",
    "TrainConfig": "carrousel.bio.config",
    "EvaluateConfig": "carrousel.bio.config",
    "DiscoverConfig": "carrousel.bio.config",
    "MotifModel": "carrousel.bio.models",
    "load_model": "carrousel.bio.pipeline",
    "save_model": "carrousel.bio.pipeline",
    "from_pretrained": "carrousel.bio.pipeline",
    "default_model_path": "carrousel.bio.pipeline",
    "scan_genome": "carrousel.bio.scan",
    "resolve_motifs": "carrousel.bio.motifs",
    "Motif": "carrousel.bio.motifs",
    "IntegerPWM": "carrousel.bio.pwm",
    "Background": "carrousel.bio.pwm_null",
}

__all__ = ["BioError", "__version__", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, version="carrousel-bio")  # __version__: on first use
