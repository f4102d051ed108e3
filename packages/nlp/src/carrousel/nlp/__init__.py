"""carrousel.nlp: sentiment analysis and text generation with recurrent networks.

Pipelines (``train_sentiment``, :class:`SentimentModel`, ``evaluate_sentiment``, ``train_lm``,
:class:`TextGenerator`, ``evaluate_lm``) live in :mod:`carrousel.nlp.pipeline`; importing this package
loads only the version and the errors.
"""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports
from carrousel.nlp.errors import NLPError

if TYPE_CHECKING:
    __version__: str  # the installed carrousel-nlp's (lazy_exports' version=, read on first use)

_LAZY: dict[str, str] = {}  # nothing else to load lazily: importing the package loads its errors
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, version="carrousel-nlp")  # __version__: on first use

__all__ = ["NLPError", "__version__"]
