"""carrousel.nlp: sentiment analysis and text generation with recurrent networks.

Pipelines (``train_sentiment``, :class:`SentimentModel`, ``evaluate_sentiment``, ``train_lm``,
:class:`TextGenerator`, ``evaluate_lm``) live in :mod:`carrousel.nlp.pipeline`; importing this package
loads only the version and the errors.
"""

from importlib.metadata import PackageNotFoundError, version

from carrousel.nlp.errors import NLPError

try:
    __version__ = version("carrousel-nlp")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["NLPError", "__version__"]
